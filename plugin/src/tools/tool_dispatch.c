/* tool_dispatch.c - see tool_dispatch.h. */
#include "tools/tool_dispatch.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/result.h"
#include "providers/fallback/fallback.h"

/* What every attempt of one call shares. */
typedef struct call_ctx {
    ig_instance *inst;
    const ig_request *req;
    const atomic_bool *cancel;
    ig_dispatch_progress_fn progress;
    void *progress_ctx;
} call_ctx;

/* Base URL without a trailing slash: config, env, else the provider's own. */
static void base_url_of(const ig_instance *inst, const ig_backend *backend, char *out,
                        size_t cap)
{
    const char *url = ig_config_base_url(&inst->config, backend->provider);
    snprintf(out, cap, "%s", url ? url : backend->default_base_url);
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '/')
        out[--len] = '\0';
}

/* ig_attempt_fn: one try of one candidate's backend. */
static int run_candidate(void *ctx, const ig_candidate *c, cJSON *result, ig_error *err)
{
    call_ctx *call = ctx;
    ig_instance *inst = call->inst;
    const char *name = ig_provider(c->provider)->name;
    char base_url[1024];
    base_url_of(inst, c->backend, base_url, sizeof base_url);
    ig_backend_ctx bctx = {
        .http = inst->http,
        .store = inst->store,
        .api_key = ig_config_api_key(&inst->config, c->provider),
        .base_url = base_url,
        .cancel = call->cancel,
        .timeout_ms = inst->config.providers[c->provider].timeout_ms,
        .poll_interval_ms = inst->config.providers[c->provider].poll_interval_ms,
        .progress = call->progress,
        .progress_ctx = call->progress_ctx,
        .state = inst->backend_state[c->provider],
    };
    /* maxSeconds caps every provider's own time limit. */
    if (call->req->max_seconds > 0 && call->req->max_seconds * 1000.0 < (double)bctx.timeout_ms)
        bctx.timeout_ms = (long)(call->req->max_seconds * 1000.0);
    ig_result_put(result, "provider", cJSON_CreateString(name));
    ig_result_put(result, "model", cJSON_CreateString(c->caps.model));
    ig_result_put(result, "applied", ig_applied_to_json(&c->applied, name));
    ig_result_put(result, "cost", ig_cost_to_json(&c->cost));
    ig_result_put(result, "warnings", cJSON_Duplicate(c->warnings, true));
    double started = ig_backend_now_ms();
    int rc = c->backend->run(&bctx, call->req, &c->applied, result, err);
    if (rc == 0) /* the speed priority learns from every successful call */
        ig_latency_observe(inst->routing, c->provider, call->req->op,
                           (ig_backend_now_ms() - started) / 1000.0,
                           ig_latency_seed_s(&inst->config, c->provider, call->req->op));
    return rc;
}

/* ig_fallback_event_fn: fallbacks reach the host as events and log lines. */
static void on_fallback(void *ctx, const cJSON *event)
{
    ig_instance *inst = ctx;
    ig_instance_event(inst, event);
    ig_instance_log(inst, AGENTOS_EXT_LOG_INFO, "image-generation: %s failed (%s), trying %s",
                    cJSON_GetStringValue(cJSON_GetObjectItem(event, "from")),
                    cJSON_GetStringValue(cJSON_GetObjectItem(event, "errorClass")),
                    cJSON_GetStringValue(cJSON_GetObjectItem(event, "to")));
}

int ig_dispatch(ig_instance *inst, const ig_request *req, const atomic_bool *cancel,
                ig_dispatch_progress_fn progress, void *progress_ctx, cJSON *result,
                ig_error *err)
{
    ig_route_plan plan;
    int rc = ig_route_plan_build(&inst->config, inst->routing, req, &plan, err);
    ig_result_put(result, "routing", ig_route_plan_to_json(&plan));
    if (rc == 0) {
        call_ctx call = {inst, req, cancel, progress, progress_ctx};
        ig_fallback_env env = {
            .routing = &inst->config.routing,
            .state = inst->routing,
            .cancel = cancel,
            .attempt = run_candidate,
            .attempt_ctx = &call,
            .event = on_fallback,
            .event_ctx = inst,
        };
        rc = ig_fallback_run(&env, &plan, result, err);
    }
    ig_route_plan_free(&plan);
    return rc;
}
