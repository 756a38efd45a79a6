/* sd_comfy_server.c - what a ComfyUI server has (/object_info), input
 * uploads (/upload/image) and output downloads (/view); see sd_comfy.h. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_text.h"
#include "providers/sd_local/sd_comfy.h"

#define INFO_MAX (4u << 20)

/* GET /object_info/<node>: the node's description, or NULL when the server
 * lacks the node (it answers {}). *doc owns what is returned. */
static int node_info(const ig_backend_ctx *ctx, const char *node, double deadline,
                     cJSON **doc, const cJSON **out, ig_error *err)
{
    char path[160];
    snprintf(path, sizeof path, "/object_info/%s", node);
    ig_http_response res = {0};
    *doc = NULL;
    *out = NULL;
    int rc = ig_sd_local_json(ctx, "GET", path, NULL, INFO_MAX, deadline, &res, err);
    if (rc == 0 && res.status != 200) {
        ig_comfy_http_error("GET /object_info", res.status, res.retry_after_s, res.body, err);
        rc = -1;
    } else if (rc == 0) {
        *doc = ig_json_parse(res.body, NULL);
        if (!cJSON_IsObject(*doc))
            rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, IG_COMFY ": ComfyUI "
                         "answered GET %s with something that is not a JSON object", path);
        else
            *out = cJSON_GetObjectItemCaseSensitive(*doc, node);
    }
    ig_http_response_free(&res);
    return rc;
}

/* The choices of a combo input: [[a, b], {...}] (older servers) or
 * ["COMBO", {"options": [a, b]}] (newer ones). */
static const cJSON *combo_options(const cJSON *node, const char *input)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(node, "input");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(in, "required"), input);
    const cJSON *first = cJSON_GetArrayItem(spec, 0);
    if (cJSON_IsArray(first))
        return first;
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(spec, 1), "options");
}

/* Whether name says it enlarges by factor ("x4", "4x"), any case. */
static bool names_factor(const char *name, int factor)
{
    for (const char *p = name; *p; p++) {
        if (p[0] - '0' != factor)
            continue;
        bool before = p > name && tolower((unsigned char)p[-1]) == 'x' &&
                      (p - 1 == name || !isdigit((unsigned char)p[-2]));
        bool after = tolower((unsigned char)p[1]) == 'x' &&
                     (p == name || !isdigit((unsigned char)p[-1]));
        if ((before && !isdigit((unsigned char)p[1])) || after)
            return true;
    }
    return false;
}

/* The first option (preferring one whose name says factor when > 0) into
 * out; false when there is none. */
static bool pick(const cJSON *options, int factor, char *out, size_t cap)
{
    const cJSON *chosen = NULL, *o;
    cJSON_ArrayForEach(o, options)
    {
        if (!cJSON_IsString(o))
            continue;
        if (!chosen)
            chosen = o;
        if (factor > 0 && names_factor(o->valuestring, factor)) {
            chosen = o;
            break;
        }
    }
    if (chosen)
        snprintf(out, cap, "%s", chosen->valuestring);
    return chosen != NULL;
}

/* The model of a loader node: wanted unless it is the placeholder. */
static int choose(const ig_backend_ctx *ctx, const char *node, const char *input,
                  const char *wanted, const char *placeholder, int factor, double deadline,
                  char *out, size_t cap, ig_error *err)
{
    if (wanted && strcmp(wanted, placeholder)) {
        snprintf(out, cap, "%s", wanted); /* ComfyUI itself says if it has it */
        return 0;
    }
    cJSON *doc;
    const cJSON *info;
    if (node_info(ctx, node, deadline, &doc, &info, err) != 0)
        return -1;
    bool found = pick(combo_options(info, input), factor, out, cap);
    cJSON_Delete(doc);
    if (found)
        return 0;
    bool upscaler = !strcmp(placeholder, IG_SD_MODEL_UPSCALER);
    ig_fail(err, IG_ERR_PROVIDER_UNAVAILABLE, NULL, IG_COMFY ": the ComfyUI server has no "
            "%s installed (%s lists no %s)", upscaler ? "upscale model" : "checkpoint", node,
            input);
    ig_error_hint(err, "Put a model into ComfyUI's %s folder and restart it%s.",
                  upscaler ? "models/upscale_models (e.g. RealESRGAN_x4plus.pth)"
                           : "models/checkpoints",
                  upscaler ? ", or let the embedded local provider upscale" : "");
    return -1;
}

int ig_comfy_server_info(const ig_backend_ctx *ctx, const ig_request *req,
                         const ig_applied *applied, double deadline,
                         comfy_server_info *info, ig_error *err)
{
    memset(info, 0, sizeof *info);
    const char *wanted = applied->caps->model;
    if (req->op == IG_OP_UPSCALE)
        return choose(ctx, "UpscaleModelLoader", "model_name", wanted, IG_SD_MODEL_UPSCALER,
                      req->scale, deadline, info->upscale_model, sizeof info->upscale_model,
                      err);
    if (choose(ctx, "CheckpointLoaderSimple", "ckpt_name", wanted, IG_SD_MODEL_CHECKPOINT, 0,
               deadline, info->checkpoint, sizeof info->checkpoint, err) != 0)
        return -1;
    if (req->op != IG_OP_GENERATE || !applied->send_reference ||
        !req->images[IG_ROLE_REFERENCE].data)
        return 0;
    static const char *const nodes[] = {"IPAdapterUnifiedLoader", "IPAdapterAdvanced"};
    info->ip_adapter = true;
    for (size_t i = 0; i < 2; i++) {
        cJSON *doc;
        const cJSON *node;
        if (node_info(ctx, nodes[i], deadline, &doc, &node, err) != 0)
            return -1;
        info->ip_adapter = info->ip_adapter && cJSON_IsObject(node);
        cJSON_Delete(doc);
    }
    return 0;
}

int ig_comfy_upload(const ig_backend_ctx *ctx, const ig_image *image, const char *name,
                    double deadline, char *out, size_t cap, ig_error *err)
{
    char url[2048], auth[1024];
    if (ig_sd_local_url(ctx, "/upload/image", url, sizeof url, err) != 0 ||
        ig_sd_local_auth(ctx, auth, sizeof auth, err) != 0)
        return -1;
    const char *headers[] = {"Accept: application/json", auth[0] ? auth : NULL, NULL};
    const ig_http_part parts[] = {
        {.name = "image", .data = image->data, .size = image->size, .filename = name,
         .content_type = image->info.mime_type},
        {.name = "type", .value = "input"},
        {.name = "overwrite", .value = "true"},
    };
    ig_http_request hreq = {
        .method = "POST", .url = url, .headers = headers, .parts = parts, .n_parts = 3,
        .cancel = ctx->cancel, .max_response_bytes = 1u << 20, .provider = IG_COMFY,
        .no_proxy = true, /* local only: see sd_local.h */
    };
    ig_http_response res = {0};
    int rc = ig_backend_perform(ctx, &hreq, deadline, &res, err);
    explicit_bzero(auth, sizeof auth);
    if (rc == 0 && res.status != 200) {
        ig_comfy_http_error("POST /upload/image", res.status, res.retry_after_s, res.body,
                            err);
        rc = -1;
    } else if (rc == 0) {
        cJSON *doc = ig_json_parse(res.body, NULL);
        const char *kept = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "name"));
        const char *sub =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "subfolder"));
        if (!kept || !*kept)
            rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, IG_COMFY ": ComfyUI "
                         "answered the upload of %s without a name", name);
        else if (sub && *sub) /* LoadImage takes "subfolder/name" */
            snprintf(out, cap, "%s/%s", sub, kept);
        else
            snprintf(out, cap, "%s", kept);
        cJSON_Delete(doc);
    }
    ig_http_response_free(&res);
    return rc;
}

/* Appends "&key=<value percent-encoded>" to url; false when it does not
 * fit (url is then unusable: a cut file name would fetch another file). */
static bool query_arg(char *url, size_t cap, const char *key, const char *value)
{
    size_t n = strlen(url);
    int w = snprintf(url + n, cap - n, "%s%s=", strchr(url, '?') ? "&" : "?", key);
    if (w < 0 || (size_t)w >= cap - n)
        return false;
    n += (size_t)w;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (n + 4 > cap) /* room for "%XX" and the terminator */
            return false;
        if (isalnum(*p) || strchr("-_.~", *p))
            url[n++] = (char)*p;
        else
            n += (size_t)snprintf(url + n, cap - n, "%%%02X", *p);
    }
    url[n] = '\0';
    return true;
}

int ig_comfy_fetch(const ig_backend_ctx *ctx, const ig_request *req, const char *model,
                   const cJSON *image, double deadline, cJSON *result, ig_error *err)
{
    const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(image,
                                                                            "filename"));
    const char *sub = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(image,
                                                                           "subfolder"));
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(image, "type"));
    if (!file || !*file)
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, IG_COMFY ": ComfyUI's "
                       "history lists an output image without a filename");
    char url[3072], auth[1024];
    if (ig_sd_local_url(ctx, "/view", url, sizeof url, err) != 0)
        return -1;
    if (!query_arg(url, sizeof url, "filename", file) ||
        !query_arg(url, sizeof url, "subfolder", sub ? sub : "") ||
        !query_arg(url, sizeof url, "type", type ? type : "output"))
        return ig_fail(err, IG_ERR_INTERNAL, NULL, IG_COMFY ": the /view URL of output %.64s "
                       "is longer than %zu bytes", file, sizeof url - 1);
    if (ig_sd_local_auth(ctx, auth, sizeof auth, err) != 0)
        return -1;
    ig_store_writer *writer = ig_store_writer_begin(ctx->store, err);
    if (!writer) {
        explicit_bzero(auth, sizeof auth);
        return -1;
    }
    const char *headers[] = {auth[0] ? auth : NULL, NULL};
    ig_http_request hreq = {
        .url = url, .headers = headers, .cancel = ctx->cancel, .sink = ig_backend_writer_sink,
        .sink_ctx = writer, .provider = IG_COMFY, .max_response_bytes = 256u << 20,
        .no_proxy = true, /* local only: see sd_local.h */
    };
    ig_http_response res = {0};
    int rc = ig_backend_perform(ctx, &hreq, deadline, &res, err);
    explicit_bzero(auth, sizeof auth);
    if (rc == 0 && res.status == 404) {
        rc = ig_fail(err, IG_ERR_PROVIDER_ERROR, NULL, IG_COMFY ": GET /view: the output "
                     "image %s is no longer on the server (HTTP 404)", file);
        ig_error_hint(err, "Something removed ComfyUI's output file before it was fetched; "
                           "generate again.");
        err->http_status = 404;
    } else if (rc == 0 && res.status != 200) {
        ig_comfy_http_error("GET /view", res.status, res.retry_after_s, res.body, err);
        rc = -1;
    }
    ig_http_response_free(&res);
    if (rc != 0) {
        ig_store_writer_abort(writer);
        return -1;
    }
    return ig_backend_commit_image(writer, req, IG_COMFY, model, NULL, result, err);
}
