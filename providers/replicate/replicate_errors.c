/* replicate_errors.c - Replicate answers and prediction outcomes to
 * classified errors (see replicate.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json_text.h"
#include "providers/replicate/replicate.h"

/* The seconds of "... resets in ~30s." in a throttling detail, or 0. */
static double resets_in(const char *detail)
{
    const char *at = detail ? strstr(detail, "resets in ~") : NULL;
    return at ? strtod(at + strlen("resets in ~"), NULL) : 0;
}

void ig_replicate_error(long status, double retry_after_s, const char *body, ig_error *err)
{
    cJSON *doc = body ? ig_json_parse(body, NULL) : NULL;
    const char *detail = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "detail"));
    const char *title = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "title"));
    char message[600];
    snprintf(message, sizeof message, "%s%s%s", title ? title : "", title && detail ? ": " : "",
             detail ? detail : "");
    if (status == 429 && retry_after_s <= 0)
        retry_after_s = resets_in(detail);
    ig_backend_http_error("replicate", status, retry_after_s, message, err);
    if (status == 402)
        ig_error_hint(err, "The Replicate account's billing needs attention (no credit or "
                           "spend limit reached); see replicate.com/account/billing, or use "
                           "another provider.");
    else if (status == 429)
        ig_error_hint(err, "Replicate throttled the token; wait retryAfterSeconds or use "
                           "another provider.");
    else if (status == 422)
        ig_error_hint(err, "Replicate rejected an input of the model; the message names it.");
    cJSON_Delete(doc);
}

/* Whether the error text is a safety refusal at all: an NSFW detection, or
 * the flag BFL's models on Replicate raise ("The input or output was
 * flagged as sensitive. ... (E005)"). */
static bool refusal(const char *error)
{
    return strcasestr(error, "NSFW") || strcasestr(error, "flagged as sensitive") ||
           strstr(error, "(E005)") ||
           (strcasestr(error, "prompt") &&
            (strcasestr(error, "flagged") || strcasestr(error, "safety") ||
             strcasestr(error, "moderat")));
}

/* Whether a refusal names the prompt or the input alone: then the request
 * itself was refused; "input or output" or an NSFW detection is about what
 * the model made. */
static bool input_refused(const char *error)
{
    if (strcasestr(error, "NSFW") || strcasestr(error, "output"))
        return false;
    return strcasestr(error, "prompt") || strcasestr(error, "input");
}

void ig_replicate_prediction_error(const char *id, const char *status, const char *error,
                                   ig_error *err)
{
    const char *why = error && *error ? error : "no error text";
    if (!strcmp(status, "canceled")) {
        ig_fail(err, IG_ERR_CANCELED, NULL, "replicate: prediction %s was canceled", id);
    } else if (!strcmp(status, "failed") && refusal(why) && !input_refused(why)) {
        ig_fail(err, IG_ERR_PROVIDER_OUTPUT_REFUSED, NULL, "replicate: prediction %s made an "
                "image the safety checker withheld (%s)", id, why);
        ig_error_hint(err, "Rephrase the prompt (or change the input image) and try again.");
    } else if (!strcmp(status, "failed") && refusal(why)) {
        ig_fail(err, IG_ERR_PROVIDER_PROMPT_REFUSED, NULL, "replicate: prediction %s was "
                "refused by moderation (%s)", id, why);
        ig_error_hint(err, "Rephrase the prompt and try again.");
    } else {
        ig_fail(err, IG_ERR_PROVIDER_ERROR, NULL, "replicate: prediction %s ended \"%s\" (%s)",
                id, status, why);
        ig_error_hint(err, "The prediction failed on Replicate's side; try again or use "
                           "another provider.");
        err->retryable = true;
    }
}
