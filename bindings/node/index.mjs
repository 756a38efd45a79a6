// index.mjs - the AgentOS extension pack of the image-generation extension.
//
// createExtensionPack(ctx) loads the shared object named by
// image-generation.ext.json through koffi, opens one instance with the
// agent's config, and returns one tool descriptor per tool the library
// reports (name, description and JSON Schema come from the library itself).
// Nothing here re-implements a tool: arguments go to the library as JSON
// and its result envelope comes back as the tool's output.
//
// Host callbacks are not bridged (a C thread calling into JavaScript could
// block on Node's event loop while the loop waits on that thread):
// progress comes from polling each job, and fallbacks are listed in each
// result's `attempts`.
import { bindAbi } from './lib/abi.mjs';
import { buildConfig } from './lib/config.mjs';
import { findManifest, readManifest } from './lib/manifest.mjs';
import { makeTool } from './lib/tool.mjs';

export { buildConfig, findManifest };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * ctx: the AgentOS pack context {options, getSecret, logger, ...}.
 * options: manifest (path to image-generation.ext.json; else searched in
 * $AGENTOS_EXTENSIONS_PATH, this repository's build/extensions, then
 * /usr/local/lib/agentos/extensions), agentConfig | agentConfigPath (the
 * agent's agent.config.json), imageGeneration, providerPreferences (merged
 * over it), pollIntervalMs (default 100), timeoutMs (a call is cancelled
 * after it), onProgress(progress), priority (of the descriptors).
 */
export function createExtensionPack(ctx = {}) {
  const options = ctx.options ?? {};
  const { manifest, library } = readManifest(findManifest(options.manifest));
  const abi = bindAbi(library, manifest.abi);
  const keyedProviders = [...new Set((manifest.environment ?? [])
    .filter((v) => v.secret && v.provider).map((v) => v.provider))];
  const config = buildConfig(options, ctx.getSecret, keyedProviders);

  const errorBuffer = Buffer.alloc(1024);
  let handle = abi.agentos_ext_open(JSON.stringify(config), null, null, null, null,
    errorBuffer, errorBuffer.length);
  if (!handle) {
    const message = errorBuffer.toString('utf8', 0, Math.max(0, errorBuffer.indexOf(0)));
    throw new Error(`${manifest.id}: the extension did not open: ${message}`);
  }
  const instance = {
    abi,
    options,
    jobs: new Set(),
    handle() {
      if (!handle) throw new Error(`${manifest.id}: the pack was deactivated`);
      return handle;
    },
    progress(p) {
      options.onProgress?.(p);
      ctx.logger?.debug?.(`${manifest.id}: ${p.tool} job ${p.jobId} ${p.stage} ` +
        `${Math.round(p.progress * 100)}% ${p.message ?? ''}`);
    },
  };
  const tools = JSON.parse(abi.agentos_ext_list_tools(handle));
  const requiredSecrets = keyedProviders.map((p) => ({ id: `${p}.apiKey`, optional: true }));
  return {
    name: manifest.id,
    version: manifest.version,
    descriptors: tools.map((tool) => ({
      id: tool.name,
      kind: 'tool',
      payload: makeTool(tool, instance),
      priority: options.priority ?? 0,
      requiredSecrets,
    })),
    // Cancels what still runs, waits for those jobs' results to be taken,
    // then closes the instance.
    async onDeactivate() {
      if (!handle) return;
      for (const jobId of instance.jobs) abi.agentos_ext_job_cancel(handle, jobId);
      while (instance.jobs.size) await sleep(options.pollIntervalMs ?? 100);
      abi.agentos_ext_close(handle);
      handle = null;
    },
  };
}

export default createExtensionPack;
