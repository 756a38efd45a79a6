/*
 * openrouter_backend.c - asks an OpenRouter image model through chat
 * completions, one image per request. The answer streams through the base64
 * sink, which pulls the data URLs out of message.images[].image_url.url
 * into the store; the small rest says whether it was an error (OpenRouter
 * also reports errors inside HTTP 200s), what the model said, and the cost.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/json_text.h"
#include "core/result.h"
#include "providers/openrouter/openrouter.h"
#include "providers/transport/json_b64_sink.h"

#define MAX_SKELETON (256u * 1024)
#define MAX_QUOTED 300 /* characters of the model's text quoted in an error */

/* Adds usage.cost to result.cost.actualUsd (summed over requests). */
static void add_cost(cJSON *result, const cJSON *doc)
{
    const cJSON *cost = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "usage"), "cost");
    cJSON *out = ig_result_get(result, "cost");
    if (!cJSON_IsNumber(cost) || !cJSON_IsObject(out))
        return;
    cJSON *actual = cJSON_GetObjectItemCaseSensitive(out, "actualUsd");
    double sum = cost->valuedouble + (cJSON_IsNumber(actual) ? actual->valuedouble : 0);
    cJSON_DeleteItemFromObjectCaseSensitive(out, "actualUsd");
    cJSON_AddNumberToObject(out, "actualUsd", sum);
    cJSON_DeleteItemFromObjectCaseSensitive(out, "note");
    cJSON_AddStringToObject(out, "note", "actualUsd is what OpenRouter reported in "
                                         "usage.cost for this call");
}

/* A choice without images: a refusal, or the model answered in words. */
static int no_image(const cJSON *choice, ig_error *err)
{
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(choice, "message");
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(message, "content"));
    const char *native = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(choice, "native_finish_reason"));
    if (native && (strstr(native, "SAFETY") || strstr(native, "PROHIBITED"))) {
        ig_fail(err, IG_ERR_PROVIDER_OUTPUT_REFUSED, NULL, "openrouter: the model withheld "
                "the image (%s)", native);
        ig_error_hint(err, "Rephrase the prompt and try again.");
        return -1;
    }
    ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "openrouter: the model answered "
            "without an image%s%.*s%s", text && *text ? ": \"" : "", MAX_QUOTED,
            text ? text : "", text && *text ? "\"" : "");
    ig_error_hint(err, "Ask explicitly for a picture (\"Generate an image of ...\"), or "
                       "use another model.");
    err->retryable = true;
    return -1;
}

/* Commits the images the skeleton's choices point at. */
static int store_images(ig_json_b64_sink *sink, const cJSON *doc, const ig_request *req,
                        const ig_applied *applied, cJSON *result, ig_error *err)
{
    const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "choices"), 0);
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(choice, "message");
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(message, "images");
    if (cJSON_GetArraySize(images) == 0)
        return no_image(choice, err);
    int rc = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, images)
    {
        const char *ref = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(item, "image_url"), "url"));
        if (ig_backend_commit_ref(sink, ref, req, "openrouter", applied->caps->model, NULL,
                                  result, err) != 0)
            rc = -1;
    }
    return rc;
}

static int one_request(const ig_backend_ctx *ctx, const ig_request *req,
                       const ig_applied *applied, const char *body, cJSON *result,
                       ig_error *err)
{
    static const char *const image_keys[] = {"url?", NULL};
    char url[1400], auth[1024];
    snprintf(url, sizeof url, "%s/chat/completions", ctx->base_url);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", ctx->api_key);
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    ig_http_response res = {0};
    cJSON *doc = NULL;
    int rc = -1;
    ig_json_b64_sink *sink = ig_json_b64_sink_new(ctx->store, image_keys, MAX_SKELETON, err);
    if (!sink)
        goto done;
    ig_http_request hreq = {
        .method = "POST", .url = url, .headers = headers, .body = body,
        .body_size = strlen(body), .timeout_ms = ctx->timeout_ms, .idle_timeout_ms = 180000,
        .cancel = ctx->cancel, .sink = ig_json_b64_sink_write, .sink_ctx = sink,
        .provider = "openrouter",
    };
    if (ig_http_perform(ctx->http, &hreq, &res, err) != 0)
        goto done;
    if (res.status < 200 || res.status > 299) {
        cJSON *error_doc = ig_json_parse(res.body ? res.body : "", NULL);
        ig_openrouter_error(res.status, res.retry_after_s,
                            cJSON_GetObjectItemCaseSensitive(error_doc, "error"), err);
        cJSON_Delete(error_doc);
        goto done;
    }
    const char *skeleton = ig_json_b64_sink_finish(sink, err);
    doc = skeleton ? ig_json_parse(skeleton, NULL) : NULL;
    if (!doc)
        goto done;
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(doc, "error");
    const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "choices"), 0);
    if (!error)
        error = cJSON_GetObjectItemCaseSensitive(choice, "error");
    add_cost(result, doc);
    if (error) /* an error inside HTTP 200 */
        ig_openrouter_error(res.status, res.retry_after_s, error, err);
    else
        rc = store_images(sink, doc, req, applied, result, err);
done:
    if (rc != 0 && err->code == IG_OK)
        ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "openrouter sent a malformed answer");
    err->http_status = err->http_status ? err->http_status : res.status;
    cJSON_Delete(doc);
    ig_json_b64_sink_free(sink);
    ig_http_response_free(&res);
    memset(auth, 0, sizeof auth);
    return rc;
}

static int openrouter_run(const ig_backend_ctx *ctx, const ig_request *req,
                          const ig_applied *applied, cJSON *result, ig_error *err)
{
    char *body = ig_openrouter_body(req, applied, result, err);
    if (!body)
        return -1;
    int rc = 0;
    for (int i = 0; i < applied->requests && rc == 0; i++) {
        if (ctx->progress)
            ctx->progress(ctx->progress_ctx, (double)i / applied->requests,
                          "waiting for openrouter");
        rc = one_request(ctx, req, applied, body, result, err);
    }
    cJSON_free(body);
    return rc;
}

const ig_backend ig_openrouter_backend = {
    .provider = IG_PROVIDER_OPENROUTER,
    .default_base_url = "https://openrouter.ai/api/v1",
    .models = ig_openrouter_models,
    .default_model = ig_openrouter_default_model,
    .run = openrouter_run,
};
