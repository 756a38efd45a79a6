/*
 * cmd_call.h - the `call` command of agentos-ext.
 */
#ifndef AGX_CMD_CALL_H
#define AGX_CMD_CALL_H

#include "cli_args.h"

/*
 * Runs `call TOOL JSON`: loads the extension (--extension, default
 * image-generation), opens it with --config, submits TOOL with the JSON
 * text (stdin for "-") as a job, waits in 200 ms slices drawing a progress
 * line on a terminal, cancels on SIGINT or after --timeout seconds, prints
 * the result envelope on stdout. Returns 0 when the result's "ok" is true,
 * 1 when it is false (or the job could not run), 2 on usage errors.
 * Installs a SIGINT handler and blocks SIGINT in the threads the extension
 * starts. Main thread only.
 */
int agx_cmd_call(const agx_cli *cli);

#endif
