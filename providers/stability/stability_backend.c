/*
 * stability_backend.c - runs Stability AI v2beta requests. Stability answers
 * in either of two forms, by the request's accept header: the image bytes
 * themselves (seed and finish-reason as headers), or JSON {"image": base64,
 * "finish_reason", "seed"}. Both are handled by one sink
 * that looks at the first byte: raw images stream straight into the store,
 * JSON goes through the base64 sink. Generations ask for raw bytes (a third
 * less to transfer and no base64 to decode); result polls ask for JSON, so
 * a 202 "in-progress" and a 200 with the image read the same way. Creative
 * upscales are async: the POST answers {"id"} and GET /v2beta/results/{id}
 * answers 202 until done.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_text.h"
#include "core/result.h"
#include "providers/stability/stability.h"
#include "providers/transport/json_b64_sink.h"

#define MAX_SKELETON (64u * 1024)
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

/* Takes an answer in whichever form it comes (see the file comment). */
typedef struct answer_sink {
    ig_image_store *store;
    ig_json_b64_sink *json; /* set when the body starts with '{' */
    ig_store_writer *raw;   /* set when the body is the image itself */
} answer_sink;

/* An ig_http_sink_fn: picks the form from the first byte, then feeds it. */
static int answer_sink_write(void *ctx, const void *data, size_t size, ig_error *err)
{
    static const char *const image_keys[] = {"image", NULL};
    answer_sink *s = ctx;
    if (!s->json && !s->raw && size > 0) {
        if (*(const char *)data == '{')
            s->json = ig_json_b64_sink_new(s->store, image_keys, MAX_SKELETON, err);
        else
            s->raw = ig_store_writer_begin(s->store, err);
        if (!s->json && !s->raw)
            return -1;
    }
    if (size == 0)
        return 0;
    return s->json ? ig_json_b64_sink_write(s->json, data, size, err)
                   : ig_store_writer_append(s->raw, data, size, err);
}

/* Fills ans from a complete 2xx answer. Returns 0 or -1 with err. */
static int read_answer(answer_sink *sink, const ig_http_response *res, stab_answer *ans,
                       ig_error *err)
{
    ans->status = res->status;
    if (sink->raw) { /* the image itself; its facts came as headers */
        snprintf(ans->finish_reason, sizeof ans->finish_reason, "%.31s", res->captured[0]);
        ans->has_seed = res->captured[1][0] != '\0';
        ans->seed = ans->has_seed ? strtod(res->captured[1], NULL) : 0;
        ans->image = sink->raw;
        sink->raw = NULL;
        return 0;
    }
    const char *skeleton = sink->json ? ig_json_b64_sink_finish(sink->json, err) : NULL;
    if (!skeleton)
        return sink->json ? -1 : ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                                         "stability sent an empty answer");
    read_skeleton(skeleton, ans);
    return 0;
}

/*
 * One HTTP exchange (POST with form, or GET when form is NULL), asking for
 * accept. Returns 0 with *ans filled from a 2xx answer, or -1 with err; an
 * image that arrived whole in a JSON answer before a failure is still
 * handed back in ans->image (a raw image cut short is not).
 */
static int exchange(const ig_backend_ctx *ctx, const char *url, const ig_form *form,
                    const char *accept, double deadline, stab_answer *ans, ig_error *err)
{
    static const char *const answer_headers[] = {"finish-reason", "seed", NULL};
    char auth[1024], accept_line[64];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", ctx->api_key);
    snprintf(accept_line, sizeof accept_line, "Accept: %s", accept);
    const char *headers[] = {auth, accept_line, NULL};
    ig_http_response res = {0};
    answer_sink sink = {.store = ctx->store};
    ig_http_request hreq = {
        .method = form ? "POST" : "GET", .url = url, .headers = headers,
        .parts = form ? form->parts : NULL, .n_parts = form ? form->n_parts : 0,
        .idle_timeout_ms = 180000, .cancel = ctx->cancel,
        .sink = answer_sink_write, .sink_ctx = &sink, .capture_headers = answer_headers,
        .provider = "stability",
    };
    int rc = ig_backend_perform(ctx, &hreq, deadline, &res, err);
    if (rc == 0 && (res.status < 200 || res.status > 299)) {
        ig_stability_error(res.status, res.retry_after_s, res.body, err);
        rc = -1;
    } else if (rc == 0) {
        rc = read_answer(&sink, &res, ans, err);
    }
    if (!ans->image && sink.json && ig_json_b64_sink_count(sink.json) > 0)
        ans->image = ig_json_b64_sink_take(sink.json, 0);
    err->http_status = err->http_status ? err->http_status : res.status;
    ig_json_b64_sink_free(sink.json);
    if (sink.raw)
        ig_store_writer_abort(sink.raw);
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
        if (exchange(ctx, url, NULL, "application/json", deadline, ans, err) != 0) {
            if (err->http_status == 404) {
                ig_error_clear(err); /* replace the generic 404 classification */
                ig_fail(err, IG_ERR_PROVIDER_ERROR, NULL, "stability: the result of job %s "
                        "is gone (results are kept 24 hours)", id);
                ig_error_hint(err, "Upscale again; the lost job was charged.");
                err->http_status = 404;
                return -1;
            }
            if (ans->image || !ig_backend_retry_poll(err, &failed_polls))
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
        rc = ig_backend_finish_upscale(ctx->store, req, applied, "stability", "Stability",
                                       &stored, result, err);
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
    int rc = exchange(ctx, url, &call.form, "image/*", deadline, &ans, err);
    if (rc == 0 && call.async && !ans.image) {
        if (!ans.id[0]) {
            ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                    "stability accepted the upscale but sent no job id");
            err->accepted = true;
            return -1;
        }
        rc = poll_result(ctx, deadline, &ans, err);
        err->accepted = rc != 0; /* the job runs (and is charged) whatever we saw */
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
