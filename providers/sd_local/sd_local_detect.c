/* sd_local_detect.c - which server answers at the base URL, remembered per
 * instance (see sd_local.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json_text.h"
#include "providers/sd_local/sd_local.h"

#define DETECT_TIMEOUT_MS 10000.0 /* per probe, at most: the call's budget may be less */
#define LOCK_WAKE_MS 50             /* how often a waiting call looks at its cancel flag */

typedef struct sd_local_state {
    pthread_mutex_t lock;
    char base_url[1024]; /* where server was found; "" = nothing known */
    ig_sd_server server;
    /* One A1111 exchange at a time per instance: /sdapi/v1/interrupt and
     * /sdapi/v1/progress are about whatever job runs, so only the call
     * whose job it is may be talking to the server. */
    pthread_mutex_t a1111_lock;
} sd_local_state;

void *ig_sd_local_state_new(const struct ig_config *config)
{
    (void)config;
    sd_local_state *s = calloc(1, sizeof *s);
    if (s) {
        pthread_mutex_init(&s->lock, NULL);
        pthread_mutex_init(&s->a1111_lock, NULL);
    }
    return s;
}

void ig_sd_local_state_free(void *state)
{
    sd_local_state *s = state;
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->a1111_lock);
    free(s);
}

static ig_sd_server remembered(sd_local_state *s, const char *base_url)
{
    if (!s)
        return IG_SD_UNKNOWN;
    pthread_mutex_lock(&s->lock);
    ig_sd_server server = !strcmp(s->base_url, base_url) ? s->server : IG_SD_UNKNOWN;
    pthread_mutex_unlock(&s->lock);
    return server;
}

static void remember(sd_local_state *s, const char *base_url, ig_sd_server server)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    snprintf(s->base_url, sizeof s->base_url, "%s", server ? base_url : "");
    s->server = server;
    pthread_mutex_unlock(&s->lock);
}

void ig_sd_local_forget(const ig_backend_ctx *ctx)
{
    remember(ctx->state, ctx->base_url, IG_SD_UNKNOWN);
}

int ig_sd_local_a1111_lock(const ig_backend_ctx *ctx, double deadline, ig_error *err)
{
    sd_local_state *s = ctx->state;
    if (!s)
        return 0;
    for (;;) { /* timed waits, so that a cancel or the deadline ends the wait */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = until.tv_nsec + LOCK_WAKE_MS * 1000000L;
        until.tv_sec += ns / 1000000000L;
        until.tv_nsec = ns % 1000000000L;
        int rc = pthread_mutex_timedlock(&s->a1111_lock, &until);
        if (rc == 0)
            return 0;
        if (rc != ETIMEDOUT)
            return ig_fail(err, IG_ERR_INTERNAL, NULL, "stable-diffusion-local: lock failed");
        if (ctx->cancel && atomic_load(ctx->cancel))
            return ig_fail(err, IG_ERR_CANCELED, NULL, "the call was cancelled while it "
                           "waited for another call's automatic1111 job");
        if (ig_backend_now_ms() >= deadline)
            return ig_fail(err, IG_ERR_PROVIDER_TIMEOUT, NULL, "stable-diffusion-local: "
                           "automatic1111 was busy with other calls of this extension "
                           "for the whole time budget");
    }
}

void ig_sd_local_a1111_unlock(const ig_backend_ctx *ctx)
{
    sd_local_state *s = ctx->state;
    if (s)
        pthread_mutex_unlock(&s->a1111_lock);
}

/* The status of GET path (0 when nothing answered: err then says why), and
 * whether the body is a JSON object holding key. At most DETECT_TIMEOUT_MS,
 * never past the call's deadline. */
static long probe(const ig_backend_ctx *ctx, const char *path, const char *key,
                  double call_deadline, bool *has_key, ig_error *err)
{
    ig_http_response res = {0};
    double deadline = ig_backend_now_ms() + DETECT_TIMEOUT_MS;
    deadline = deadline < call_deadline ? deadline : call_deadline;
    long status = 0;
    *has_key = false;
    if (ig_sd_local_json(ctx, "GET", path, NULL, 1u << 20, deadline, &res, err) == 0) {
        status = res.status;
        cJSON *doc = res.body ? ig_json_parse(res.body, NULL) : NULL;
        *has_key = cJSON_HasObjectItem(doc, key);
        cJSON_Delete(doc);
    }
    ig_http_response_free(&res);
    return status;
}

ig_sd_server ig_sd_local_detect(const ig_backend_ctx *ctx, double deadline, ig_error *err)
{
    ig_sd_server server = remembered(ctx->state, ctx->base_url);
    if (server != IG_SD_UNKNOWN)
        return server;
    bool has_key;
    /* A1111 behind --api-auth answers 401 here, which still tells it apart. */
    long a1111 = probe(ctx, "/sdapi/v1/progress", "progress", deadline, &has_key, err);
    if ((a1111 == 200 && has_key) || a1111 == 401)
        server = IG_SD_A1111;
    else if (a1111 != 0 && probe(ctx, "/system_stats", "system", deadline, &has_key,
                                err) == 200 &&
             has_key)
        server = IG_SD_COMFYUI;
    if (server != IG_SD_UNKNOWN) {
        ig_error_clear(err);
        remember(ctx->state, ctx->base_url, server);
        return server;
    }
    if (a1111 != 0)
        ig_fail(err, IG_ERR_PROVIDER_UNAVAILABLE, NULL, "stable-diffusion-local: the "
                "server at STABLE_DIFFUSION_LOCAL_BASE_URL answers, but neither as "
                "AUTOMATIC1111 (/sdapi/v1) nor as ComfyUI (/system_stats)");
    ig_error_hint(err, "Start AUTOMATIC1111 with --api (default http://127.0.0.1:7860) or "
                       "ComfyUI (default http://127.0.0.1:8188), and set "
                       "STABLE_DIFFUSION_LOCAL_BASE_URL to its address.");
    return IG_SD_UNKNOWN;
}
