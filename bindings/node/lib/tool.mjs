// tool.mjs - one AgentOS tool per tool the .so reports. execute() submits
// the call as a job and polls it with timers, so Node's event loop never
// waits on the C side; it reports progress and cancels the job when the
// caller's AbortSignal fires or the pack's time limit passes.

// AgentOS compiles each tool's inputSchema with Ajv (draft-07, useDefaults)
// on every call. Three things of the library's schema are left out for it:
// "$schema" (2020-12 is unknown to that Ajv), "$id" (a second compile would
// be a duplicate id) and "default" (Ajv would write every default into the
// arguments, and the library would then warn that, say, consistencyMode does
// not apply; it applies its own defaults, and each description names them).
// Keys under "properties" are field names, not keywords: kept as they are.
function inputSchemaFor(schema, namesFields = false) {
  if (Array.isArray(schema)) return schema.map((s) => inputSchemaFor(s));
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!namesFields && ['$schema', '$id', 'default'].includes(key)) continue;
    out[key] = inputSchemaFor(value, !namesFields && key === 'properties');
  }
  return out;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The AbortSignal a caller gave: context.signal or sessionData.abortSignal. */
function signalOf(context) {
  return context?.signal ?? context?.sessionData?.abortSignal;
}

/**
 * A tool descriptor payload for one {name, description, inputSchema} entry
 * of agentos_ext_list_tools. instance: {abi, handle, jobs, options, log}.
 */
export function makeTool(entry, instance) {
  const { abi, options } = instance;
  const pollMs = options.pollIntervalMs ?? 100;
  return {
    id: entry.name,
    name: entry.name,
    displayName: entry.inputSchema?.title ?? entry.name,
    description: entry.description,
    inputSchema: inputSchemaFor(entry.inputSchema),
    category: 'media',
    hasSideEffects: true,
    async execute(args, context) {
      const errorBuffer = Buffer.alloc(512);
      const jobId = abi.agentos_ext_submit(instance.handle(), entry.name,
        JSON.stringify(args ?? {}), errorBuffer, errorBuffer.length);
      if (jobId < 0) {
        const message = errorBuffer.toString('utf8', 0, Math.max(0, errorBuffer.indexOf(0)));
        return { success: false, error: message || `submit failed (${jobId})`,
          details: { code: 'submit_failed', abiCode: Number(jobId) } };
      }
      instance.jobs.add(jobId);
      const signal = signalOf(context);
      const deadline = options.timeoutMs ? Date.now() + options.timeoutMs : Infinity;
      let canceled = false;
      const cancel = () => {
        if (!canceled) abi.agentos_ext_job_cancel(instance.handle(), jobId);
        canceled = true;
      };
      signal?.addEventListener?.('abort', cancel, { once: true });
      try {
        let lastProgress = -1;
        for (;;) {
          const state = JSON.parse(abi.agentos_ext_job_poll(instance.handle(), jobId));
          if (state.done) break;
          if (state.progress !== lastProgress) {
            lastProgress = state.progress;
            instance.progress({ tool: entry.name, jobId: Number(jobId), ...state });
          }
          if (signal?.aborted || Date.now() > deadline) cancel();
          await sleep(pollMs);
        }
        const envelope = JSON.parse(abi.agentos_ext_job_result(instance.handle(), jobId));
        if (envelope.ok) return { success: true, output: envelope };
        // On failure AgentOS passes on error and details, not output: the
        // whole envelope (error with field and hint, attempts, routing) goes
        // in details, and error reads as one line an agent can act on.
        const e = envelope.error ?? {};
        return { success: false, output: envelope, details: envelope,
          error: `${e.code}${e.field ? ` (${e.field})` : ''}: ${e.message}` +
            `${e.hint ? ` ${e.hint}` : ''}` };
      } finally {
        signal?.removeEventListener?.('abort', cancel);
        instance.jobs.delete(jobId);
      }
    },
  };
}
