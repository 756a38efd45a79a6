/* backend.c - helpers shared by every backend (see backend.h). */
#include "providers/backend.h"

#include <cjson/cJSON.h>
#include <string.h>

const ig_model_caps *ig_backend_model(const ig_backend *backend, const char *model)
{
    for (const ig_model_caps *m = backend->models; model && m->model; m++)
        if (!strcmp(m->model, model))
            return m;
    return NULL;
}

void ig_backend_http_error(const char *provider, long status, double retry_after_s,
                           const char *message, ig_error *err)
{
    ig_error_code code;
    bool retryable = false;
    const char *hint;
    if (status == 401 || status == 403) {
        code = IG_ERR_PROVIDER_AUTH;
        hint = "Check the provider's API key and that it has access to this model.";
    } else if (status == 402) {
        code = IG_ERR_PROVIDER_QUOTA;
        hint = "The account has no credits left; top it up or use another provider.";
    } else if (status == 429) {
        code = IG_ERR_PROVIDER_RATE_LIMITED;
        retryable = true;
        hint = "Wait before retrying (see retryAfterSeconds), or use another provider.";
    } else if (status == 408) {
        code = IG_ERR_PROVIDER_TIMEOUT;
        retryable = true;
        hint = "The provider timed out; retry shortly or use another provider.";
    } else if (status >= 500) {
        code = IG_ERR_PROVIDER_ERROR;
        retryable = true;
        hint = "The provider failed on its side; retry shortly or use another provider.";
    } else {
        code = IG_ERR_PROVIDER_INVALID_REQUEST;
        hint = "The provider rejected the request; fix what its message names.";
    }
    /* Auth failures echo (part of) the key back, e.g. "sk-*****3456": keep
     * the provider's words out of the result for those. */
    if (code == IG_ERR_PROVIDER_AUTH)
        ig_fail(err, code, NULL, "%s answered HTTP %ld: the API key was refused",
                provider, status);
    else
        ig_fail(err, code, NULL, "%s answered HTTP %ld: %s", provider, status,
                message && *message ? message : "(no message)");
    ig_error_hint(err, "%s", hint);
    err->retryable = retryable;
    err->http_status = status;
    err->retry_after_s = retry_after_s > 0 ? retry_after_s : 0;
}

cJSON *ig_backend_image_meta(const ig_request *req, const char *provider,
                             const char *model, const char *revised_prompt)
{
    static const char *const modes[] = {NULL, "img2img", "inpaint", "outpaint"};
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "tool", req->tool);
    if (req->prompt)
        cJSON_AddStringToObject(meta, "prompt", req->prompt);
    if (revised_prompt)
        cJSON_AddStringToObject(meta, "revisedPrompt", revised_prompt);
    if (req->negative_prompt)
        cJSON_AddStringToObject(meta, "negativePrompt", req->negative_prompt);
    cJSON_AddStringToObject(meta, "provider", provider);
    cJSON_AddStringToObject(meta, "model", model);
    if (req->has_seed)
        cJSON_AddNumberToObject(meta, "seed", req->seed);
    if (req->op == IG_OP_EDIT && modes[req->mode])
        cJSON_AddStringToObject(meta, "mode", modes[req->mode]);
    cJSON *parents = cJSON_AddArrayToObject(meta, "parents");
    for (int role = 0; role < IG_ROLE_COUNT; role++)
        if (req->images[role].data)
            cJSON_AddItemToArray(parents, cJSON_CreateString(req->images[role].id));
    return meta;
}
