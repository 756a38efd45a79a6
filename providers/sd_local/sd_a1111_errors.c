/* sd_a1111_errors.c - A1111 answers to classified errors (see sd_a1111.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/json_text.h"
#include "providers/sd_local/sd_a1111.h"

/* The message of an answer: "detail", else "errors" (str(exception)),
 * with "error" (the exception's type) in front when it says more. */
static void answer_text(const cJSON *doc, char *out, size_t cap, const char **type)
{
    char detail[500];
    ig_backend_fastapi_detail(cJSON_GetObjectItemCaseSensitive(doc, "detail"), detail,
                              sizeof detail);
    const char *errors = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "errors"));
    *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "error"));
    const char *what = detail[0] ? detail : errors && *errors ? errors : "";
    if (*type && strcmp(*type, "HTTPException") && *what)
        snprintf(out, cap, "%s: %s", *type, what);
    else
        snprintf(out, cap, "%s", what);
}

void ig_a1111_error(long status, const char *body, ig_error *err)
{
    cJSON *doc = body ? ig_json_parse(body, NULL) : NULL;
    char message[600];
    const char *type = NULL;
    answer_text(doc, message, sizeof message, &type);
    bool oom = (type && !strcmp(type, "OutOfMemoryError")) ||
               strcasestr(message, "out of memory") != NULL;
    bool no_upscaler = strstr(message, "could not find upscaler") != NULL;
    if (status == 401) {
        ig_fail(err, IG_ERR_PROVIDER_AUTH, NULL, "stable-diffusion-local answered HTTP 401: "
                "automatic1111 runs with --api-auth and refused the credentials");
        ig_error_hint(err, "Set imageGeneration.providers.stable-diffusion-local.apiKey "
                           "to \"user:password\" as given to --api-auth.");
        err->http_status = status;
    } else if (oom) {
        ig_fail(err, IG_ERR_PROVIDER_ERROR, NULL, "stable-diffusion-local answered HTTP "
                "%ld: the GPU ran out of memory (%s)", status, message);
        ig_error_hint(err, "Ask for a smaller size or fewer images (n), or restart "
                           "automatic1111 with --medvram / --lowvram.");
        err->http_status = status;
    } else if (no_upscaler) {
        ig_fail(err, IG_ERR_PROVIDER_INVALID_REQUEST, "model", "stable-diffusion-local "
                "answered HTTP %ld: %s", status, message);
        ig_error_hint(err, "Name one of the upscalers GET /sdapi/v1/upscalers lists, or "
                           "drop model to let the extension choose.");
        err->http_status = status;
    } else {
        ig_backend_http_error(IG_A1111_PROVIDER, status, -1, message, err);
        if (status == 404 && !strcmp(message, "Not Found"))
            ig_error_hint(err, "This server lacks that automatic1111 endpoint; start it "
                               "with --api (a recent version).");
    }
    cJSON_Delete(doc);
}

void ig_a1111_network_hint(ig_error *err)
{
    ig_error_hint(err, "automatic1111 stopped answering: check that it is still running "
                       "(webui.sh --api, default http://127.0.0.1:7860) and that "
                       "STABLE_DIFFUSION_LOCAL_BASE_URL points at it.");
}
