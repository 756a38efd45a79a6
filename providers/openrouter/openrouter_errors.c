/* openrouter_errors.c - OpenRouter error objects to classified errors
 * (see openrouter.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "providers/openrouter/openrouter.h"

/* "violence, hate" from metadata.reasons, for the moderation message. */
static void reasons_text(const cJSON *metadata, char *out, size_t cap)
{
    size_t used = 0;
    const cJSON *reason;
    out[0] = '\0';
    cJSON_ArrayForEach(reason, cJSON_GetObjectItemCaseSensitive(metadata, "reasons"))
    {
        if (!cJSON_IsString(reason))
            continue;
        int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", reason->valuestring);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
}

void ig_openrouter_error(long status, double retry_after_s, const cJSON *error,
                         ig_error *err)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    const char *message = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(error, "message"));
    const cJSON *metadata = cJSON_GetObjectItemCaseSensitive(error, "metadata");
    /* Inside a 200 the error's own code is the real status. */
    long effective = cJSON_IsNumber(code) && (status == 200 || status == 0)
                         ? (long)code->valuedouble
                         : status;
    if (effective < 400)
        effective = 500; /* an error without a usable code is a provider failure */
    ig_backend_http_error("openrouter", effective, retry_after_s, message, err);
    err->http_status = status;
    if (effective == 403) {
        char reasons[300];
        reasons_text(metadata, reasons, sizeof reasons);
        ig_error_clear(err); /* not the auth failure a bare 403 means */
        ig_fail(err, IG_ERR_PROVIDER_PROMPT_REFUSED, NULL, "openrouter: the input was "
                "flagged by moderation%s%s", reasons[0] ? ": " : "", reasons);
        ig_error_hint(err, "Rephrase the prompt (or change the input image) and try again.");
        err->http_status = status;
    } else if (effective == 402) {
        ig_error_hint(err, "The OpenRouter account has too few credits for this model; "
                           "add credits or use another provider.");
    } else if (effective == 502 || effective == 503) {
        ig_error_hint(err, "The model's upstream provider failed or none is available; "
                           "retry shortly, choose another model, or use another provider.");
    }
}
