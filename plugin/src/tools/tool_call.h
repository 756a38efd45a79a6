/*
 * tool_call.h - one tool call from argument text to result envelope.
 *
 * The pipeline: find the tool, parse the arguments, check them against the
 * tool's schema and cross-field rules, resolve and decode the image inputs,
 * apply the rules that need their sizes, route to a provider. Any failure
 * stops the pipeline before a provider is contacted and becomes the
 * result's error. Runs on the calling thread; any thread.
 */
#ifndef IG_TOOL_CALL_H
#define IG_TOOL_CALL_H

#include "core/instance.h"

/*
 * Runs tool with args_json (both borrowed; NULL args = {}). job is the job
 * running the call, or NULL for a synchronous call (no cancellation then).
 * Returns the result JSON (malloc'd; NULL only when out of memory) and sets
 * *final_state to AGENTOS_EXT_JOB_SUCCEEDED, _FAILED or _CANCELED.
 */
char *ig_tool_call(ig_instance *inst, ig_job *job, const char *tool,
                   const char *args_json, int *final_state);

#endif
