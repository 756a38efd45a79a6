/* sd_comfy_errors.c - ComfyUI answers to classified errors (see
 * sd_comfy.h). Shapes from ComfyUI's server.py and execution.py. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/json_text.h"
#include "providers/sd_local/sd_comfy.h"

static const char *str(const cJSON *obj, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
    return s ? s : "";
}

/* "node 4 (KSampler): Value smaller than min: steps ..." for the first
 * failing node of a validation answer's node_errors. */
static void first_node_error(const cJSON *node_errors, char *out, size_t cap)
{
    out[0] = '\0';
    const cJSON *node = node_errors ? node_errors->child : NULL;
    if (!node || !node->string)
        return;
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(node, "errors"), 0);
    snprintf(out, cap, "node %s (%s): %s%s%s", node->string, str(node, "class_type"),
             str(e, "message"), *str(e, "details") ? ": " : "", str(e, "details"));
}

void ig_comfy_http_error(const char *what, long status, double retry_after_s,
                         const char *body, ig_error *err)
{
    cJSON *doc = body ? ig_json_parse(body, NULL) : NULL;
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(doc, "error");
    char nodes[400], message[700];
    first_node_error(cJSON_GetObjectItemCaseSensitive(doc, "node_errors"), nodes,
                     sizeof nodes);
    if (cJSON_IsObject(error))
        snprintf(message, sizeof message, "%s: %s%s%s%s", what, str(error, "message"),
                 *str(error, "details") ? " (" : "", str(error, "details"),
                 *str(error, "details") ? ")" : "");
    else if (cJSON_IsString(error))
        snprintf(message, sizeof message, "%s: %s", what, error->valuestring);
    else /* aiohttp's plain text ("404: Not Found") */
        snprintf(message, sizeof message, "%s: %.200s", what, body && !doc ? body : "");
    if (nodes[0]) {
        size_t n = strlen(message);
        snprintf(message + n, sizeof message - n, "; %s", nodes);
    }
    ig_backend_http_error(IG_COMFY, status, retry_after_s, message, err);
    if (status == 400 && nodes[0])
        ig_error_hint(err, "ComfyUI refused the workflow: a model name the server lacks, or "
                           "a custom node that is not installed; see the node named above.");
    else if (status == 401 || status == 403)
        ig_error_hint(err, "The server asks for credentials: set "
                           "providers.stable-diffusion-local.apiKey to \"user:password\".");
    cJSON_Delete(doc);
}

/* The body of the first status message of kind ("execution_error"). */
static const cJSON *message_of(const cJSON *status, const char *kind)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(status, "messages"))
    {
        const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(m, 0));
        if (name && !strcmp(name, kind))
            return cJSON_GetArrayItem(m, 1);
    }
    return NULL;
}

void ig_comfy_execution_error(const char *prompt_id, const cJSON *status, ig_error *err)
{
    const cJSON *failed = message_of(status, "execution_error");
    if (failed) {
        const char *type = str(failed, "exception_type");
        ig_fail(err, IG_ERR_PROVIDER_ERROR, NULL, IG_COMFY ": ComfyUI prompt %s failed in "
                "node %s (%s): %s%s%s", prompt_id, str(failed, "node_id"),
                str(failed, "node_type"), str(failed, "exception_message"),
                *type ? " - " : "", type);
        if (strstr(type, "OutOfMemory") || strstr(str(failed, "exception_message"),
                                                  "out of memory"))
            ig_error_hint(err, "The GPU ran out of memory: ask for a smaller size or fewer "
                               "images, or start ComfyUI with --lowvram.");
        else
            ig_error_hint(err, "See ComfyUI's console for the traceback.");
        err->retryable = true;
        return;
    }
    if (message_of(status, "execution_interrupted")) {
        ig_fail(err, IG_ERR_PROVIDER_ERROR, NULL, IG_COMFY ": ComfyUI prompt %s was "
                "interrupted on the server", prompt_id);
        ig_error_hint(err, "Someone pressed Cancel in ComfyUI (or called /interrupt); try "
                           "again.");
        err->retryable = true;
        return;
    }
    ig_fail(err, IG_ERR_PROVIDER_ERROR, NULL, IG_COMFY ": ComfyUI prompt %s ended with "
            "status \"%s\" and no output image", prompt_id, str(status, "status_str"));
    err->retryable = true;
}
