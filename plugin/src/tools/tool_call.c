/* tool_call.c - see tool_call.h. */
#include "tools/tool_call.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json_text.h"
#include "core/result.h"
#include "providers/backend.h"
#include "image/image_input.h"
#include "providers/router.h"
#include "tools/tool_dispatch.h"
#include "tools/tool_rules.h"

/* What one call carries through the pipeline. */
typedef struct call_state {
    ig_instance *inst;
    ig_job *job;               /* NULL for synchronous calls */
    const atomic_bool *cancel; /* NULL for synchronous calls */
    const char *tool;
    cJSON *result;
    ig_error err;
} call_state;

/* Tells the job table and the host how far the call is. */
static void report(call_state *cs, double progress, const char *stage,
                   const char *message)
{
    if (cs->job)
        ig_job_set_progress(cs->inst->jobs, cs->job, progress, stage, message);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "jobId", cs->job ? (double)ig_job_id(cs->job) : 0);
    cJSON_AddStringToObject(p, "tool", cs->tool);
    cJSON_AddNumberToObject(p, "progress", progress);
    cJSON_AddStringToObject(p, "stage", stage);
    cJSON_AddStringToObject(p, "message", message);
    ig_instance_progress(cs->inst, p);
    cJSON_Delete(p);
}

/* The provider stage takes progress 0.5..0.95. */
static void provider_progress(void *ctx, double fraction, const char *message)
{
    report(ctx, 0.5 + 0.45 * fraction, "provider", message);
}

static int check_canceled(call_state *cs)
{
    if (!cs->cancel || !atomic_load(cs->cancel))
        return 0;
    ig_fail(&cs->err, IG_ERR_CANCELED, NULL, "the job was canceled");
    ig_error_hint(&cs->err, "Nothing was sent to any provider.");
    return -1;
}

/* Largest argument text accepted: two images as data URLs plus the rest. */
static size_t max_args_bytes(const ig_config *config)
{
    return (size_t)(config->max_input_bytes / 3 * 4 + 64) * 2 + (1u << 20);
}

/* Parses the caller's argument text. Secrets are redacted from it first
 * (messages below quote and clip what the caller sent, and nothing a caller
 * pasted in may reach a provider), but only after the size cap, so an
 * oversized call is refused without copying and scanning it. */
static cJSON *parse_args(call_state *cs, const char *raw)
{
    if (!raw)
        return cJSON_CreateObject();
    size_t len = strlen(raw), cap = max_args_bytes(&cs->inst->config);
    if (len > cap) {
        ig_fail(&cs->err, IG_ERR_INVALID_ARGUMENT, NULL,
                "the arguments are %zu bytes; at most %zu are accepted", len, cap);
        ig_error_hint(&cs->err, "Pass large images as a file path, URL or image "
                                "id instead of a data: URL.");
        return NULL;
    }
    char *text = ig_redact(cs->inst->redactor, raw);
    if (!text) {
        ig_fail(&cs->err, IG_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    size_t error_at = 0;
    cJSON *args = ig_json_parse(text, &error_at);
    free(text);
    if (!args || !cJSON_IsObject(args)) {
        if (args)
            ig_fail(&cs->err, IG_ERR_INVALID_JSON, NULL,
                    "the arguments must be a JSON object, not another JSON value");
        else
            ig_fail(&cs->err, IG_ERR_INVALID_JSON, NULL,
                    "the arguments are not valid JSON (error near byte %zu)", error_at);
        ig_error_hint(&cs->err, "Send one JSON object whose keys are the tool's "
                                "parameters, e.g. {\"prompt\": \"a red fox\"}.");
        cJSON_Delete(args);
        return NULL;
    }
    return args;
}

/* Replaces, at any depth, every string that is a data: URL or a URL with a
 * summary (base64 cut to its size, credentials and query strings dropped). */
static void summarise_refs(cJSON *node)
{
    for (cJSON *it = node->child; it; it = it->next) {
        if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
            summarise_refs(it);
            continue;
        }
        const char *text = cJSON_GetStringValue(it);
        if (!text || (strncmp(text, "data:", 5) && !strstr(text, "://")))
            continue;
        char summary[512];
        ig_image_ref_summary(text, summary, sizeof summary);
        cJSON_SetValuestring(it, summary);
    }
}

/* The caller's arguments for the result, without bulk data or credentials. */
static cJSON *requested_echo(const cJSON *args)
{
    cJSON *echo = cJSON_Duplicate(args, true);
    if (echo)
        summarise_refs(echo);
    return echo;
}

static cJSON *input_description(ig_image_role role, const ig_image *img)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "field", ig_image_role_field(role));
    cJSON_AddStringToObject(d, "id", img->id);
    cJSON_AddStringToObject(d, "source", ig_input_kind_name(img->kind));
    cJSON_AddStringToObject(d, "mimeType", img->info.mime_type);
    cJSON_AddNumberToObject(d, "width", img->info.width);
    cJSON_AddNumberToObject(d, "height", img->info.height);
    cJSON_AddNumberToObject(d, "bytes", (double)img->size);
    return d;
}

/* Fetches and decodes every image the request names. */
static int resolve_inputs(call_state *cs, ig_request *req)
{
    const ig_config *config = &cs->inst->config;
    ig_input_limits limits = {
        .max_bytes = config->max_input_bytes,
        .max_pixels = config->max_input_pixels,
        .fetch_timeout_ms = config->fetch_timeout_ms,
        .max_redirects = 5,
        .allow_private_urls = config->allow_private_urls,
    };
    cJSON *inputs = ig_result_get(cs->result, "inputs");
    for (int role = 0; role < IG_ROLE_COUNT; role++) {
        if (!req->image_refs[role])
            continue;
        const char *field = ig_image_role_field(role);
        report(cs, 0.1 + 0.1 * role, "reading inputs", field);
        if (ig_image_resolve(req->image_refs[role], field, &limits, cs->inst->store,
                             cs->cancel, &req->images[role], &cs->err) != 0)
            return -1;
        cJSON_AddItemToArray(inputs, input_description(role, &req->images[role]));
    }
    return 0;
}

/* The pipeline proper; stops at the first failure (recorded in cs->err).
 * Order: what needs nothing (arguments, rules, a pinned provider's fitness)
 * comes before what reads inputs (files, URLs, decoding), which comes before
 * routing (is any provider configured; then models, negotiation, budget)
 * and the provider calls. "No provider" comes after the inputs so that
 * input errors are reported on a machine without keys too. */
static void run_pipeline(call_state *cs, const char *args_json)
{
    ig_request req = {0};
    cJSON *args = NULL;
    int index = ig_tool_find(cs->tool);
    if (index < 0) {
        ig_tool_unknown_error(cs->tool, &cs->err);
        return;
    }
    report(cs, 0.0, "validating", "checking arguments");
    if (check_canceled(cs) || !(args = parse_args(cs, args_json)))
        goto done;
    ig_result_put(cs->result, "requested", requested_echo(args));
    if (ig_schema_validate(ig_tool_schema(cs->inst->tools, index), args, &cs->err) ||
        ig_rules_build_request(ig_tool_at(index)->op, cs->tool, args,
                               &cs->inst->config, &req, cs->result, &cs->err) ||
        ig_route_preflight(&cs->inst->config, &req, &cs->err) ||
        resolve_inputs(cs, &req) || ig_rules_check_inputs(&req, &cs->err) ||
        check_canceled(cs))
        goto done;
    report(cs, 0.5, "routing", "choosing a provider");
    if (ig_route_available(&cs->inst->config, &req, &cs->err) == 0)
        ig_dispatch(cs->inst, &req, cs->cancel, provider_progress, cs, cs->result, &cs->err);
done:
    ig_request_clear(&req);
    cJSON_Delete(args);
}

char *ig_tool_call(ig_instance *inst, ig_job *job, const char *tool,
                   const char *args_json, int *final_state)
{
    double started = ig_backend_now_ms();
    /* The tool name is quoted in messages: no secret in it (arguments are
     * redacted in parse_args). */
    char *clean_tool = ig_redact(inst->redactor, tool ? tool : "");
    call_state cs = {
        .inst = inst,
        .job = job,
        .cancel = job ? ig_job_cancel_flag(job) : NULL,
        .tool = clean_tool ? clean_tool : "",
    };
    cs.result = ig_result_new(cs.tool);
    if (!clean_tool)
        ig_fail(&cs.err, IG_ERR_INTERNAL, NULL, "out of memory");
    else
        run_pipeline(&cs, args_json);

    if (cs.err.code == IG_OK) {
        ig_result_set_ok(cs.result);
        *final_state = AGENTOS_EXT_JOB_SUCCEEDED;
    } else {
        ig_result_set_error(cs.result, &cs.err);
        *final_state = cs.err.code == IG_ERR_CANCELED ? AGENTOS_EXT_JOB_CANCELED
                                                      : AGENTOS_EXT_JOB_FAILED;
        ig_instance_log(inst, AGENTOS_EXT_LOG_INFO, "%s: %s%s%s: %s", cs.tool,
                        ig_error_code_name(cs.err.code), cs.err.field[0] ? " in " : "",
                        cs.err.field, cs.err.message);
    }
    ig_result_put(cs.result, "durationMs", cJSON_CreateNumber(ig_backend_now_ms() - started));
    report(&cs, 1.0, "done", cs.err.code == IG_OK ? "succeeded" : "failed");
    char *text = ig_result_render(cs.result, inst->redactor);
    cJSON_Delete(cs.result);
    free(clean_tool);
    return text;
}
