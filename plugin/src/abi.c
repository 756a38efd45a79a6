/*
 * abi.c - the exported entry points of agentos_ext.h and nothing else.
 *
 * Each function checks its arguments and forwards to the instance, the tool
 * pipeline or the job table. Only this file carries AGENTOS_EXT_API; the
 * version script (plugin/exports.map) is the second lock on the export list.
 */
#include <stdio.h>
#include <stdlib.h>

#include "agentos_ext.h"
#include "core/instance.h"
#include "core/jobs.h"
#include "tools/tool_call.h"

/* Copies msg into the caller's buffer, always NUL-terminated when size > 0. */
static void put_error(char *buf, uint32_t size, const char *msg)
{
    if (buf && size > 0)
        snprintf(buf, size, "%s", msg);
}

AGENTOS_EXT_API uint32_t agentos_ext_abi_version(void)
{
    return AGENTOS_EXT_ABI_VERSION;
}

AGENTOS_EXT_API const char *agentos_ext_info(void)
{
    return "{\"id\":\"" IG_EXTENSION_ID "\",\"name\":\"Image generation\","
           "\"version\":\"" IG_VERSION "\",\"abiVersion\":1}";
}

AGENTOS_EXT_API agentos_ext *agentos_ext_open(const char *config_json,
                                              agentos_ext_log_fn log_fn,
                                              agentos_ext_progress_fn progress_fn,
                                              agentos_ext_event_fn event_fn,
                                              void *user_data, char *error_buf,
                                              uint32_t error_buf_size)
{
    ig_error err;
    ig_error_clear(&err);
    ig_instance *inst =
        ig_instance_open(config_json, log_fn, progress_fn, event_fn, user_data, &err);
    if (!inst) {
        char msg[sizeof err.field + sizeof err.message + sizeof err.hint + 4];
        snprintf(msg, sizeof msg, "%s%s%s%s%s", err.field[0] ? err.field : "",
                 err.field[0] ? ": " : "", err.message, err.hint[0] ? " " : "",
                 err.hint);
        put_error(error_buf, error_buf_size, msg);
    }
    return inst;
}

AGENTOS_EXT_API char *agentos_ext_list_tools(agentos_ext *ext)
{
    return ext ? ig_tool_list_json(ext->tools) : NULL;
}

AGENTOS_EXT_API char *agentos_ext_call(agentos_ext *ext, const char *tool_name,
                                       const char *args_json)
{
    int state;
    return ext ? ig_tool_call(ext, NULL, tool_name, args_json, &state) : NULL;
}

AGENTOS_EXT_API int64_t agentos_ext_submit(agentos_ext *ext, const char *tool_name,
                                           const char *args_json, char *error_buf,
                                           uint32_t error_buf_size)
{
    if (!ext || !tool_name) {
        put_error(error_buf, error_buf_size, "ext and tool_name must not be NULL");
        return AGENTOS_EXT_E_INVALID;
    }
    int64_t id = ig_instance_submit(ext, tool_name, args_json);
    if (id == AGENTOS_EXT_E_BUSY)
        put_error(error_buf, error_buf_size,
                  "too many unfinished or untaken jobs (imageGeneration.maxQueuedJobs); "
                  "take finished results with agentos_ext_job_result and retry");
    else if (id == AGENTOS_EXT_E_CLOSING)
        put_error(error_buf, error_buf_size, "the instance is closing");
    else if (id < 0)
        put_error(error_buf, error_buf_size, "out of memory");
    return id;
}

AGENTOS_EXT_API char *agentos_ext_job_poll(agentos_ext *ext, int64_t job_id)
{
    return ext ? ig_jobs_poll_json(ext->jobs, job_id) : NULL;
}

AGENTOS_EXT_API int32_t agentos_ext_job_wait(agentos_ext *ext, int64_t job_id,
                                             uint32_t timeout_ms)
{
    return ext ? ig_jobs_wait(ext->jobs, job_id, timeout_ms) : AGENTOS_EXT_E_INVALID;
}

AGENTOS_EXT_API char *agentos_ext_job_result(agentos_ext *ext, int64_t job_id)
{
    return ext ? ig_jobs_take_result(ext->jobs, job_id) : NULL;
}

AGENTOS_EXT_API int32_t agentos_ext_job_cancel(agentos_ext *ext, int64_t job_id)
{
    return ext ? ig_jobs_cancel(ext->jobs, job_id) : AGENTOS_EXT_E_INVALID;
}

AGENTOS_EXT_API void agentos_ext_free(char *text)
{
    free(text);
}

AGENTOS_EXT_API void agentos_ext_close(agentos_ext *ext)
{
    ig_instance_close(ext);
}
