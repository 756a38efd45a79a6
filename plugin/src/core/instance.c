/* instance.c - see instance.h. */
#include "core/instance.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IG_MAX_LOG_LINE 2048

#include "core/result.h"
#include "image/image_probe.h"
#include "providers/backends.h"
#include "tools/tool_call.h"

static char *job_exec(void *ctx, ig_job *job, int *final_state)
{
    return ig_tool_call(ctx, job, ig_job_tool(job), ig_job_args(job), final_state);
}

static char *job_canceled_result(void *ctx, const ig_job *job)
{
    const ig_instance *inst = ctx;
    ig_error err;
    ig_error_clear(&err);
    ig_fail(&err, IG_ERR_CANCELED, NULL, "the job was canceled before it started");
    ig_error_hint(&err, "Nothing was sent to any provider.");
    return ig_result_error_text(ig_job_tool(job), &err, inst->redactor);
}

static void job_finished(void *ctx, const ig_job *job, int final_state)
{
    cJSON *event = cJSON_CreateObject();
    cJSON_AddStringToObject(event, "type", "job.finished");
    cJSON_AddNumberToObject(event, "jobId", (double)ig_job_id(job));
    cJSON_AddStringToObject(event, "tool", ig_job_tool(job));
    cJSON_AddStringToObject(event, "status", ig_job_state_name(final_state));
    ig_instance_event(ctx, event);
    cJSON_Delete(event);
}

ig_instance *ig_instance_open(const char *config_json, agentos_ext_log_fn log_fn,
                              agentos_ext_progress_fn progress_fn,
                              agentos_ext_event_fn event_fn, void *user_data,
                              ig_error *err)
{
    if (ig_vips_ensure_init(err) != 0)
        return NULL;
    ig_instance *inst = calloc(1, sizeof *inst);
    if (!inst) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    inst->log_fn = log_fn;
    inst->progress_fn = progress_fn;
    inst->event_fn = event_fn;
    inst->user_data = user_data;
    inst->job_ops = (ig_job_ops){job_exec, job_canceled_result, job_finished};
    if (ig_config_load(config_json, &inst->config, err) != 0)
        goto fail;
    inst->redactor = ig_redactor_new(&inst->config);
    inst->tools = ig_tool_table_new(err);
    if (!inst->redactor || !inst->tools)
        goto fail;
    inst->store = ig_store_open(inst->config.image_dir, err);
    if (!inst->store)
        goto fail;
    inst->http = ig_http_new(inst->redactor, err);
    inst->routing = ig_routing_state_new(inst->config.routing.has_draw_seed,
                                         inst->config.routing.draw_seed);
    if (!inst->http || !inst->routing)
        goto fail;
    for (int id = 0; id < IG_PROVIDER_COUNT; id++) {
        const ig_backend *backend = ig_backend_for(id);
        if (backend && backend->state_new &&
            !(inst->backend_state[id] = backend->state_new(&inst->config)))
            goto fail;
    }
    inst->jobs = ig_jobs_new(inst->config.max_concurrent_jobs,
                             inst->config.max_queued_jobs, &inst->job_ops, inst);
    if (!inst->jobs) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    ig_instance_log(inst, AGENTOS_EXT_LOG_INFO, "opened; images are stored in %s",
                    ig_store_dir(inst->store));
    return inst;
fail:
    if (err && err->code == IG_OK)
        ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    ig_instance_close(inst);
    return NULL;
}

void ig_instance_close(ig_instance *inst)
{
    if (!inst)
        return;
    ig_jobs_free(inst->jobs); /* waits for running jobs first */
    for (int id = 0; id < IG_PROVIDER_COUNT; id++)
        if (inst->backend_state[id])
            ig_backend_for(id)->state_free(inst->backend_state[id]);
    ig_http_free(inst->http);
    ig_routing_state_free(inst->routing);
    ig_store_close(inst->store);
    ig_tool_table_free(inst->tools);
    ig_redactor_free(inst->redactor);
    ig_config_free(&inst->config);
    free(inst);
}

int64_t ig_instance_submit(ig_instance *inst, const char *tool, const char *args)
{
    char *clean_tool = ig_redact(inst->redactor, tool);
    int64_t id = clean_tool ? ig_jobs_submit(inst->jobs, clean_tool, args ? args : "{}")
                            : AGENTOS_EXT_E_NOMEM;
    free(clean_tool);
    return id;
}

void ig_instance_log(const ig_instance *inst, int level, const char *fmt, ...)
{
    if (!inst->log_fn)
        return;
    char *line = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    /* Redact the whole line first, then cut: a cut secret would not match. */
    char *clean = ig_redact(inst->redactor, line);
    free(line);
    if (clean && strlen(clean) > IG_MAX_LOG_LINE)
        strcpy(clean + IG_MAX_LOG_LINE - 3, "...");
    if (clean)
        inst->log_fn(inst->user_data, level, clean);
    free(clean);
}

/* Renders payload, redacts it and hands it to fn. */
static void send_json(const ig_instance *inst, void (*fn)(void *, const char *),
                      const cJSON *payload)
{
    if (!fn)
        return;
    char *text = cJSON_PrintUnformatted(payload);
    char *clean = ig_redact(inst->redactor, text);
    if (clean)
        fn(inst->user_data, clean);
    free(clean);
    cJSON_free(text);
}

void ig_instance_progress(const ig_instance *inst, const cJSON *payload)
{
    send_json(inst, inst->progress_fn, payload);
}

void ig_instance_event(const ig_instance *inst, const cJSON *payload)
{
    send_json(inst, inst->event_fn, payload);
}
