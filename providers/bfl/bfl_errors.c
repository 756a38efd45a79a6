/* bfl_errors.c - BFL answers and task outcomes to classified errors
 * (see bfl.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/json_text.h"
#include "providers/bfl/bfl.h"

void ig_bfl_error(long status, double retry_after_s, const char *body, ig_error *err)
{
    cJSON *doc = body ? ig_json_parse(body, NULL) : NULL;
    char message[600];
    ig_backend_fastapi_detail(cJSON_GetObjectItemCaseSensitive(doc, "detail"), message,
                              sizeof message);
    ig_backend_http_error("bfl", status, retry_after_s, message, err);
    if (status == 402)
        ig_error_hint(err, "The Black Forest Labs account has no credits left; add "
                           "credits at api.bfl.ai or use another provider.");
    else if (status == 429)
        ig_error_hint(err, "Black Forest Labs runs at most 24 tasks at once per key; wait "
                           "for running tasks, or use another provider.");
    cJSON_Delete(doc);
}

void ig_bfl_task_error(const char *task_id, const char *status, const char *details,
                       ig_error *err)
{
    const char *why = details && *details ? details : "no details";
    if (!strcmp(status, "Request Moderated")) {
        ig_fail(err, IG_ERR_PROVIDER_PROMPT_REFUSED, NULL,
                "bfl: task %s was refused by moderation before it ran (%s)", task_id, why);
        ig_error_hint(err, "Rephrase the prompt (or change the input image) and try again.");
    } else if (!strcmp(status, "Content Moderated")) {
        ig_fail(err, IG_ERR_PROVIDER_OUTPUT_REFUSED, NULL,
                "bfl: the image of task %s was withheld by moderation (%s)", task_id, why);
        ig_error_hint(err, "Rephrase the prompt, or raise providerOptions.bfl."
                           "safety_tolerance (0-6) if the content is acceptable.");
    } else {
        ig_fail(err, IG_ERR_PROVIDER_ERROR, NULL, "bfl: task %s ended with status \"%s\" "
                "(%s)", task_id, status, why);
        ig_error_hint(err, "The task failed on BFL's side; try again or use another "
                           "provider.");
        err->retryable = true;
    }
}
