/*
 * sd_comfy.h - the ComfyUI client of the local Stable Diffusion backend
 * (see sd_local.h). ComfyUI runs "API format" graphs: {node_id: {class_type,
 * inputs}}, where an input is a value or a link [node_id, output_index].
 *
 *   sd_comfy_graph.c   builds the graph of each operation
 *   sd_comfy_server.c  what the server has (/object_info), uploads, /view
 *   sd_comfy_errors.c  ComfyUI answers to classified errors
 *   sd_comfy_ws.c      a small websocket client for /ws progress frames
 *   sd_comfy_backend.c the exchange: upload, queue, follow, fetch, cancel
 *
 * The end of a prompt is found by polling /history/{prompt_id}; /queue
 * gives its place in the queue and the websocket (when it connects) the
 * sampler steps. Private to providers/sd_local/.
 */
#ifndef IG_SD_COMFY_H
#define IG_SD_COMFY_H

#include "providers/sd_local/sd_local.h"

#define IG_COMFY "stable-diffusion-local" /* provider name in messages */

/* Sampler settings sent to KSampler (documented in the README). */
#define IG_COMFY_STEPS 25
#define IG_COMFY_CFG 7.0
#define IG_COMFY_SAMPLER "euler_ancestral"
#define IG_COMFY_SCHEDULER "normal"
#define IG_COMFY_GROW_MASK 8   /* VAEEncodeForInpaint.grow_mask_by, pixels */
#define IG_COMFY_FEATHERING 40 /* ImagePadForOutpaint.feathering, pixels */

/* What the server offers, from /object_info (sd_comfy_server.c). */
typedef struct comfy_server_info {
    char checkpoint[256];    /* the model to load ("" for upscales) */
    char upscale_model[256]; /* "" when none is installed or for generation */
    bool ip_adapter;         /* IPAdapterUnifiedLoader + IPAdapterAdvanced exist */
} comfy_server_info;

/* The names the inputs were uploaded under ("" = not uploaded). */
typedef struct comfy_inputs {
    char image[96], mask[96], reference[96];
} comfy_inputs;

/* Everything the graph needs besides the request. */
typedef struct comfy_plan {
    const comfy_server_info *info;
    const comfy_inputs *inputs;
    const char *prefix; /* SaveImage.filename_prefix, unique per call */
    uint64_t seed;      /* the caller's or a random one */
} comfy_plan;

/*
 * The API-format graph of req (caller deletes), or NULL with err. Adds to
 * result the warnings of what the graph cannot honour (a reference image
 * without IP-Adapter nodes). Any thread.
 */
cJSON *ig_comfy_graph(const ig_request *req, const ig_applied *applied,
                      const comfy_plan *plan, cJSON *result, ig_error *err);

/* The side of the square made when no size was asked for: 1024 for
 * checkpoints named like SDXL, SD3 or FLUX, else 512 (SD 1.x). */
int ig_comfy_default_side(const char *checkpoint);

/* IP-Adapter weight per consistency mode (README documents them). */
double ig_comfy_reference_weight(ig_consistency mode);

/*
 * Fills info for req: the checkpoint (applied's model unless it is the
 * "checkpoint" placeholder, else the first one the server lists), the
 * upscale model for upscales (IG_ERR_PROVIDER_UNAVAILABLE when none is
 * installed), and whether IP-Adapter nodes exist when a reference is sent.
 */
int ig_comfy_server_info(const ig_backend_ctx *ctx, const ig_request *req,
                         const ig_applied *applied, double deadline,
                         comfy_server_info *info, ig_error *err);

/* POST /upload/image of one input as name (type=input, overwrite=true);
 * copies the name the server kept into out. */
int ig_comfy_upload(const ig_backend_ctx *ctx, const ig_image *image, const char *name,
                    double deadline, char *out, size_t cap, ig_error *err);

/* GET /view of one output streamed into the store; commits it to result. */
int ig_comfy_fetch(const ig_backend_ctx *ctx, const ig_request *req, const char *model,
                   const cJSON *image, double deadline, cJSON *result, ig_error *err);

/* Classifies an HTTP failure of what (e.g. "POST /prompt"): 400 with
 * node_errors -> invalid request naming the node and input. */
void ig_comfy_http_error(const char *what, long status, double retry_after_s,
                         const char *body, ig_error *err);

/* The failure a finished prompt's history entry reports (execution_error
 * message, interrupted), as IG_ERR_PROVIDER_ERROR. */
void ig_comfy_execution_error(const char *prompt_id, const cJSON *status, ig_error *err);

/* --- the progress websocket (sd_comfy_ws.c) --- */

typedef struct comfy_ws comfy_ws;

/* What the socket told about one prompt so far. */
typedef struct comfy_ws_event {
    int value, max;      /* the last progress frame's step and steps */
    bool started, ended; /* execution_start; success, error or interrupted */
    bool changed;        /* something new since the caller cleared it */
} comfy_ws_event;

/*
 * Connects GET /ws?clientId=client_id on an http:// base URL (Basic auth
 * when ctx->api_key is set) and checks the handshake. NULL when it cannot
 * (https, refused, not a websocket): the caller then only polls. Owned by
 * one call's thread; close with ig_comfy_ws_close.
 */
comfy_ws *ig_comfy_ws_open(const ig_backend_ctx *ctx, const char *client_id, int timeout_ms);

/* Sends a ping and reads frames for about ms (at least until the pong), or
 * until the prompt ended or ctx->cancel is set; updates ev from the frames
 * about prompt_id. 0, or -1 when the socket failed (close it). */
int ig_comfy_ws_wait(comfy_ws *ws, const ig_backend_ctx *ctx, const char *prompt_id,
                     long ms, comfy_ws_event *ev);

/* Sends a close frame and frees ws. NULL is ignored. */
void ig_comfy_ws_close(comfy_ws *ws);

#endif
