/*
 * stability_backend.c - runs Stability AI v2beta requests. Every answer is
 * asked for as JSON ({"image": base64, "finish_reason", "seed"}) so the
 * image streams through the base64 sink into the store together with the
 * seed and the content-filter verdict. Creative upscales are async: the
 * POST answers {"id"} and GET /v2beta/results/{id} answers 202 until done.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/json_text.h"
#include "core/result.h"
#include "providers/stability/stability.h"
#include "providers/transport/json_b64_sink.h"

#define MAX_SKELETON (64u * 1024)
#define POLL_RETRIES 3 /* a failed status request is asked again */

/* What one Stability answer carried. */
typedef struct stab_answer {
    ig_store_writer *image; /* owned until committed; NULL when none came */
    long status;            /* HTTP status of a 2xx answer */
    char finish_reason[32];
    bool has_seed;
    double seed;
    char id[128];           /* async job id */
} stab_answer;

/* Reads the non-image fields of a finished answer. */
static void read_skeleton(const char *skeleton, stab_answer *ans)
{
    cJSON *doc = ig_json_parse(skeleton, NULL);
    const char *reason =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "finish_reason"));
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "id"));
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(doc, "seed");
    snprintf(ans->finish_reason, sizeof ans->finish_reason, "%s", reason ? reason : "");
    snprintf(ans->id, sizeof ans->id, "%s", id ? id : "");
    ans->has_seed = cJSON_IsNumber(seed);
    ans->seed = ans->has_seed ? seed->valuedouble : 0;
    cJSON_Delete(doc);
}

/*
 * One HTTP exchange (POST with form, or GET when form is NULL). Returns 0
 * with *ans filled from a 2xx answer, or -1 with err; an image that arrived
 * whole before a failure is still handed back in ans->image.
 */
static int exchange(const ig_backend_ctx *ctx, const char *url, const ig_form *form,
                    long timeout_ms, stab_answer *ans, ig_error *err)
{
    static const char *const image_keys[] = {"image", NULL};
    char auth[1024];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", ctx->api_key);
    const char *headers[] = {auth, "Accept: application/json", NULL};
    ig_http_response res = {0};
    int rc = -1;
    ig_json_b64_sink *sink = ig_json_b64_sink_new(ctx->store, image_keys, MAX_SKELETON, err);
    if (!sink)
        goto done;
    ig_http_request hreq = {
        .method = form ? "POST" : "GET", .url = url, .headers = headers,
        .parts = form ? form->parts : NULL, .n_parts = form ? form->n_parts : 0,
        .timeout_ms = timeout_ms, .idle_timeout_ms = 180000, .cancel = ctx->cancel,
        .sink = ig_json_b64_sink_write, .sink_ctx = sink, .provider = "stability",
    };
    if (ig_http_perform(ctx->http, &hreq, &res, err) != 0)
        goto done;
    if (res.status < 200 || res.status > 299) {
        ig_stability_error(res.status, res.retry_after_s, res.body, err);
        goto done;
    }
    const char *skeleton = ig_json_b64_sink_finish(sink, err);
    if (!skeleton)
        goto done;
    read_skeleton(skeleton, ans);
    ans->status = res.status;
    rc = 0;
done:
    if (sink && ig_json_b64_sink_count(sink) > 0)
        ans->image = ig_json_b64_sink_take(sink, 0);
    err->http_status = err->http_status ? err->http_status : res.status;
    ig_json_b64_sink_free(sink);
    ig_http_response_free(&res);
    memset(auth, 0, sizeof auth);
    return rc;
}

/* Waits for a creative upscale: polls its result until the image comes. A
 * status request that fails transiently is asked again; the job itself is
 * never resubmitted (it is paid for). */
static int poll_result(const ig_backend_ctx *ctx, double deadline, stab_answer *ans,
                       ig_error *err)
{
    char url[1400], id[128];
    snprintf(id, sizeof id, "%s", ans->id);
    snprintf(url, sizeof url, "%s/v2beta/results/%s", ctx->base_url, id);
    int failed_polls = 0;
    for (int poll = 1;; poll++) {
        if (ig_backend_sleep(ctx, ctx->poll_interval_ms, err) != 0)
            return -1;
        double left = deadline - ig_backend_now_ms();
        if (left <= 0) {
            ig_fail(err, IG_ERR_PROVIDER_TIMEOUT, NULL, "stability: upscale job %s was not "
                    "done after %ld s", id, ctx->timeout_ms / 1000);
            ig_error_hint(err, "Stability keeps the result for 24 hours; raise "
                               "providers.stability.timeoutMs, or retry later.");
            return -1;
        }
        if (ctx->progress)
            ctx->progress(ctx->progress_ctx, 0.5, "waiting for stability's upscale job");
        memset(ans, 0, sizeof *ans);
        ig_error_clear(err);
        if (exchange(ctx, url, NULL, (long)left, ans, err) != 0) {
            if (err->http_status == 404) {
                ig_error_clear(err); /* replace the generic 404 classification */
                ig_fail(err, IG_ERR_PROVIDER_ERROR, NULL, "stability: the result of job %s "
                        "is gone (results are kept 24 hours)", id);
                ig_error_hint(err, "Upscale again; the lost job was charged.");
                err->http_status = 404;
                return -1;
            }
            if (ans->image || !ig_backend_poll_retryable(err) ||
                ++failed_polls > POLL_RETRIES)
                return -1;
            continue;
        }
        if (ans->image)
            return 0;
        if (ans->status != 202)
            return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "stability answered "
                           "poll %d of job %s with HTTP %ld but no image", poll, id,
                           ans->status);
    }
}

/* Commits the answer's image with its seed and puts it in the result. */
static int keep_image(const ig_backend_ctx *ctx, const ig_request *req,
                      const ig_applied *applied, stab_answer *ans, cJSON *result,
                      ig_error *err)
{
    cJSON *meta = ig_backend_image_meta(req, "stability", applied->caps->model, NULL);
    if (ans->has_seed) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "seed");
        cJSON_AddNumberToObject(meta, "seed", ans->seed);
    }
    ig_stored_image stored;
    int rc = ig_store_writer_commit(ans->image, meta, &stored, err);
    ans->image = NULL;
    cJSON_Delete(meta);
    if (rc != 0) {
        if (err->code == IG_ERR_IMAGE_UNREADABLE)
            err->code = IG_ERR_PROVIDER_BAD_RESPONSE;
        return -1;
    }
    if (req->op == IG_OP_UPSCALE)
        rc = ig_stability_finish_upscale(ctx->store, req, applied, &stored, result, err);
    else
        ig_result_add_image(result, &stored);
    cJSON *images = ig_result_get(result, "images");
    cJSON *last = cJSON_GetArrayItem(images, cJSON_GetArraySize(images) - 1);
    if (rc == 0 && ans->has_seed && last)
        cJSON_AddNumberToObject(last, "seed", ans->seed);
    if (!strcmp(ans->finish_reason, "CONTENT_FILTERED"))
        ig_result_warn(result, "images", "Stability's content filter blurred image %s; "
                       "rephrase the prompt if that was not intended", stored.id);
    return rc;
}

/* One image: build, send, wait if async, store. */
static int one_image(const ig_backend_ctx *ctx, const ig_request *req,
                     const ig_applied *applied, double deadline, cJSON *result,
                     ig_error *err)
{
    ig_stability_call call;
    if (ig_stability_build(req, applied, &call, result, err) != 0)
        return -1;
    if (call.form.overflow)
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "providerOptions.stability",
                       "too many form fields (at most %d)", IG_FORM_MAX_PARTS);
    char url[1400];
    snprintf(url, sizeof url, "%s%s", ctx->base_url, call.path);
    stab_answer ans = {0};
    int rc = exchange(ctx, url, &call.form, (long)(deadline - ig_backend_now_ms()), &ans, err);
    if (rc == 0 && call.async && !ans.image) {
        if (!ans.id[0])
            return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                           "stability accepted the upscale but sent no job id");
        rc = poll_result(ctx, deadline, &ans, err);
    } else if (rc == 0 && !ans.image) {
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                       "stability answered without an image");
    }
    if (!ans.image)
        return rc;
    ig_error kept_err = *err;
    if (keep_image(ctx, req, applied, &ans, result, err) != 0)
        return -1;
    if (rc != 0) { /* the image arrived whole, the answer did not */
        *err = kept_err;
        ig_result_warn(result, "images", "the response broke off after the image "
                       "arrived whole; it was kept");
    }
    return rc;
}

static int stability_run(const ig_backend_ctx *ctx, const ig_request *req,
                         const ig_applied *applied, cJSON *result, ig_error *err)
{
    double deadline = ig_backend_now_ms() + (double)ctx->timeout_ms;
    for (int i = 0; i < applied->requests; i++) {
        if (ctx->progress)
            ctx->progress(ctx->progress_ctx, (double)i / applied->requests,
                          "waiting for stability");
        if (one_image(ctx, req, applied, deadline, result, err) != 0)
            return -1;
    }
    return 0;
}

const ig_backend ig_stability_backend = {
    .provider = IG_PROVIDER_STABILITY,
    .default_base_url = "https://api.stability.ai",
    .models = ig_stability_models,
    .default_model = ig_stability_default_model,
    .run = stability_run,
};
