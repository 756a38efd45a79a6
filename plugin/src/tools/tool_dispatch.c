/* tool_dispatch.c - see tool_dispatch.h. */
#include "tools/tool_dispatch.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/result.h"
#include "providers/backends.h"
#include "providers/negotiate.h"

/* True when the model can do the request's operation (and edit mode). */
static bool model_fits(const ig_model_caps *caps, const ig_request *req)
{
    return (caps->operations & IG_OP_BIT(req->op)) &&
           (req->op != IG_OP_EDIT || (caps->edit_modes & IG_MODE_BIT(req->mode)));
}

/* The model to use: the request's, else the config's default when it can do
 * this operation, else the backend's default for the operation. An unknown
 * model name is sent as given with the default model's capabilities
 * (providers add models faster than we do). */
static void choose_model(const ig_instance *inst, const ig_backend *backend,
                         const ig_request *req, ig_model_caps *caps, cJSON *result)
{
    const char *fallback = backend->default_model(req->op, req);
    const char *configured = inst->config.providers[backend->provider].model;
    const char *wanted = req->model;
    if (!wanted && configured) {
        const ig_model_caps *c = ig_backend_model(backend, configured);
        if (!c || model_fits(c, req))
            wanted = configured;
        else
            ig_result_warn(result, "model", "the configured default model \"%s\" cannot "
                           "%s images; %s was used", configured,
                           ig_operation_name(req->op), fallback);
    }
    const ig_model_caps *known = ig_backend_model(backend, wanted ? wanted : fallback);
    if (known) {
        *caps = *known;
        return;
    }
    *caps = *ig_backend_model(backend, fallback);
    caps->model = wanted;
    ig_result_warn(result, "model",
                   "model \"%s\" is not in this extension's table for %s; it was sent "
                   "as given, assuming it behaves like %s", wanted,
                   ig_provider(backend->provider)->name, fallback);
}

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

static void add_attempt(cJSON *result, const char *provider, const char *model,
                        const ig_error *err, double ms)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "provider", provider);
    cJSON_AddStringToObject(a, "model", model);
    cJSON_AddStringToObject(a, "outcome", err->code == IG_OK ? "succeeded" : "failed");
    if (err->code != IG_OK)
        cJSON_AddStringToObject(a, "errorClass", ig_error_code_name(err->code));
    else
        cJSON_AddNullToObject(a, "errorClass");
    if (err->http_status)
        cJSON_AddNumberToObject(a, "httpStatus", (double)err->http_status);
    else
        cJSON_AddNullToObject(a, "httpStatus");
    cJSON_AddNumberToObject(a, "ms", ms);
    cJSON_AddItemToArray(ig_result_get(result, "attempts"), a);
}

int ig_dispatch(ig_instance *inst, const ig_request *req, int provider,
                const atomic_bool *cancel, ig_dispatch_progress_fn progress,
                void *progress_ctx, cJSON *result, ig_error *err)
{
    const ig_backend *backend = ig_backend_for(provider);
    const char *name = ig_provider(provider)->name;
    ig_model_caps caps;
    choose_model(inst, backend, req, &caps, result);
    ig_applied applied;
    if (ig_negotiate(&caps, req, &applied, ig_result_get(result, "warnings"), err) != 0)
        return -1;
    char base_url[1024];
    base_url_of(inst, backend, base_url, sizeof base_url);
    ig_backend_ctx ctx = {
        .http = inst->http,
        .store = inst->store,
        .api_key = ig_config_api_key(&inst->config, provider),
        .base_url = base_url,
        .cancel = cancel,
        .timeout_ms = inst->config.providers[provider].timeout_ms,
        .poll_interval_ms = inst->config.providers[provider].poll_interval_ms,
        .progress = progress,
        .progress_ctx = progress_ctx,
        .state = inst->backend_state[provider],
    };
    /* maxSeconds caps every provider's own time limit. */
    if (req->max_seconds > 0 && req->max_seconds * 1000.0 < (double)ctx.timeout_ms)
        ctx.timeout_ms = (long)(req->max_seconds * 1000.0);
    ig_result_put(result, "provider", cJSON_CreateString(name));
    ig_result_put(result, "model", cJSON_CreateString(caps.model));
    ig_result_put(result, "applied", ig_applied_to_json(&applied, name));
    /* A provider is called from here on: say so, and that no price table
     * exists yet, rather than report a cost of zero. */
    cJSON *cost = cJSON_CreateObject();
    cJSON_AddNullToObject(cost, "estimatedUsd");
    cJSON_AddStringToObject(cost, "currency", "USD");
    cJSON_AddStringToObject(cost, "note", "not estimated: this build has no price table "
                                          "yet; the provider may charge for this call");
    ig_result_put(result, "cost", cost);
    double started = ig_backend_now_ms();
    int rc = backend->run(&ctx, req, &applied, result, err);
    /* A backend may settle the model while running (local's "auto"). */
    const char *ran = cJSON_GetStringValue(ig_result_get(result, "model"));
    add_attempt(result, name, ran ? ran : caps.model, err, ig_backend_now_ms() - started);
    return rc;
}
