/* sd_a1111_choose.c - picking what the server has: the upscaler
 * (GET /sdapi/v1/upscalers) and the ControlNet IP-Adapter model for a
 * reference image (GET /controlnet/model_list). See sd_a1111.h. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/json_text.h"
#include "core/result.h"
#include "providers/sd_local/sd_a1111.h"

#define LIST_TIMEOUT_MS 15000.0
#define DEFAULT_UPSCALER "R-ESRGAN 4x+"

/* GETs path; returns the parsed 200 answer, or NULL with *status (0 = no
 * answer, err filled). */
static cJSON *get_list(const ig_backend_ctx *ctx, const char *path, double deadline,
                       long *status, ig_error *err)
{
    double until = ig_backend_now_ms() + LIST_TIMEOUT_MS;
    ig_http_response res = {0};
    cJSON *doc = NULL;
    *status = 0;
    if (ig_sd_local_json(ctx, "GET", path, NULL, 4u << 20, until < deadline ? until : deadline,
                         &res, err) == 0) {
        *status = res.status;
        if (res.status == 200)
            doc = ig_json_parse(res.body ? res.body : "", NULL);
        else if (res.status != 404)
            ig_a1111_error(res.status, res.body, err);
        if (res.status == 200 && !doc)
            ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "stable-diffusion-local: "
                    "GET %s did not answer JSON", path);
    } else if (err->code == IG_ERR_PROVIDER_NETWORK) {
        ig_a1111_network_hint(err);
    }
    ig_http_response_free(&res);
    return doc;
}

/* The upscaler list's entry named name, or NULL. */
static const cJSON *find_upscaler(const cJSON *list, const char *name)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
        if (n && !strcmp(n, name))
            return item;
    }
    return NULL;
}

/* R-ESRGAN 4x+ when installed, else the first model-based upscaler, else
 * the first that is not "None". NULL when there is none. */
static const char *default_upscaler(const cJSON *list)
{
    if (find_upscaler(list, DEFAULT_UPSCALER))
        return DEFAULT_UPSCALER;
    const char *plain = NULL;
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
        if (!n || !strcmp(n, "None"))
            continue;
        if (strcmp(n, "Lanczos") && strcmp(n, "Nearest"))
            return n;
        if (!plain)
            plain = n;
    }
    return plain;
}

/* Names of the list for a message: "A, B, C". */
static void list_names(const cJSON *list, char *out, size_t cap)
{
    out[0] = '\0';
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
        size_t len = strlen(out);
        if (n && strcmp(n, "None"))
            snprintf(out + len, cap - len, "%s%s", len ? ", " : "", n);
    }
}

int ig_a1111_upscaler_pick(const ig_backend_ctx *ctx, const ig_request *req,
                           const ig_applied *applied, double deadline, char *out,
                           size_t cap, cJSON *result, ig_error *err)
{
    long status;
    cJSON *list = get_list(ctx, "/sdapi/v1/upscalers", deadline, &status, err);
    if (!list)
        return status == 404 ? ig_fail(err, IG_ERR_PROVIDER_INVALID_REQUEST, NULL,
                                       "stable-diffusion-local: this automatic1111 has no "
                                       "/sdapi/v1/upscalers") : -1;
    const char *model = applied->caps->model;
    bool named = model && strcmp(model, IG_SD_MODEL_UPSCALER);
    const char *pick = named && find_upscaler(list, model) ? model : NULL;
    char names[1024];
    list_names(list, names, sizeof names);
    int rc = 0;
    if (named && !pick && req->model) {
        rc = ig_fail(err, IG_ERR_PROVIDER_INVALID_REQUEST, "model", "automatic1111 has no "
                     "upscaler named \"%s\"; it has: %s", model, names);
        ig_error_hint(err, "Name one of those, or drop model to let the extension choose.");
    } else if (!pick) {
        pick = default_upscaler(list);
        if (!pick)
            rc = ig_fail(err, IG_ERR_PROVIDER_INVALID_REQUEST, NULL, "automatic1111 lists "
                         "no upscaler");
        else if (named) /* the config's default model is a checkpoint, say */
            ig_result_warn(result, "model", "automatic1111 has no upscaler named \"%s\"; "
                           "used %s", model, pick);
    }
    if (rc == 0)
        snprintf(out, cap, "%s", pick);
    cJSON_Delete(list);
    return rc;
}

/* The first model in names containing every one of need (case-insensitive)
 * and none of avoid (NULL = none), preferring one that says "xl" when xl. */
static const char *find_model(const cJSON *names, const char *const *need, const char *avoid,
                              bool xl)
{
    const char *fallback = NULL;
    const cJSON *item;
    cJSON_ArrayForEach(item, names)
    {
        const char *n = cJSON_GetStringValue(item);
        bool ok = n != NULL && (!avoid || !strcasestr(n, avoid));
        for (int i = 0; ok && need[i]; i++)
            ok = strcasestr(n, need[i]) != NULL;
        if (!ok)
            continue;
        if ((strcasestr(n, "xl") != NULL) == xl)
            return n;
        if (!fallback)
            fallback = n;
    }
    return fallback;
}

/* Per mode: FaceID Plus keeps the face (strict, balanced), the plain CLIP
 * IP-Adapter only the look (loose). Weights as in the README. */
static void mode_settings(ig_consistency mode, ig_a1111_reference *out)
{
    if (mode == IG_CONSISTENCY_STRICT) {
        out->weight = 1.0;
        out->control_mode = "ControlNet is more important";
    } else if (mode == IG_CONSISTENCY_LOOSE) {
        out->weight = 0.4;
        out->control_mode = "My prompt is more important";
    } else {
        out->weight = 0.7;
        out->control_mode = "Balanced";
    }
}

int ig_a1111_reference_pick(const ig_backend_ctx *ctx, const ig_request *req,
                            const char *checkpoint, double deadline,
                            ig_a1111_reference *out, cJSON *result, ig_error *err)
{
    memset(out, 0, sizeof *out);
    long status;
    cJSON *doc = get_list(ctx, "/controlnet/model_list", deadline, &status, err);
    if (!doc && status == 0)
        return -1;
    if (!doc) {
        ig_error_clear(err); /* the reference is optional: warn, go on */
        ig_result_warn(result, "referenceImageUrl", "not honoured: %s (GET "
                       "/controlnet/model_list answered %ld); install sd-webui-controlnet "
                       "with an IP-Adapter model", status == 404 ? "automatic1111 has no "
                       "ControlNet extension" : "ControlNet's models could not be listed",
                       status);
        return 0;
    }
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(doc, "model_list");
    bool xl = checkpoint && strcasestr(checkpoint, "xl");
    static const char *const faceid[] = {"faceid", "plus", NULL};
    static const char *const plain[] = {"ip-adapter", NULL};
    static const char *const plain2[] = {"ip_adapter", NULL};
    ig_consistency mode = req->consistency;
    const char *model = NULL;
    if (mode != IG_CONSISTENCY_LOOSE) {
        model = find_model(names, faceid, NULL, xl);
        if (!model)
            ig_result_warn(result, "consistencyMode", "automatic1111 has no IP-Adapter "
                           "FaceID Plus model, so the face is kept only loosely (plain "
                           "IP-Adapter)");
    }
    if (model) {
        out->module = "ip-adapter_face_id_plus";
    } else {
        model = find_model(names, plain, "faceid", xl);
        if (!model)
            model = find_model(names, plain2, "faceid", xl);
        out->module = model && strcasestr(model, "xl") ? "ip-adapter_clip_sdxl"
                                                       : "ip-adapter_clip_sd15";
    }
    if (model) {
        snprintf(out->model, sizeof out->model, "%s", model);
        mode_settings(mode, out);
        out->send = true;
    } else {
        ig_result_warn(result, "referenceImageUrl", "not honoured: ControlNet on "
                       "automatic1111 has no IP-Adapter model (models/ControlNet); "
                       "download ip-adapter-faceid-plus or ip-adapter_sd15");
    }
    cJSON_Delete(doc);
    return 0;
}
