/*
 * fal_emulator.h - a stateful loopback emulator of fal.ai's queue API
 * (queue.fal.run) for the models the fal backend uses, built on
 * emulator_core:
 *
 *   POST /fal-ai/flux/dev, /fal-ai/flux/dev/image-to-image,
 *        /fal-ai/flux-lora/inpainting, /fal-ai/flux-1/dev/redux,
 *        /fal-ai/flux-pulid, /fal-ai/ip-adapter-face-id, /fal-ai/esrgan
 *        -> {request_id, response_url, status_url, cancel_url, queue_position}
 *   GET  /<owner>/<app>/requests/<id>/status[?logs=1]
 *        -> IN_QUEUE (queue_position) for a set number of polls, then
 *           IN_PROGRESS (logs) for a set number, then COMPLETED (metrics)
 *   GET  /<owner>/<app>/requests/<id>
 *        -> the model's output ({"images":[{url,width,height,content_type}],
 *           seed, has_nsfw_concepts, ...} or esrgan's {"image":{...}}); 400
 *           {"detail":"Request is still in progress"} before COMPLETED
 *   PUT  /<owner>/<app>/requests/<id>/cancel
 *        -> 202 {"status":"CANCELLATION_REQUESTED"} while queued or running
 *           (the request then polls COMPLETED and its response answers 400
 *           {"detail":"Request is cancelled"}), 400 {"status":
 *           "ALREADY_COMPLETED"} after it completed
 *   GET  /cdn/files/<id>/<n>.<ext>  the result images, fal.media's role:
 *        open by URL, and a request carrying an Authorization header is
 *        refused (400) so a suite proves the key never goes there
 *
 * Every queue path checks `Authorization: Key <key>` (401 {"detail":
 * "Unauthorized"}); inputs are validated per model the pydantic way (422
 * {"detail":[{loc:["body",field],msg,type}]}, every bad field at once,
 * unknown fields ignored); data URIs are decoded and their images sized,
 * http(s) URLs are not fetched (taken as 1024x768). Output images are real
 * (emu_images.c) at the size the model makes: image_size (default
 * landscape_4_3 = 1024x768, custom sizes floored to multiples of 16), the
 * input's size for img2img and inpainting, input x scale for esrgan.
 *
 * Faults (emu_fault_push or POST /__emulator/faults) in fal's shapes:
 * 429/502/503 with X-Fal-Retryable: true, 500, "quota" = 403 "Exhausted
 * balance", "invalid" = a 422 detail list, "expired" = 404 (files and
 * requests). "moderation" on a submit path answers 422 with type
 * content_policy_violation (prompt refused); on a /requests path it flags
 * every image of that request in has_nsfw_concepts (the request then
 * answers normally), and their files are black images, as fal serves them.
 *
 * Threads: every function may be called from any thread while the emulator
 * runs, except fal_emulator_stop, which must be the last call.
 */
#ifndef IG_FAL_EMULATOR_H
#define IG_FAL_EMULATOR_H

#include "emulators/emulator_core.h"

typedef struct fal_emulator fal_emulator;

/* Starts on 127.0.0.1:port (0 = ephemeral) accepting `Authorization: Key
 * <api_key>` (copied; NULL = "fal-emulator-key"). NULL when the port
 * cannot be bound or libvips cannot start. */
fal_emulator *fal_emulator_start(int port, const char *api_key);

/* Stops (releasing held requests promptly) and frees. NULL is ignored. */
void fal_emulator_stop(fal_emulator *emu);

/* "http://127.0.0.1:<port>" (clients append /<model id>; valid until stop). */
const char *fal_emulator_base_url(const fal_emulator *emu);

/* The core server, for faults and the request log (valid until stop). */
emu_server *fal_emulator_server(fal_emulator *emu);

/* Requests accepted from now on answer IN_QUEUE for `queued` polls (with
 * a falling queue_position), then IN_PROGRESS for `running` polls, then
 * COMPLETED (defaults 1 and 1; < 0 counts as 0). */
void fal_emulator_set_polls(fal_emulator *emu, int queued, int running);

/* The next accepted request flags its first `images` images in
 * has_nsfw_concepts (a large number flags all of them). */
void fal_emulator_flag_next(fal_emulator *emu, int images);

/* The next `count` accepted requests fail while running: their status
 * completes and their response answers 500 {"detail": ...} with
 * X-Fal-Retryable: false. */
void fal_emulator_fail_next(fal_emulator *emu, int count);

/* What the result of a completed request answers instead of the output. */
typedef enum fal_garble {
    FAL_GARBLE_NONE,
    FAL_GARBLE_MALFORMED, /* 200 with JSON that breaks off */
    FAL_GARBLE_NO_IMAGES, /* 200 {"images": [], "seed"} */
    FAL_GARBLE_FORBIDDEN, /* 403 {"detail": "Forbidden"} (a key revoked meanwhile) */
} fal_garble;

/* The next accepted request runs and completes normally (it would be
 * charged), but its response answers as kind says. */
void fal_emulator_garble_next(fal_emulator *emu, fal_garble kind);

/* Queue answers name their status/response/cancel URLs and file URLs
 * under base (copied; e.g. "http://localhost:<port>", a host a client must
 * not trust with the key) instead of the emulator's own base URL; NULL
 * restores that. Affects every answer from now on. */
void fal_emulator_set_url_base(fal_emulator *emu, const char *base);

/* The input (JSON body) of the last accepted request, for suites that
 * check what a client sent; the caller deletes it. NULL before any. */
cJSON *fal_emulator_last_input(fal_emulator *emu);

/* Requests accepted so far for a model id such as "fal-ai/flux/dev" (NULL
 * = all), and cancellations accepted (202) so far. */
int fal_emulator_requests(fal_emulator *emu, const char *model);
int fal_emulator_cancellations(fal_emulator *emu);

#endif
