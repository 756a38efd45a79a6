/*
 * sd_a1111.h - the AUTOMATIC1111 web UI client of the local Stable
 * Diffusion backend (see sd_local.h): txt2img, img2img (inpaint, outpaint
 * as an inpaint of a padded canvas), extras upscale, ControlNet IP-Adapter
 * references. A1111 answers synchronously, one job at a time: the request
 * runs on a worker thread while the calling thread polls
 * /sdapi/v1/progress and, when the call is cancelled, posts
 * /sdapi/v1/interrupt (sd_a1111_job.c). Private to providers/sd_local/.
 */
#ifndef IG_SD_A1111_H
#define IG_SD_A1111_H

#include "providers/sd_local/sd_local.h"

#define IG_A1111_PROVIDER "stable-diffusion-local"

/* Fixed sampling settings (providerOptions.stable-diffusion-local may
 * replace any of them). */
#define IG_A1111_STEPS 25
#define IG_A1111_CFG 7.0
#define IG_A1111_SAMPLER "Euler a"

/* What the reference image becomes: a ControlNet IP-Adapter unit. */
typedef struct ig_a1111_reference {
    bool send;           /* a unit goes into alwayson_scripts */
    const char *module;  /* "ip-adapter_face_id_plus", "ip-adapter_clip_sd15" ... */
    char model[256];     /* a name from /controlnet/model_list */
    double weight;
    const char *control_mode;
} ig_a1111_reference;

/*
 * Picks the IP-Adapter unit for req's reference: asks GET
 * /controlnet/model_list and chooses module, model and weight per
 * consistency mode (strict 1.0 / balanced 0.7 with FaceID Plus, loose 0.4
 * with the plain CLIP IP-Adapter). When the extension is absent (404) or has
 * no IP-Adapter model, out->send stays false and a warning in result says
 * the reference was not honoured. Returns 0, or -1 with err when the server
 * could not be asked at all. Any thread.
 */
int ig_a1111_reference_pick(const ig_backend_ctx *ctx, const ig_request *req,
                            const char *checkpoint, double deadline,
                            ig_a1111_reference *out, cJSON *result, ig_error *err);

/*
 * The upscaler to use (into out): applied's model when GET
 * /sdapi/v1/upscalers lists it; else R-ESRGAN 4x+ when listed, else the
 * first model-based one (a warning says so when the config named another).
 * A model the request itself named that the server lacks is an invalid
 * request listing the ones it has. Returns 0 or -1 with err. Any thread.
 */
int ig_a1111_upscaler_pick(const ig_backend_ctx *ctx, const ig_request *req,
                           const ig_applied *applied, double deadline, char *out,
                           size_t cap, cJSON *result, ig_error *err);

/*
 * The JSON body of one txt2img or img2img request (malloc'd text the caller
 * frees with cJSON_free): batch_size images, first seed `seed` (-1 =
 * random), checkpoint NULL = the server's current one. *width and *height
 * receive the size asked for. Warnings go to result. NULL with err.
 */
char *ig_a1111_generate_body(const ig_request *req, const ig_applied *applied,
                             const char *checkpoint, const ig_a1111_reference *ref,
                             int batch_size, long long seed, int *width, int *height,
                             cJSON *result, ig_error *err);

/* The body of POST /sdapi/v1/extra-single-image with upscaler; NULL with err. */
char *ig_a1111_upscale_body(const ig_request *req, const char *upscaler, cJSON *result,
                            ig_error *err);

/* The endpoint of a request: "/sdapi/v1/txt2img" or "/sdapi/v1/img2img". */
const char *ig_a1111_generate_path(const ig_request *req);

/*
 * Classifies a failed answer: {"error","detail","body","errors"} or FastAPI's
 * {"detail": text | [{loc,msg,type}]}. 401 -> auth (Basic user:password),
 * 422/400/404 -> invalid request, 5xx -> provider error; CUDA out of memory
 * -> provider error with a hint to lower size or batch; an unknown upscaler
 * (500 AssertionError) -> invalid request.
 */
void ig_a1111_error(long status, const char *body, ig_error *err);

/* Adds the hint for a server that stopped answering (network error). */
void ig_a1111_network_hint(ig_error *err);

/* --- the synchronous exchange with progress and interrupt (sd_a1111_job.c) --- */

typedef struct ig_a1111_answer {
    long status;
    char *error_body;        /* non-2xx body (malloc'd) or NULL */
    ig_json_b64_sink *sink;  /* 2xx: the images, extracted into the store */
    const char *skeleton;    /* 2xx: the rest of the JSON (owned by sink) */
    bool interrupted;        /* the call was cancelled and A1111 interrupted */
    bool broke_off;          /* a 2xx body broke off (whole images are in sink) */
} ig_a1111_answer;

/*
 * POSTs body to path and waits for the answer on a worker thread; meanwhile
 * this thread reads GET /sdapi/v1/progress every ctx->poll_interval_ms and
 * reports it through ctx->progress (fraction, "automatic1111 62% (eta
 * 4 s)"). When ctx->cancel is set it posts /sdapi/v1/interrupt once, waits
 * (bounded) for A1111's early answer, and fails with IG_ERR_CANCELED
 * (answer->interrupted set). Returns 0 when an HTTP answer arrived whole
 * (check answer->status), else -1 with err. The caller frees the answer
 * with ig_a1111_answer_free. Calls ctx->progress on this thread only.
 */
int ig_a1111_exchange(const ig_backend_ctx *ctx, const char *path, const char *body,
                      double deadline, ig_a1111_answer *answer, ig_error *err);

void ig_a1111_answer_free(ig_a1111_answer *answer);

#endif
