/* openai_errors.c - OpenAI error bodies to classified errors (openai.h). */
#include <cjson/cJSON.h>
#include <string.h>

#include "core/json_text.h"
#include "providers/openai/openai.h"

/* Codes OpenAI uses for refused prompts/images (GPT image vs dall-e). */
static bool is_moderation(const char *code)
{
    return code && (!strcmp(code, "moderation_blocked") ||
                    !strcmp(code, "content_policy_violation"));
}

static bool is_quota(const char *code, const char *type)
{
    return (code && (!strcmp(code, "insufficient_quota") ||
                     !strcmp(code, "billing_hard_limit_reached"))) ||
           (type && !strcmp(type, "insufficient_quota"));
}

void ig_openai_error(long status, double retry_after_s, const char *body, ig_error *err)
{
    cJSON *doc = body ? ig_json_parse(body, NULL) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
    const char *message = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "type"));
    const char *param = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "param"));
    ig_backend_http_error("openai", status, retry_after_s, message, err);
    if (is_moderation(code)) {
        err->code = IG_ERR_PROVIDER_PROMPT_REFUSED;
        err->retryable = false;
        ig_error_hint(err, "OpenAI's safety system refused the request; rephrase the "
                           "prompt (or change the input image) and try again.");
    } else if (is_quota(code, type)) {
        err->code = IG_ERR_PROVIDER_QUOTA;
        err->retryable = false;
        ig_error_hint(err, "The OpenAI account has no quota left; add credits or "
                           "use another provider.");
    }
    if (param && err->code == IG_ERR_PROVIDER_INVALID_REQUEST)
        ig_error_hint(err, "OpenAI refused the parameter \"%s\"; change or remove it "
                           "(providerOptions.openai may be the cause).", param);
    cJSON_Delete(doc);
}
