// config.mjs - the agent config document handed to agentos_ext_open: the
// agent's own config plus what the pack's options and secrets add.
import { readFileSync } from 'node:fs';

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// b merged over a, objects key by key, everything else replaced.
function deepMerge(a, b) {
  if (!isObject(a) || !isObject(b)) return b === undefined ? a : b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
}

/**
 * Builds the config document (an object):
 * - the agent's config: options.agentConfig (object) or options.agentConfigPath
 *   (agent.config.json); the .so reads its "imageGeneration" and
 *   "providerPreferences.image" and ignores the rest;
 * - options.imageGeneration and options.providerPreferences merged over it;
 * - each hosted provider's key, when getSecret("<provider>.apiKey") has one
 *   (AgentOS resolves openai.apiKey and openrouter.apiKey from the
 *   environment too, and any id from the pack entry's options.secrets), as
 *   imageGeneration.providers.<provider>.apiKey.
 * keyedProviders: the provider ids the manifest lists with a secret variable.
 */
export function buildConfig(options = {}, getSecret, keyedProviders) {
  let doc = {};
  if (isObject(options.agentConfig)) doc = options.agentConfig;
  else if (typeof options.agentConfigPath === 'string') {
    doc = JSON.parse(readFileSync(options.agentConfigPath, 'utf8'));
  }
  doc = deepMerge(doc, {
    imageGeneration: options.imageGeneration,
    providerPreferences: options.providerPreferences,
  });
  for (const provider of keyedProviders) {
    const key = typeof getSecret === 'function' ? getSecret(`${provider}.apiKey`) : undefined;
    if (typeof key === 'string' && key.trim()) {
      const entry = { [provider]: { apiKey: key.trim() } };
      doc = deepMerge(doc, { imageGeneration: { providers: entry } });
    }
  }
  return doc;
}
