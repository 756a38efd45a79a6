/* stability_errors.c - Stability AI error bodies to classified errors
 * (see stability.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/json_text.h"
#include "providers/stability/stability.h"

/* Joins the first few entries of "errors" (strings) into out. */
static void join_errors(const cJSON *errors, char *out, size_t cap)
{
    size_t used = 0;
    int count = 0;
    const cJSON *e;
    out[0] = '\0';
    cJSON_ArrayForEach(e, errors)
    {
        if (!cJSON_IsString(e) || count == 3)
            continue;
        int n = snprintf(out + used, cap - used, "%s%s", count ? "; " : "", e->valuestring);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
        count++;
    }
}

void ig_stability_error(long status, double retry_after_s, const char *body, ig_error *err)
{
    cJSON *doc = body ? ig_json_parse(body, NULL) : NULL;
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "name"));
    char message[600];
    join_errors(cJSON_GetObjectItemCaseSensitive(doc, "errors"), message, sizeof message);
    if (!message[0] && name)
        snprintf(message, sizeof message, "%s", name);
    ig_backend_http_error("stability", status, retry_after_s, message, err);
    if (name && !strcmp(name, "content_moderation")) {
        err->code = IG_ERR_PROVIDER_PROMPT_REFUSED;
        err->retryable = false;
        ig_error_hint(err, "Stability's moderation refused the prompt or an input image "
                           "(not charged); rephrase the prompt or change the image.");
    } else if (status == 402 || (name && strstr(name, "credit"))) {
        err->code = IG_ERR_PROVIDER_QUOTA;
        err->retryable = false;
        ig_error_hint(err, "The Stability account has no credits left; buy credits or "
                           "use another provider.");
    } else if (status == 413) {
        ig_error_hint(err, "Stability takes requests up to 10 MiB; send smaller input "
                           "images (JPEG or WebP, or fewer pixels).");
    }
    cJSON_Delete(doc);
}
