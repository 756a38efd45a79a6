/* fal_errors.c - fal's failed answers to classified errors (see fal.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/json_text.h"
#include "providers/fal/fal.h"

/* Whether any entry of a FastAPI "detail" list is a content_policy_violation. */
static bool policy_violation(const cJSON *detail)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, detail)
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "type"));
        if (type && !strcmp(type, "content_policy_violation"))
            return true;
    }
    return false;
}

/* X-Fal-Retryable: false. The fallback layer retries by code, not by
 * err->retryable, so a server error fal says will fail again becomes
 * "unavailable": the call moves on to the next provider at once. */
static void not_retryable(long status, ig_error *err)
{
    err->retryable = false;
    if (status < 500)
        return;
    err->code = IG_ERR_PROVIDER_UNAVAILABLE;
    size_t len = strlen(err->message);
    snprintf(err->message + len, sizeof err->message - len,
             " (fal marked it not retryable: X-Fal-Retryable: false)");
}

void ig_fal_error(long status, double retry_after_s, const char *retryable_header,
                  const char *body, ig_error *err)
{
    cJSON *doc = body ? ig_json_parse(body, NULL) : NULL;
    char message[600];
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(doc, "detail");
    ig_backend_fastapi_detail(detail, message, sizeof message);
    bool policy = policy_violation(detail);
    cJSON_Delete(doc);
    if (policy) {
        ig_fail(err, IG_ERR_PROVIDER_PROMPT_REFUSED, NULL,
                "fal refused the request under its content policy (%s)", message);
        ig_error_hint(err, "Rephrase the prompt (or change the input image) and try again.");
        err->http_status = status;
        return;
    }
    ig_backend_http_error("fal", status, retry_after_s, message, err);
    if (status == 403 && strstr(message, "Exhausted balance")) {
        /* fal locks an account without balance with a 403, not a 402. */
        err->code = IG_ERR_PROVIDER_QUOTA;
        err->retryable = false;
        snprintf(err->message, sizeof err->message, "fal answered HTTP 403: the account's "
                 "balance is exhausted");
    }
    if (status == 429)
        ig_error_hint(err, "fal limits concurrent requests per key; wait for running "
                           "requests, or use another provider.");
    else if (status == 402 || status == 403)
        ig_error_hint(err, "Check FAL_API_KEY and that the fal account has a balance; "
                           "top it up at fal.ai/dashboard/billing or use another provider.");
    /* fal says itself whether a retry can help. */
    if (retryable_header && !strcmp(retryable_header, "true"))
        err->retryable = true;
    else if (retryable_header && !strcmp(retryable_header, "false"))
        not_retryable(status, err);
}
