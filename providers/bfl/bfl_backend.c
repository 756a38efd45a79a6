/*
 * bfl_backend.c - runs FLUX tasks: submit every image's task first (BFL
 * runs them in parallel), then poll each task's polling_url until it is
 * Ready and download its signed sample URL at once (it expires after 10
 * minutes). The key goes only to BFL hosts, never to the sample's host.
 * A task once accepted is never resubmitted: a failed status request is
 * asked again instead, so no image is paid for twice.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/json_text.h"
#include "core/result.h"
#include "providers/bfl/bfl.h"

#define MAX_TASKS 10

/* Hosts of BFL's own (regional) API that may receive the key. */
static const char *const bfl_domains[] = {".bfl.ai", ".bfl.ml", NULL};

typedef struct bfl_task {
    char id[128];
    char polling_url[1024];
} bfl_task;

/* An HTTP exchange with the key (x-key); the answer stays in memory. */
static int keyed_request(const ig_backend_ctx *ctx, const char *method, const char *url,
                         const char *body, double deadline, ig_http_response *res,
                         ig_error *err)
{
    char key[1024];
    snprintf(key, sizeof key, "x-key: %s", ctx->api_key);
    const char *headers[] = {key, "Content-Type: application/json",
                             "Accept: application/json", NULL};
    ig_http_request hreq = {
        .method = method, .url = url, .headers = headers, .body = body,
        .body_size = body ? strlen(body) : 0, .cancel = ctx->cancel,
        .max_response_bytes = 1u << 20, .provider = "bfl",
        /* max_redirects stays 0: curl would carry x-key to another host. */
    };
    int rc = ig_backend_perform(ctx, &hreq, deadline, res, err);
    memset(key, 0, sizeof key);
    return rc;
}

static int submit(const ig_backend_ctx *ctx, const char *model, const char *body,
                  double deadline, bfl_task *task, ig_error *err)
{
    char url[1400];
    snprintf(url, sizeof url, "%s/v1/%s", ctx->base_url, model);
    ig_http_response res = {0};
    int rc = keyed_request(ctx, "POST", url, body, deadline, &res, err);
    if (rc != 0) {
        ig_backend_maybe_created(&res, err); /* sent, but the answer broke off */
    } else if (res.status < 200 || res.status > 299) {
        ig_bfl_error(res.status, res.retry_after_s, res.body, err);
        rc = -1;
    } else {
        cJSON *doc = ig_json_parse(res.body, NULL);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "id"));
        const char *poll =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "polling_url"));
        if (!id || strlen(id) >= sizeof task->id) {
            rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                         "bfl accepted the task but sent no id");
            err->accepted = true; /* it exists and runs, but cannot be polled */
        } else {
            snprintf(task->id, sizeof task->id, "%s", id);
            if (poll) /* always the returned URL: it may be regional */
                snprintf(task->polling_url, sizeof task->polling_url, "%s", poll);
            else
                snprintf(task->polling_url, sizeof task->polling_url,
                         "%s/v1/get_result?id=%s", ctx->base_url, id);
        }
        cJSON_Delete(doc);
    }
    ig_http_response_free(&res);
    return rc;
}

/* What one poll said. */
typedef struct poll_answer {
    char status[48];
    char sample[2048];
    char details[300];
    double progress;
} poll_answer;

static int poll_once(const ig_backend_ctx *ctx, const bfl_task *task, double deadline,
                     poll_answer *out, ig_error *err)
{
    ig_http_response res = {0};
    memset(out, 0, sizeof *out);
    int rc = keyed_request(ctx, "GET", task->polling_url, NULL, deadline, &res, err);
    if (rc == 0 && (res.status < 200 || res.status > 299)) {
        ig_bfl_error(res.status, res.retry_after_s, res.body, err);
        rc = -1;
    } else if (rc == 0) {
        cJSON *doc = ig_json_parse(res.body, NULL);
        const char *status =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "status"));
        const cJSON *result = cJSON_GetObjectItemCaseSensitive(doc, "result");
        const char *sample =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(result, "sample"));
        const cJSON *progress = cJSON_GetObjectItemCaseSensitive(doc, "progress");
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(doc, "details");
        char *details_text =
            details && !cJSON_IsNull(details) ? cJSON_PrintUnformatted(details) : NULL;
        if (!status)
            rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                         "bfl answered a poll of task %s without a status", task->id);
        snprintf(out->status, sizeof out->status, "%s", status ? status : "");
        snprintf(out->sample, sizeof out->sample, "%s", sample ? sample : "");
        snprintf(out->details, sizeof out->details, "%s", details_text ? details_text : "");
        out->progress = cJSON_IsNumber(progress) ? progress->valuedouble : 0;
        cJSON_free(details_text);
        cJSON_Delete(doc);
    }
    ig_http_response_free(&res);
    return rc;
}

/* Polls a task until it ends; on Ready downloads its image into *writer.
 * Returns 0, -2 when the task itself ended failed (nothing to pay), or -1
 * when its outcome is unknown or its image was lost (it may be charged). */
static int await_task(const ig_backend_ctx *ctx, const bfl_task *task, double deadline,
                      ig_store_writer **writer, ig_error *err)
{
    if (!ig_backend_url_trusted(task->polling_url, ctx->base_url, bfl_domains))
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "bfl returned a polling "
                       "URL on a host that is not BFL's; the key was not sent there");
    int failed_polls = 0;
    for (;;) {
        if (ig_backend_sleep(ctx, ctx->poll_interval_ms, err) != 0)
            return -1;
        poll_answer poll;
        if (poll_once(ctx, task, deadline, &poll, err) != 0) {
            if (deadline <= ig_backend_now_ms() || !ig_backend_retry_poll(err, &failed_polls))
                return -1;
            continue;
        }
        if (!strcmp(poll.status, "Ready")) {
            if (!poll.sample[0])
                return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                               "bfl: task %s is Ready but has no result.sample", task->id);
            return ig_backend_download(ctx, poll.sample, deadline, "bfl",
                                       "its signed sample URL", "The image was made (and "
                                       "charged) but its sample URL was refused or expired "
                                       "(they last 10 minutes); generate again.", writer, err);
        }
        if (strcmp(poll.status, "Pending") && strcmp(poll.status, "Queued") &&
            strcmp(poll.status, "Processing")) {
            ig_bfl_task_error(task->id, poll.status, poll.details, err);
            return -2;
        }
        if (ctx->progress)
            ctx->progress(ctx->progress_ctx, poll.progress, "bfl task pending");
        if (deadline <= ig_backend_now_ms()) {
            ig_fail(err, IG_ERR_PROVIDER_TIMEOUT, NULL, "bfl: task %s was still %s after "
                    "%ld s", task->id, poll.status, ctx->timeout_ms / 1000);
            ig_error_hint(err, "Raise providers.bfl.timeoutMs, or try again later.");
            return -1;
        }
    }
}

static int bfl_run(const ig_backend_ctx *ctx, const ig_request *req,
                   const ig_applied *applied, cJSON *result, ig_error *err)
{
    double deadline = ig_backend_now_ms() + (double)ctx->timeout_ms;
    char *body = ig_bfl_task_body(req, applied, result, err);
    if (!body)
        return -1;
    bfl_task tasks[MAX_TASKS];
    int submitted = 0, want = applied->requests < MAX_TASKS ? applied->requests : MAX_TASKS;
    ig_error first;
    ig_error_clear(&first);
    for (; submitted < want; submitted++)
        if (submit(ctx, applied->caps->model, body, deadline, &tasks[submitted], &first) != 0)
            break;
    cJSON_free(body);
    /* Every accepted task is awaited, even after a failure: each is paid for. */
    for (int i = 0; i < submitted; i++) {
        ig_error task_err;
        ig_error_clear(&task_err);
        ig_store_writer *writer = NULL;
        if (ctx->progress)
            ctx->progress(ctx->progress_ctx, (double)i / want, "waiting for bfl");
        int rc = await_task(ctx, &tasks[i], deadline, &writer, &task_err);
        if (rc == 0)
            ig_backend_commit_image(writer, req, "bfl", applied->caps->model, NULL, result,
                                    &task_err);
        else if (rc == -1)
            task_err.accepted = true;
        if (task_err.code != IG_OK && first.code == IG_OK)
            first = task_err;
        if (task_err.code == IG_ERR_CANCELED)
            break;
    }
    if (first.code == IG_OK)
        return 0;
    *err = first;
    return -1;
}

const ig_backend ig_bfl_backend = {
    .provider = IG_PROVIDER_BFL,
    .default_base_url = "https://api.bfl.ai",
    .models = ig_bfl_models,
    .default_model = ig_bfl_default_model,
    .run = bfl_run,
};
