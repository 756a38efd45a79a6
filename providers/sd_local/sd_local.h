/*
 * sd_local.h - a local Stable Diffusion server ("stable-diffusion-local",
 * STABLE_DIFFUSION_LOCAL_BASE_URL): AUTOMATIC1111's web UI API or ComfyUI,
 * whichever answers at the base URL.
 *
 * The backend finds out which server it is (sd_local_detect.c: A1111 answers
 * /sdapi/v1/progress, ComfyUI /system_stats), remembers it per instance, and
 * hands the request to that server's client: sd_a1111_*.c or sd_comfy_*.c.
 * Models are the server's checkpoints and upscalers, which this extension
 * cannot know in advance: the capability table has one entry per kind
 * ("checkpoint", "upscaler") and each client reports the real name it used
 * in the result's "model". Private to providers/sd_local/.
 */
#ifndef IG_SD_LOCAL_H
#define IG_SD_LOCAL_H

#include <stdint.h>

#include "providers/backend.h"

#define IG_SD_MODEL_CHECKPOINT "checkpoint"
#define IG_SD_MODEL_UPSCALER "upscaler"

extern const ig_backend ig_sd_local_backend;
extern const ig_model_caps ig_sd_local_models[];

const char *ig_sd_local_default_model(ig_operation op, const ig_request *req);

typedef enum ig_sd_server {
    IG_SD_UNKNOWN,
    IG_SD_A1111,   /* AUTOMATIC1111 (or Forge) started with --api */
    IG_SD_COMFYUI,
} ig_sd_server;

/* "automatic1111" or "comfyui" (what the result's applied.server says). */
const char *ig_sd_server_name(ig_sd_server server);

/* --- per-instance state (sd_local_detect.c); thread-safe --- */

void *ig_sd_local_state_new(const struct ig_config *config);
void ig_sd_local_state_free(void *state);

/*
 * Which server answers at ctx->base_url: remembered from an earlier call,
 * else asked (one or two GETs, each up to 10 s but never past deadline).
 * Returns IG_SD_UNKNOWN with err
 * (IG_ERR_PROVIDER_NETWORK when nothing listens, IG_ERR_PROVIDER_UNAVAILABLE
 * when something else does) and a hint naming how to start either server.
 */
ig_sd_server ig_sd_local_detect(const ig_backend_ctx *ctx, double deadline,
                                ig_error *err);

/*
 * Takes the instance's A1111 lock (waking every 50 ms to look at
 * ctx->cancel and deadline): A1111's /sdapi/v1/interrupt and progress are
 * global, so a call may only talk to the server while its own job is the
 * one running. 0, or -1 with IG_ERR_CANCELED / IG_ERR_PROVIDER_TIMEOUT.
 * This only orders the calls of one instance: another client of the same
 * server (its web UI, another process) can still be interrupted by us or
 * show up in our progress.
 */
int ig_sd_local_a1111_lock(const ig_backend_ctx *ctx, double deadline, ig_error *err);
void ig_sd_local_a1111_unlock(const ig_backend_ctx *ctx);

/* Forgets what answers at base_url, after a call could not reach it (the
 * user may have swapped servers). */
void ig_sd_local_forget(const ig_backend_ctx *ctx);

/* --- HTTP with the server (sd_local_http.c); any thread --- */

/* "Authorization: Basic <base64 user:password>" into out when ctx->api_key
 * is set, else "". Holds the secret: the caller wipes it after use
 * (explicit_bzero). false (out "") when it does not fit in cap. */
bool ig_sd_local_auth_header(const ig_backend_ctx *ctx, char *out, size_t cap);

/* ig_sd_local_auth_header, failing with IG_ERR_INTERNAL when it does not
 * fit. 0 or -1 with err. */
int ig_sd_local_auth(const ig_backend_ctx *ctx, char *out, size_t cap, ig_error *err);

/* ctx->base_url + path into out; -1 with IG_ERR_INTERNAL when it does not
 * fit (a cut URL would name another resource). */
int ig_sd_local_url(const ig_backend_ctx *ctx, const char *path, char *out, size_t cap,
                    ig_error *err);

/*
 * Every request to the local server is made with no_proxy set: the
 * "privacy" priority promises that nothing leaves this machine, so a proxy
 * from http_proxy/all_proxy must never see a local SD request.
 */

/*
 * One JSON exchange with the server: method on ctx->base_url + path (path
 * may carry a query string), body a JSON text or NULL, Basic auth when
 * ctx->api_key is set, no redirects, answers up to max_bytes (0 = 64 MiB)
 * kept in memory. Results as ig_backend_perform: 0 whenever an HTTP answer
 * arrived (the caller checks res->status), else -1 with err.
 */
int ig_sd_local_json(const ig_backend_ctx *ctx, const char *method, const char *path,
                     const char *body, uint64_t max_bytes, double deadline,
                     ig_http_response *res, ig_error *err);

/*
 * The two clients. Same contract as ig_backend.run (backend.h): perform req
 * as negotiated in applied, store each image with ig_backend_commit_image,
 * replace the result's "model" with the checkpoint or upscaler name really
 * used, report progress through ctx->progress, and ask the server to stop
 * (A1111 /sdapi/v1/interrupt, ComfyUI /interrupt or /queue delete) when
 * ctx->cancel is set. ctx->api_key, when set, is "user:password" for HTTP
 * Basic auth (A1111 --api-auth); never logged. deadline (ig_backend_now_ms
 * clock) is the end of the call's budget, detection included. Any thread.
 */
int ig_sd_a1111_run(const ig_backend_ctx *ctx, const ig_request *req,
                    const ig_applied *applied, double deadline, cJSON *result,
                    ig_error *err);
int ig_sd_comfy_run(const ig_backend_ctx *ctx, const ig_request *req,
                    const ig_applied *applied, double deadline, cJSON *result,
                    ig_error *err);

#endif
