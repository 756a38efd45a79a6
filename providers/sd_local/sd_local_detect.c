/* sd_local_detect.c - which server answers at the base URL, remembered per
 * instance (see sd_local.h). */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_text.h"
#include "providers/sd_local/sd_local.h"

#define DETECT_TIMEOUT_MS 10000.0

typedef struct sd_local_state {
    pthread_mutex_t lock;
    char base_url[1024]; /* where server was found; "" = nothing known */
    ig_sd_server server;
} sd_local_state;

void *ig_sd_local_state_new(const struct ig_config *config)
{
    (void)config;
    sd_local_state *s = calloc(1, sizeof *s);
    if (s)
        pthread_mutex_init(&s->lock, NULL);
    return s;
}

void ig_sd_local_state_free(void *state)
{
    sd_local_state *s = state;
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
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

/* The status of GET path (0 when nothing answered: err then says why), and
 * whether the body is a JSON object holding key. */
static long probe(const ig_backend_ctx *ctx, const char *path, const char *key,
                  bool *has_key, ig_error *err)
{
    ig_http_response res = {0};
    double deadline = ig_backend_now_ms() + DETECT_TIMEOUT_MS;
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

ig_sd_server ig_sd_local_detect(const ig_backend_ctx *ctx, ig_error *err)
{
    ig_sd_server server = remembered(ctx->state, ctx->base_url);
    if (server != IG_SD_UNKNOWN)
        return server;
    bool has_key;
    /* A1111 behind --api-auth answers 401 here, which still tells it apart. */
    long a1111 = probe(ctx, "/sdapi/v1/progress", "progress", &has_key, err);
    if ((a1111 == 200 && has_key) || a1111 == 401)
        server = IG_SD_A1111;
    else if (a1111 != 0 && probe(ctx, "/system_stats", "system", &has_key, err) == 200 &&
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
