/*
 * replicate_backend.c - runs predictions: create each with
 * `Prefer: wait=N` (a short job answers finished at once), otherwise poll
 * urls.get until it ends, then download its output files without the token
 * (they live on replicate.delivery) and store them at once. The token goes
 * only to the base URL's host or https api.replicate.com. A prediction once
 * created is never created again: a failed status request is asked again,
 * and cancellation (or running out of time) reaches urls.cancel.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_text.h"
#include "core/result.h"
#include "providers/replicate/replicate.h"
#include "providers/transport/base64_stream.h"

#define MAX_PREDICTIONS 10
#define MAX_OUTPUTS 4
#define CANCEL_TIMEOUT_MS 5000 /* the cancel request runs after the call's cancel flag */
#define DOWNLOAD_RESERVE_S 5   /* of the time left, kept for downloads after a wait */

typedef struct prediction {
    char id[128];
    char get_url[1024];
    char cancel_url[1024];
} prediction;

/* What one answer (create or poll) said. */
typedef struct answer {
    char status[24];
    char error[400];
    int n_outputs;
    char *outputs[MAX_OUTPUTS]; /* malloc'd: URLs, or data URLs of whole images */
} answer;

static void answer_clear(answer *a)
{
    for (int i = 0; i < a->n_outputs; i++)
        free(a->outputs[i]);
    memset(a, 0, sizeof *a);
}

static bool trusted(const ig_backend_ctx *ctx, const char *url)
{
    return ig_backend_url_trusted(url, ctx->base_url, NULL) ||
           !strncmp(url, "https://api.replicate.com/", 26);
}

/* An HTTP exchange with the token (never following redirects: curl would
 * carry the header on); the answer stays in memory. extra: up to two more
 * header lines, NULL-terminated (or NULL). */
static int keyed_request(const ig_backend_ctx *ctx, const char *method, const char *url,
                         const char *body, const char *const *extra, double deadline,
                         ig_http_response *res, ig_error *err)
{
    char auth[1024];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", ctx->api_key);
    const char *headers[6] = {auth, "Content-Type: application/json",
                              "Accept: application/json", NULL, NULL, NULL};
    for (int i = 0; extra && i < 2 && extra[i]; i++)
        headers[3 + i] = extra[i];
    ig_http_request hreq = {
        .method = method, .url = url, .headers = headers, .body = body,
        .body_size = body ? strlen(body) : 0, .cancel = ctx->cancel,
        .max_response_bytes = 64u << 20, /* data URL outputs ride in the JSON */
        .provider = "replicate",
    };
    int rc = ig_backend_perform(ctx, &hreq, deadline, res, err);
    memset(auth, 0, sizeof auth);
    return rc;
}

/* Reads a prediction object into p (id, urls) and a (status, output, error). */
static int parse_prediction(const ig_backend_ctx *ctx, const char *text, prediction *p,
                            answer *a, ig_error *err)
{
    memset(a, 0, sizeof *a);
    cJSON *doc = ig_json_parse(text, NULL);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "id"));
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "status"));
    if (!id || !status || strlen(id) >= sizeof p->id) {
        cJSON_Delete(doc);
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "replicate answered without "
                       "a prediction id and status");
    }
    const cJSON *urls = cJSON_GetObjectItemCaseSensitive(doc, "urls");
    const char *get = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(urls, "get"));
    const char *cancel = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(urls, "cancel"));
    snprintf(p->id, sizeof p->id, "%s", id);
    if (get && strlen(get) < sizeof p->get_url)
        snprintf(p->get_url, sizeof p->get_url, "%s", get);
    else
        snprintf(p->get_url, sizeof p->get_url, "%s/predictions/%s", ctx->base_url, id);
    if (cancel && strlen(cancel) < sizeof p->cancel_url)
        snprintf(p->cancel_url, sizeof p->cancel_url, "%s", cancel);
    else
        snprintf(p->cancel_url, sizeof p->cancel_url, "%s/predictions/%s/cancel",
                 ctx->base_url, id);
    snprintf(a->status, sizeof a->status, "%s", status);
    const char *error = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "error"));
    snprintf(a->error, sizeof a->error, "%s", error ? error : "");
    /* output: one URL, or an array of them, depending on the model. */
    const cJSON *output = cJSON_GetObjectItemCaseSensitive(doc, "output");
    const cJSON *item = cJSON_IsArray(output) ? output->child : output;
    bool many = cJSON_IsArray(output);
    for (; item && a->n_outputs < MAX_OUTPUTS; item = many ? item->next : NULL) {
        if (!cJSON_IsString(item))
            continue;
        if (!(a->outputs[a->n_outputs] = strdup(item->valuestring))) {
            cJSON_Delete(doc);
            return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
        }
        a->n_outputs++;
    }
    cJSON_Delete(doc);
    return 0;
}

/* The create's Prefer and Cancel-After header lines for the time left. */
static void create_headers(double deadline, char *prefer, size_t prefer_cap,
                           char *cancel_after, size_t cancel_cap)
{
    double left_ms = deadline - ig_backend_now_ms();
    /* Hold the request for the time left minus a download reserve, within
     * the API's 1-60 s; a longer job then continues by polling. */
    long wait_s = (long)(left_ms / 1000) - DOWNLOAD_RESERVE_S;
    wait_s = wait_s < 1 ? 1 : wait_s > 60 ? 60 : wait_s;
    snprintf(prefer, prefer_cap, "Prefer: wait=%ld", wait_s);
    /* Replicate stops the prediction itself once the call's time is up, even
     * when its id never reached us (an answer that broke off) and no cancel
     * can be sent. The API's minimum is 5 s. */
    long cancel_s = (long)((left_ms + 999) / 1000);
    snprintf(cancel_after, cancel_cap, "Cancel-After: %lds", cancel_s < 5 ? 5 : cancel_s);
}

/* POST the prediction; on a 2xx fills p and a. */
static int create(const ig_backend_ctx *ctx, const char *model, const char *body,
                  double deadline, prediction *p, answer *a, ig_error *err)
{
    char url[1400], prefer[32], cancel_after[48];
    if (ig_replicate_version(model))
        snprintf(url, sizeof url, "%s/predictions", ctx->base_url);
    else
        snprintf(url, sizeof url, "%s/models/%s/predictions", ctx->base_url, model);
    create_headers(deadline, prefer, sizeof prefer, cancel_after, sizeof cancel_after);
    const char *extra[] = {prefer, cancel_after, NULL};
    ig_http_response res = {0};
    int rc = keyed_request(ctx, "POST", url, body, extra, deadline, &res, err);
    if (rc != 0)
        ig_backend_maybe_created(&res, err); /* sent, but no answer (or none in time) */
    if (rc == 0 && (res.status < 200 || res.status > 299)) {
        ig_replicate_error(res.status, res.retry_after_s, res.body, err);
        rc = -1;
    } else if (rc == 0 && parse_prediction(ctx, res.body, p, a, err) != 0) {
        err->accepted = true; /* created, but its id is unknown */
        rc = -1;
    }
    ig_http_response_free(&res);
    return rc;
}

/* Best effort: POST urls.cancel so a prediction we give up on stops
 * running (and costing). Runs after the call's cancel flag went up, so
 * its own request ignores that flag. */
static void cancel_prediction(const ig_backend_ctx *ctx, const prediction *p)
{
    if (!trusted(ctx, p->cancel_url))
        return;
    char auth[1024];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", ctx->api_key);
    const char *headers[] = {auth, "Accept: application/json", NULL};
    ig_http_request hreq = {.method = "POST", .url = p->cancel_url, .headers = headers,
                            .timeout_ms = CANCEL_TIMEOUT_MS, .max_response_bytes = 1u << 20,
                            .provider = "replicate"};
    ig_http_response res = {0};
    ig_error ignored;
    ig_error_clear(&ignored);
    ig_http_perform(ctx->http, &hreq, &res, &ignored);
    ig_http_response_free(&res);
    memset(auth, 0, sizeof auth);
}

static bool terminal(const char *status)
{
    return !strcmp(status, "succeeded") || !strcmp(status, "failed") ||
           !strcmp(status, "canceled") || !strcmp(status, "aborted");
}

/* Polls urls.get until the prediction ends. Returns 0 with the final a, or
 * -1 (outcome unknown: the caller marks it accepted). */
static int await(const ig_backend_ctx *ctx, prediction *p, double deadline, answer *a,
                 ig_error *err)
{
    if (!terminal(a->status) && !trusted(ctx, p->get_url))
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "replicate returned a "
                       "urls.get on a host that is not Replicate's; the token was not sent");
    int failed_polls = 0, polls = 0;
    while (!terminal(a->status)) {
        if (ig_backend_sleep(ctx, ctx->poll_interval_ms, err) != 0)
            return -1;
        if (deadline <= ig_backend_now_ms()) {
            ig_fail(err, IG_ERR_PROVIDER_TIMEOUT, NULL, "replicate: prediction %s was still "
                    "%s after %ld s; a cancel was sent", p->id, a->status,
                    ctx->timeout_ms / 1000);
            ig_error_hint(err, "Raise providers.replicate.timeoutMs, or try again later.");
            return -1;
        }
        ig_http_response res = {0};
        prediction again;
        answer next = {0};
        int rc = keyed_request(ctx, "GET", p->get_url, NULL, NULL, deadline, &res, err);
        if (rc == 0 && (res.status < 200 || res.status > 299)) {
            ig_replicate_error(res.status, res.retry_after_s, res.body, err);
            rc = -1;
        } else if (rc == 0) {
            rc = parse_prediction(ctx, res.body, &again, &next, err);
        }
        ig_http_response_free(&res);
        if (rc != 0) {
            answer_clear(&next);
            if (err->code == IG_ERR_PROVIDER_BAD_RESPONSE) /* a garbled answer: ask again */
                err->code = IG_ERR_PROVIDER_ERROR;
            if (!ig_backend_retry_poll(err, &failed_polls))
                return -1;
            continue;
        }
        answer_clear(a);
        *a = next;
        polls++;
        if (ctx->progress) /* no progress figure from Replicate: approach 1 */
            ctx->progress(ctx->progress_ctx, polls / (polls + 2.0), "replicate prediction");
    }
    return 0;
}

/* Decodes a data URL output (some models answer whole images inline) into
 * a new writer, aborted on failure. */
static int decode_data_url(const ig_backend_ctx *ctx, const char *b64,
                           ig_store_writer **writer, ig_error *err)
{
    *writer = ig_store_writer_begin(ctx->store, err);
    if (!*writer)
        return -1;
    size_t n = strlen(b64), len = 0, bad = 0;
    unsigned char *bytes = malloc(IG_B64_MAX_OUT(n) + 3);
    ig_b64_stream s;
    ig_b64_stream_init(&s);
    int rc = bytes && ig_b64_stream_feed(&s, b64, n, bytes, &len, &bad) == IG_B64_OK &&
                     ig_b64_stream_finish(&s, bytes, &len) == IG_B64_OK
                 ? ig_store_writer_append(*writer, bytes, len, err)
                 : ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                           "replicate returned an output data URL that is not base64");
    free(bytes);
    if (rc != 0) {
        ig_store_writer_abort(*writer);
        *writer = NULL;
    }
    return rc;
}

/* Downloads one output into a new writer: a data URL decoded here, or a
 * file URL fetched without the token (delivery URLs need none). */
static int download(const ig_backend_ctx *ctx, const char *url, double deadline,
                    ig_store_writer **writer, ig_error *err)
{
    const char *comma = !strncmp(url, "data:", 5) ? strstr(url, ";base64,") : NULL;
    if (comma)
        return decode_data_url(ctx, comma + 8, writer, err);
    return ig_backend_download(ctx, url, deadline, "replicate", "its delivery URL",
                               "The image was made (and charged) but its file was refused "
                               "or removed; generate again.", writer, err);
}

/* Stores every output of a succeeded prediction. */
static int collect(const ig_backend_ctx *ctx, const ig_request *req, const char *model,
                   const prediction *p, const answer *a, double deadline, cJSON *result,
                   ig_error *err)
{
    if (a->n_outputs == 0)
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "replicate: prediction %s "
                       "succeeded without any output", p->id);
    int rc = 0;
    for (int i = 0; i < a->n_outputs; i++) {
        ig_store_writer *writer = NULL;
        ig_error one;
        ig_error_clear(&one);
        if (download(ctx, a->outputs[i], deadline, &writer, &one) == 0)
            ig_backend_commit_image(writer, req, "replicate", model, NULL, result, &one);
        if (one.code != IG_OK && rc == 0) {
            *err = one;
            rc = -1;
        }
    }
    return rc;
}

/* One prediction from creation to stored images. */
static int run_one(const ig_backend_ctx *ctx, const ig_request *req, const char *model,
                   const char *body, double deadline, cJSON *result, ig_error *err)
{
    prediction p;
    answer a = {0};
    int rc = -1;
    if (create(ctx, model, body, deadline, &p, &a, err) != 0) {
        answer_clear(&a);
        return -1;
    }
    if (await(ctx, &p, deadline, &a, err) != 0) {
        /* Given up on it for whatever reason (cancelled, out of time, status
         * reads that kept failing): it would run on and be billed. */
        cancel_prediction(ctx, &p);
        err->accepted = true;
    } else if (strcmp(a.status, "succeeded")) {
        ig_replicate_prediction_error(p.id, a.status, a.error, err); /* nothing to pay */
    } else if (collect(ctx, req, model, &p, &a, deadline, result, err) != 0) {
        err->accepted = true;
    } else {
        rc = 0;
    }
    answer_clear(&a);
    return rc;
}

static int replicate_run(const ig_backend_ctx *ctx, const ig_request *req,
                         const ig_applied *applied, cJSON *result, ig_error *err)
{
    double deadline = ig_backend_now_ms() + (double)ctx->timeout_ms;
    int requests = applied->requests < MAX_PREDICTIONS ? applied->requests : MAX_PREDICTIONS;
    int per = applied->caps->max_n > 0 ? applied->caps->max_n : 1, left = applied->n;
    /* One after the other: with Prefer: wait each create usually returns
     * finished, and a failure stops further (paid) predictions. */
    for (int i = 0; i < requests; i++) {
        int outputs = left < per ? left : per;
        left -= outputs;
        /* Later bodies repeat the first one's warnings: those go nowhere. */
        cJSON *scratch = i == 0 ? NULL : ig_result_new(req->tool);
        char *body = ig_replicate_body(req, applied, outputs < 1 ? 1 : outputs,
                                       scratch ? scratch : result, err);
        cJSON_Delete(scratch);
        if (!body)
            return -1;
        if (ctx->progress)
            ctx->progress(ctx->progress_ctx, (double)i / requests, "replicate prediction");
        int rc = run_one(ctx, req, applied->caps->model, body, deadline, result, err);
        cJSON_free(body);
        if (rc != 0)
            return -1;
    }
    return 0;
}

const ig_backend ig_replicate_backend = {
    .provider = IG_PROVIDER_REPLICATE,
    .default_base_url = "https://api.replicate.com/v1",
    .models = ig_replicate_models,
    .default_model = ig_replicate_default_model,
    .run = replicate_run,
};
