// run_pack.mjs - drives the image-generation pack through the AgentOS
// runtime from npm, in the two ways a runtime loads it: as a module-source
// extension pack (ExtensionManager.loadPackFromModule, what
// extensionManifest.packs[].module does at start), and on demand by the
// agent's own `extensions_enable` tool (the schema-on-demand pack) with the
// package name "image-generation". Tools run through ToolOrchestrator.
// tests/test_agentos_e2e.c starts the OpenAI emulator, runs this script and
// checks what it prints on its last line: "E2E-RESULT <json>".
//
// argv: <pack module (absolute)> <agent.config.json> <image dir>
// env:  OPENAI_BASE_URL (the emulator), E2E_OPENAI_KEY (given as a pack
//       secret, never through the environment)
import { EXTENSION_KIND_TOOL, ExtensionManager } from '@framers/agentos/extensions';
import { ToolExecutor, ToolOrchestrator, ToolPermissionManager } from '@framers/agentos/core/tools';
import { createSchemaOnDemandPack } from '@framers/agentos/extensions/packs/schema-on-demand-pack';

const [packModule, agentConfigPath, imageDir] = process.argv.slice(2);
const report = {};
// The runtime logs every call to stdout; keep our own line apart.
const emit = () => process.stdout.write(`\nE2E-RESULT ${JSON.stringify(report)}\n`);

const em = new ExtensionManager();
const progress = [];
const loaded = await em.loadPackFromModule(packModule, {
  agentConfigPath,
  imageGeneration: { imageDir },
  pollIntervalMs: 20,
  secrets: { 'openai.apiKey': process.env.E2E_OPENAI_KEY },
  onProgress: (p) => progress.push(p),
}, 'image-generation');
report.loaded = loaded.loaded;
if (!loaded.loaded) {
  report.reason = String(loaded.reason ?? loaded.error);
  emit();
  process.exit(0);
}
const registry = em.getRegistry(EXTENSION_KIND_TOOL);
report.tools = registry.listActive().map((d) => d.id).sort();

// The runtime's tool path over a manager's tool registry.
async function orchestratorFor(manager) {
  const permissions = new ToolPermissionManager();
  await permissions.initialize({ strictCapabilityChecking: true });
  const executor = new ToolExecutor(undefined, undefined, manager.getRegistry(EXTENSION_KIND_TOOL));
  const orch = new ToolOrchestrator();
  await orch.initialize({ logToolCalls: false }, permissions, executor);
  return orch;
}
let orchestrator = await orchestratorFor(em);

let callNumber = 0;
async function call(name, args, sessionData) {
  const r = await orchestrator.processToolCall({
    toolCallRequest: { id: `call-${++callNumber}`, name, arguments: args },
    gmiId: 'gmi-e2e', personaId: 'persona-e2e', personaCapabilities: [],
    userContext: { userId: 'e2e' }, sessionData,
  });
  return { isError: r.isError, output: r.output, errorDetails: r.errorDetails };
}

report.generate = await call('generate_image',
  { prompt: 'a lighthouse at dusk', size: '1024x1024', quality: 'low' });
const generatedId = report.generate.output?.images?.[0]?.id;
report.upscale = await call('upscale_image', { image: generatedId, method: 'lanczos3' });
report.invalid = await call('generate_image', { prompt: 'x', size: '10x10' });
report.progressSeen = progress.length;

// Cancellation: the emulator holds the next generation; abort mid-call.
await fetch(`${process.env.OPENAI_BASE_URL.replace(/\/v1$/, '')}/__emulator/faults`, {
  method: 'POST', body: JSON.stringify({ path: '/v1/images/generations', fault: 'timeout' }),
});
const abort = new AbortController();
const pending = call('generate_image', { prompt: 'never finishes' },
  { abortSignal: abort.signal });
setTimeout(() => abort.abort(), 300);
report.canceled = await pending;

await em.shutdown();
report.shutdown = true;

// On demand: an agent that starts with only the schema-on-demand tools
// enables the extension by name, then calls one of its tools.
const onDemand = new ExtensionManager();
await onDemand.loadPackEntry({
  identifier: 'schema-on-demand',
  factory: () => createSchemaOnDemandPack({ extensionManager: onDemand,
    options: { allowPackages: true, officialRegistryOnly: false } }),
});
orchestrator = await orchestratorFor(onDemand);
report.enable = await call('extensions_enable', { extension: 'image-generation',
  source: 'package', options: { imageGeneration: { imageDir }, pollIntervalMs: 20 } });
report.enabledUpscale = await call('upscale_image', { image: generatedId, scale: 4,
  method: 'lanczos3' });
await onDemand.shutdown();
emit();
