/*
 * sd_a1111_job.c - one synchronous A1111 request with progress and
 * interrupt (see sd_a1111.h).
 *
 * A1111 holds the HTTP request open until the whole batch is made, so the
 * request runs on a worker thread with its own abort flag, and the calling
 * thread stays free to read /sdapi/v1/progress, report it, and notice the
 * caller's cancel flag. On cancel it posts /sdapi/v1/interrupt: A1111 then
 * stops sampling and answers early with half-denoised images, which are
 * discarded (the caller asked to stop; a local job costs nothing). The
 * worker is aborted only when A1111 does not answer within a grace period.
 * The worker owns the answer fields until it signals done under the lock;
 * the caller reads them only after pthread_join.
 *
 * Interrupt and progress are global in A1111 (they act on whatever job
 * runs), so ig_sd_a1111_run holds the instance's A1111 lock around its
 * exchanges: while a call talks to the server, the job running there is its
 * own (as far as this extension goes; other clients can still interfere).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json_text.h"
#include "providers/sd_local/sd_a1111.h"

#define MAX_SKELETON (64u * 1024 * 1024) /* "parameters" echoes the request */
#define MAX_ANSWER (2ull << 30)          /* a batch of 8 large PNGs, streamed */
#define SIDE_REQUEST_MS 5000.0           /* progress reads and the interrupt */
#define INTERRUPT_GRACE_MS 15000.0       /* A1111 finishes the current step first */
#define WAKE_MS 50.0                     /* how often the cancel flag is looked at */

/* Image strings of the three answers: txt2img/img2img "images", extras
 * "image". A ControlNet unit echoed in "parameters" has an "image" too:
 * it is extracted as well (never committed) so the skeleton stays small. */
static const char *const image_keys[] = {"images[]", "image", NULL};

typedef struct worker {
    ig_backend_ctx ctx; /* the caller's, with cancel = &abort */
    char url[2048];
    const char *body;
    double deadline;
    ig_json_b64_sink *sink;
    atomic_bool abort;
    /* written by the worker before done, read by the caller after join */
    ig_http_response res;
    ig_error err;
    int rc;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
} worker;

/* Worker thread: the POST, its 2xx body streamed into the sink. */
static void *work(void *arg)
{
    worker *w = arg;
    char auth[1024];
    ig_sd_local_auth_header(&w->ctx, auth, sizeof auth); /* its size checked before */
    const char *headers[] = {"Content-Type: application/json", "Accept: application/json",
                             auth[0] ? auth : NULL, NULL};
    double left = w->deadline - ig_backend_now_ms();
    ig_http_request hreq = {
        .method = "POST", .url = w->url, .headers = headers, .body = w->body,
        .body_size = strlen(w->body), .cancel = &w->abort, .sink = ig_json_b64_sink_write,
        .sink_ctx = w->sink, .max_response_bytes = MAX_ANSWER,
        /* A1111 sends nothing until the batch is done: no idle limit short of
         * the whole budget. */
        .idle_timeout_ms = left > 1000 ? (long)left : 1000, .provider = IG_A1111_PROVIDER,
        .no_proxy = true, /* local only: see sd_local.h */
    };
    w->rc = ig_backend_perform(&w->ctx, &hreq, w->deadline, &w->res, &w->err);
    explicit_bzero(auth, sizeof auth);
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Waits until the worker is done or until ms pass; true when done. */
static bool wait_done(worker *w, double ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    long ns = until.tv_nsec + (long)(ms * 1e6);
    until.tv_sec += ns / 1000000000L;
    until.tv_nsec = ns % 1000000000L;
    pthread_mutex_lock(&w->lock);
    while (!w->done)
        if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT)
            break;
    bool done = w->done;
    pthread_mutex_unlock(&w->lock);
    return done;
}

/* The caller's context without its cancel flag: for the interrupt, which
 * must go out precisely because the flag is set. */
static ig_backend_ctx uncancellable(const ig_backend_ctx *ctx)
{
    ig_backend_ctx copy = *ctx;
    copy.cancel = NULL;
    return copy;
}

/* POST /sdapi/v1/interrupt; true when A1111 took it. */
static bool interrupt(const ig_backend_ctx *ctx)
{
    ig_backend_ctx side = uncancellable(ctx);
    ig_http_response res = {0};
    ig_error ignored;
    ig_error_clear(&ignored);
    int rc = ig_sd_local_json(&side, "POST", "/sdapi/v1/interrupt", "{}", 1u << 16,
                              ig_backend_now_ms() + SIDE_REQUEST_MS, &res, &ignored);
    bool ok = rc == 0 && res.status >= 200 && res.status < 300;
    ig_http_response_free(&res);
    return ok;
}

/* One GET /sdapi/v1/progress, reported through ctx->progress. A failed read
 * is skipped: progress is a courtesy, the job goes on. */
static void report_progress(const ig_backend_ctx *ctx, double deadline)
{
    if (!ctx->progress)
        return;
    double until = ig_backend_now_ms() + SIDE_REQUEST_MS;
    ig_http_response res = {0};
    ig_error ignored;
    ig_error_clear(&ignored);
    if (ig_sd_local_json(ctx, "GET", "/sdapi/v1/progress?skip_current_image=true", NULL,
                         1u << 20, until < deadline ? until : deadline, &res, &ignored) == 0 &&
        res.status == 200) {
        cJSON *doc = ig_json_parse(res.body ? res.body : "", NULL);
        const cJSON *progress = cJSON_GetObjectItemCaseSensitive(doc, "progress");
        const cJSON *eta = cJSON_GetObjectItemCaseSensitive(doc, "eta_relative");
        if (cJSON_IsNumber(progress)) {
            double f = progress->valuedouble;
            f = f < 0 ? 0 : f > 1 ? 1 : f;
            char message[96];
            if (cJSON_IsNumber(eta) && eta->valuedouble > 0)
                snprintf(message, sizeof message, "automatic1111 %.0f%% (eta %.0f s)",
                         f * 100, eta->valuedouble);
            else
                snprintf(message, sizeof message, "automatic1111 %.0f%%", f * 100);
            ctx->progress(ctx->progress_ctx, f, message);
        }
        cJSON_Delete(doc);
    }
    ig_http_response_free(&res);
}

/* Runs the worker to its end, polling progress and passing on a cancel.
 * Returns whether A1111 was interrupted. */
static bool supervise(const ig_backend_ctx *ctx, worker *w)
{
    bool interrupted = false;
    double grace_end = 0;
    double next_poll = ig_backend_now_ms() + (double)ctx->poll_interval_ms;
    for (;;) {
        double now = ig_backend_now_ms();
        double wait = next_poll - now < WAKE_MS ? next_poll - now : WAKE_MS;
        if (wait_done(w, wait > 1 ? wait : 1))
            return interrupted;
        now = ig_backend_now_ms();
        if (!interrupted && ctx->cancel && atomic_load(ctx->cancel)) {
            interrupted = true;
            grace_end = now + INTERRUPT_GRACE_MS;
            if (!interrupt(ctx)) /* nobody to wait for */
                atomic_store(&w->abort, true);
        } else if (interrupted && now >= grace_end) {
            atomic_store(&w->abort, true);
        } else if (!interrupted && now >= next_poll) {
            report_progress(ctx, w->deadline);
            next_poll = ig_backend_now_ms() + (double)ctx->poll_interval_ms;
        }
    }
}

/* The POST failed after it went out whole (timeout, reset): A1111 does not
 * notice a client that went away and goes on generating. Stop that job
 * (ours: the instance lock is held) and mark the call accepted, so that
 * the fallback layer never queues the same job a second time. */
static void abandon_sent_job(const ig_backend_ctx *ctx, const worker *w, ig_error *err)
{
    if (!w->res.request_sent ||
        (err->code != IG_ERR_PROVIDER_TIMEOUT && err->code != IG_ERR_PROVIDER_NETWORK))
        return;
    if (w->res.status == 0) /* no answer began: the job may still be running */
        interrupt(ctx);
    err->accepted = true;
}

/* Moves what the worker got into the answer; returns 0 or -1 with err. */
static int collect(const ig_backend_ctx *ctx, worker *w, bool interrupted,
                   ig_a1111_answer *answer, ig_error *err)
{
    answer->status = w->res.status;
    answer->sink = w->sink;
    w->sink = NULL;
    if (interrupted) {
        answer->interrupted = true;
        ig_fail(err, IG_ERR_CANCELED, NULL, "the call was cancelled: automatic1111 was "
                "interrupted (POST /sdapi/v1/interrupt) and the half-made images it "
                "returned were discarded");
        return -1;
    }
    if (w->rc != 0) {
        *err = w->err;
        answer->broke_off = w->res.status >= 200 && w->res.status < 300;
        abandon_sent_job(ctx, w, err);
        if (err->code == IG_ERR_PROVIDER_NETWORK)
            ig_a1111_network_hint(err);
        return -1;
    }
    if (w->res.status < 200 || w->res.status > 299) {
        answer->error_body = w->res.body;
        w->res.body = NULL;
        return 0;
    }
    answer->skeleton = ig_json_b64_sink_finish(answer->sink, err);
    return answer->skeleton ? 0 : -1;
}

int ig_a1111_exchange(const ig_backend_ctx *ctx, const char *path, const char *body,
                      double deadline, ig_a1111_answer *answer, ig_error *err)
{
    memset(answer, 0, sizeof *answer);
    char auth[1024]; /* checked here: the worker cannot fail on it */
    int fits = ig_sd_local_auth(ctx, auth, sizeof auth, err);
    explicit_bzero(auth, sizeof auth);
    if (fits != 0)
        return -1;
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    if (ig_sd_local_url(ctx, path, w->url, sizeof w->url, err) != 0) {
        free(w);
        return -1;
    }
    w->sink = ig_json_b64_sink_new(ctx->store, image_keys, MAX_SKELETON, err);
    if (!w->sink) {
        free(w);
        return -1;
    }
    w->ctx = *ctx;
    w->ctx.cancel = &w->abort;
    w->body = body;
    w->deadline = deadline;
    atomic_init(&w->abort, false);
    ig_error_clear(&w->err);
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_t thread;
    int rc;
    if (pthread_create(&thread, NULL, work, w) != 0) {
        rc = ig_fail(err, IG_ERR_INTERNAL, NULL, "could not start a thread");
    } else {
        bool interrupted = supervise(ctx, w);
        pthread_join(thread, NULL);
        rc = collect(ctx, w, interrupted, answer, err);
    }
    ig_json_b64_sink_free(w->sink);
    ig_http_response_free(&w->res);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return rc;
}

void ig_a1111_answer_free(ig_a1111_answer *answer)
{
    if (!answer)
        return;
    ig_json_b64_sink_free(answer->sink);
    free(answer->error_body);
    memset(answer, 0, sizeof *answer);
}
