/*
 * openai_backend.c - runs generations, edits and variations against the
 * OpenAI Images API. Responses stream through the base64 sink into the
 * image store, so each image is on disk before the next request starts.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_text.h"
#include "core/result.h"
#include "providers/openai/openai_request.h"
#include "providers/transport/json_b64_sink.h"

#define MAX_SKELETON (1u << 20) /* the non-image part of a response */

static int build_body(const ig_request *req, const ig_applied *applied, int n,
                      ig_openai_body *body, cJSON *result, ig_error *err)
{
    switch (req->op) {
    case IG_OP_GENERATE:
        return ig_openai_generation_body(req, applied, n, body, result) ? 
               ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory") : 0;
    case IG_OP_EDIT:
        return ig_openai_edit_body(req, applied, n, body, result, err);
    case IG_OP_VARIATE:
        return ig_openai_variation_body(req, applied, n, body, result, err);
    default:
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "provider",
                       "OpenAI cannot %s images", ig_operation_name(req->op));
    }
}

/* Commits the images a successful response carried, in response order. A
 * bad item does not cost the good ones: the first error is reported after
 * every other image is stored. */
static int store_images(ig_json_b64_sink *sink, const char *skeleton,
                        const ig_request *req, const ig_applied *applied,
                        cJSON *result, ig_error *err)
{
    cJSON *doc = ig_json_parse(skeleton, NULL);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
    if (!cJSON_IsArray(data) || cJSON_GetArraySize(data) == 0) {
        cJSON_Delete(doc);
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                       "openai answered without any image (no \"data\" items)");
    }
    int rc = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, data)
    {
        const char *ref = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "b64_json"));
        const char *revised = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(item, "revised_prompt"));
        if (ig_backend_commit_ref(sink, ref, req, "openai", applied->caps->model, revised,
                                  result, err) != 0)
            rc = -1;
    }
    cJSON_Delete(doc);
    return rc;
}

/* One HTTP request for n images. */
static int one_request(const ig_backend_ctx *ctx, const ig_request *req,
                       const ig_applied *applied, int n, cJSON *result, ig_error *err)
{
    ig_openai_body body = {0};
    static const char *const image_keys[] = {"b64_json", NULL};
    ig_json_b64_sink *sink = NULL;
    ig_http_response res = {0};
    char url[2048], auth[1024];
    const char *headers[3] = {auth, NULL, NULL};
    int rc = -1;

    if (build_body(req, applied, n, &body, result, err) != 0)
        goto done;
    snprintf(url, sizeof url, "%s%s", ctx->base_url, body.path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", ctx->api_key);
    if (body.json)
        headers[1] = "Content-Type: application/json";
    sink = ig_json_b64_sink_new(ctx->store, image_keys, MAX_SKELETON, err);
    if (!sink)
        goto done;
    ig_http_request hreq = {
        .method = "POST", .url = url, .headers = headers,
        .body = body.json, .body_size = body.json ? strlen(body.json) : 0,
        .parts = body.form.parts, .n_parts = body.json ? 0 : body.form.n_parts,
        .timeout_ms = ctx->timeout_ms, .idle_timeout_ms = 180000, /* image models are slow */
        .cancel = ctx->cancel, .sink = ig_json_b64_sink_write, .sink_ctx = sink,
        .provider = "openai",
    };
    if (ig_http_perform(ctx->http, &hreq, &res, err) != 0) {
        ig_backend_salvage(sink, req, "openai", applied->caps->model, result);
        goto done;
    }
    if (res.status < 200 || res.status > 299) {
        ig_openai_error(res.status, res.retry_after_s, res.body, err);
        goto done;
    }
    const char *skeleton = ig_json_b64_sink_finish(sink, err);
    if (skeleton)
        rc = store_images(sink, skeleton, req, applied, result, err);
    else
        ig_backend_salvage(sink, req, "openai", applied->caps->model, result);
done:
    if (rc != 0 && err->code == IG_OK)
        ig_fail(err, IG_ERR_INTERNAL, NULL, "openai request failed");
    err->http_status = err->http_status ? err->http_status : res.status;
    ig_json_b64_sink_free(sink);
    ig_http_response_free(&res);
    ig_openai_body_clear(&body);
    memset(auth, 0, sizeof auth); /* do not leave the key on the stack */
    return rc;
}

static int openai_run(const ig_backend_ctx *ctx, const ig_request *req,
                      const ig_applied *applied, cJSON *result, ig_error *err)
{
    int remaining = applied->n, per_call = applied->caps->max_n;
    for (int i = 0; i < applied->requests; i++) {
        int n = remaining < per_call ? remaining : per_call;
        if (ctx->progress)
            ctx->progress(ctx->progress_ctx, (double)i / applied->requests,
                          "waiting for openai");
        if (one_request(ctx, req, applied, n, result, err) != 0)
            return -1;
        remaining -= n;
    }
    return 0;
}

const ig_backend ig_openai_backend = {
    .provider = IG_PROVIDER_OPENAI,
    .default_base_url = "https://api.openai.com/v1",
    .models = ig_openai_models,
    .default_model = ig_openai_default_model,
    .run = openai_run,
};
