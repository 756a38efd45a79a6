/*
 * fal_queue.c - one request's life on fal's queue: submit, poll the
 * returned status_url until COMPLETED, GET the returned response_url, and
 * PUT the returned cancel_url when the caller gives up. The key goes only
 * to fal's own hosts (the base URL's, or https *.fal.run / *.fal.ai), and
 * never across a redirect.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_text.h"
#include "providers/fal/fal_queue.h"

#define ANSWER_CAP (1u << 20) /* submit, status and cancel answers */
/* A result carries every image's URL and metadata, and some models inline
 * images as data URIs: a charged result must not be lost to the cap. */
#define RESULT_CAP (64u << 20)

/* Hosts of fal's own API that may receive the key (not fal.media, the CDN). */
static const char *const fal_domains[] = {".fal.run", ".fal.ai", NULL};

static const char *const fal_headers[] = {"x-fal-retryable", NULL};

/* An HTTP exchange with the key; the answer stays in memory. cancel is
 * the flag to watch (NULL for the cancel request itself). */
static int keyed_request(const ig_backend_ctx *ctx, const char *method, const char *url,
                         const char *body, double deadline, const atomic_bool *cancel,
                         uint64_t max_bytes, ig_http_response *res, ig_error *err)
{
    char key[1024];
    snprintf(key, sizeof key, "Authorization: Key %s", ctx->api_key);
    const char *headers[] = {key, "Content-Type: application/json",
                             "Accept: application/json", NULL};
    ig_http_request hreq = {
        .method = method, .url = url, .headers = headers, .body = body,
        .body_size = body ? strlen(body) : 0, .cancel = cancel,
        .max_response_bytes = max_bytes, .provider = "fal", .capture_headers = fal_headers,
        /* max_redirects stays 0: the key must not follow a redirect. */
    };
    int rc = ig_backend_perform(ctx, &hreq, deadline, res, err);
    memset(key, 0, sizeof key);
    return rc;
}

/* Classifies a non-2xx answer (err filled); returns -1. */
static int answer_error(const ig_http_response *res, ig_error *err)
{
    ig_fal_error(res->status, res->retry_after_s, res->captured[0], res->body, err);
    return -1;
}

/* Copies a string member of doc into out (cap bytes); false when absent
 * or too long. */
static bool copy_member(const cJSON *doc, const char *name, char *out, size_t cap)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, name));
    if (!s || strlen(s) >= cap)
        return false;
    memcpy(out, s, strlen(s) + 1);
    return true;
}

/* The owner/name of a model id ("fal-ai/flux" of "fal-ai/flux/dev"): the
 * queue's request URLs leave the subpath out. */
static void app_id(const char *model, char *out, size_t cap)
{
    const char *slash = strchr(model, '/');
    const char *end = slash ? strchr(slash + 1, '/') : NULL;
    int len = end ? (int)(end - model) : (int)strlen(model);
    snprintf(out, cap, "%.*s", len, model);
}

/* Fills whichever URL the submit answer left out the documented way
 * (bounded pieces: a URL longer than the buffers is not fal's). */
static void default_urls(const ig_backend_ctx *ctx, const char *model, fal_job *job)
{
    char app[256];
    app_id(model, app, sizeof app);
    if (!job->response_url[0])
        snprintf(job->response_url, sizeof job->response_url, "%.1400s/%.255s/requests/%.127s",
                 ctx->base_url, app, job->id);
    if (!job->status_url[0])
        snprintf(job->status_url, sizeof job->status_url, "%.2000s/status", job->response_url);
    if (!job->cancel_url[0])
        snprintf(job->cancel_url, sizeof job->cancel_url, "%.2000s/cancel", job->response_url);
}

int fal_submit(const ig_backend_ctx *ctx, const char *model, const char *input,
               double deadline, fal_job *job, ig_error *err)
{
    char url[1700];
    memset(job, 0, sizeof *job);
    snprintf(url, sizeof url, "%.1400s/%.255s", ctx->base_url, model);
    ig_http_response res = {0};
    int rc = keyed_request(ctx, "POST", url, input, deadline, ctx->cancel, ANSWER_CAP,
                           &res, err);
    if (rc != 0) {
        ig_backend_maybe_created(&res, err); /* sent, but the answer broke off */
    } else if (res.status < 200 || res.status > 299) {
        rc = answer_error(&res, err);
    } else {
        cJSON *doc = ig_json_parse(res.body, NULL);
        if (!copy_member(doc, "request_id", job->id, sizeof job->id)) {
            rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                         "fal accepted the request but sent no request_id");
            err->accepted = true;
        } else {
            /* Always the returned URLs: they are what fal routes. */
            copy_member(doc, "status_url", job->status_url, sizeof job->status_url);
            copy_member(doc, "response_url", job->response_url, sizeof job->response_url);
            copy_member(doc, "cancel_url", job->cancel_url, sizeof job->cancel_url);
            default_urls(ctx, model, job);
        }
        cJSON_Delete(doc);
    }
    ig_http_response_free(&res);
    return rc;
}

bool fal_job_trusted(const ig_backend_ctx *ctx, const fal_job *job)
{
    return ig_backend_url_trusted(job->status_url, ctx->base_url, fal_domains) &&
           ig_backend_url_trusted(job->response_url, ctx->base_url, fal_domains) &&
           ig_backend_url_trusted(job->cancel_url, ctx->base_url, fal_domains);
}

void fal_cancel(const ig_backend_ctx *ctx, fal_job *job)
{
    if (job->cancel_sent || !fal_job_trusted(ctx, job))
        return;
    job->cancel_sent = true;
    /* Best effort, on its own short clock: the call is already ending. */
    ig_http_response res = {0};
    ig_error ignored;
    ig_error_clear(&ignored);
    keyed_request(ctx, "PUT", job->cancel_url, NULL, ig_backend_now_ms() + 5000, NULL,
                  ANSWER_CAP, &res, &ignored);
    ig_http_response_free(&res);
}

int fal_poll(const ig_backend_ctx *ctx, const fal_job *job, double deadline, fal_status *out,
             ig_error *err)
{
    char url[2100];
    memset(out, 0, sizeof *out);
    out->queue_position = -1;
    snprintf(url, sizeof url, "%.2047s%slogs=1", job->status_url,
             strchr(job->status_url, '?') ? "&" : "?");
    ig_http_response res = {0};
    int rc = keyed_request(ctx, "GET", url, NULL, deadline, ctx->cancel, ANSWER_CAP, &res,
                           err);
    if (rc == 0 && (res.status < 200 || res.status > 299)) {
        rc = answer_error(&res, err);
    } else if (rc == 0) {
        cJSON *doc = ig_json_parse(res.body, NULL);
        const cJSON *pos = cJSON_GetObjectItemCaseSensitive(doc, "queue_position");
        const cJSON *logs = cJSON_GetObjectItemCaseSensitive(doc, "logs");
        const cJSON *last = cJSON_GetArrayItem(logs, cJSON_GetArraySize(logs) - 1);
        if (!copy_member(doc, "status", out->status, sizeof out->status))
            rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                         "fal answered a status request of %s without a status", job->id);
        if (cJSON_IsNumber(pos))
            out->queue_position = pos->valueint;
        copy_member(last, "message", out->log, sizeof out->log);
        cJSON_Delete(doc);
    }
    ig_http_response_free(&res);
    return rc;
}

int fal_result(const ig_backend_ctx *ctx, const fal_job *job, double deadline,
               cJSON **answer, ig_error *err)
{
    *answer = NULL;
    ig_http_response res = {0};
    int rc = keyed_request(ctx, "GET", job->response_url, NULL, deadline, ctx->cancel,
                           RESULT_CAP, &res, err);
    if (rc == 0 && (res.status < 200 || res.status > 299)) {
        rc = answer_error(&res, err);
    } else if (rc == 0) {
        *answer = ig_json_parse(res.body, NULL);
        if (!cJSON_IsObject(*answer)) {
            cJSON_Delete(*answer);
            *answer = NULL;
            rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                         "fal's result of request %s is not a JSON object", job->id);
        }
    }
    ig_http_response_free(&res);
    return rc;
}
