/*
 * openrouter_emulator.h - a stateful loopback emulator of OpenRouter's image
 * output through chat completions (POST /api/v1/chat/completions with
 * "modalities":["image",...] and "image_config"), plus the public model list
 * (GET /api/v1/models?output_modalities=image), built on emulator_core.
 *
 * It checks `Authorization: Bearer <key>` (401 "No auth credentials found" /
 * "User not found.", never echoing the key), validates requests like the
 * service (400 {"error":{"code","message"}}, 404 "No endpoints found that
 * support the requested output modalities: ..."), and answers a
 * chat.completion whose choices[0].message.images[] hold real images as
 * base64 data URLs of the size the model would draw, with usage.cost.
 * It does not stream: stream:true is a 400.
 *
 * Faults: the core's queue (emu_fault_push on orr_emulator_server() or POST
 * /__emulator/faults) in OpenRouter's error shapes; the hooks below script
 * what the queue cannot say (402, 408, errors inside an HTTP 200, a choice
 * that ends with finish_reason "error", a model that declines to draw). The
 * hooks apply to completions that pass auth and validation, in this order:
 * no credits, fail_next, error_in_200, choice_error_next, text_only_next.
 *
 * Threads: every function may be called from any thread while the emulator
 * runs, except orr_emulator_stop, which must be the last call.
 */
#ifndef IG_OPENROUTER_EMULATOR_H
#define IG_OPENROUTER_EMULATOR_H

#include <stdbool.h>

#include "emulators/emulator_core.h"

typedef struct orr_emulator orr_emulator;

/* Starts on 127.0.0.1:port (0 = ephemeral) accepting api_key (copied; NULL =
 * "sk-or-emulator") as "Authorization: Bearer <key>". Returns NULL when the
 * port cannot be bound or libvips cannot start. */
orr_emulator *orr_emulator_start(int port, const char *api_key);

/* Stops (releasing held requests promptly) and frees. NULL is ignored. */
void orr_emulator_stop(orr_emulator *emu);

/* "http://127.0.0.1:<port>/api/v1" (valid until stop). */
const char *orr_emulator_base_url(const orr_emulator *emu);

/* The core server, for faults and the request log (valid until stop). */
emu_server *orr_emulator_server(orr_emulator *emu);

/* The next `count` completions answer HTTP 200 with {"error":{"code":code,
 * "message":message,"metadata":{"raw","provider_name","is_byok"}}} (an
 * upstream failure after routing, e.g. code 502). count <= 0 disarms. */
void orr_emulator_error_in_200(orr_emulator *emu, int count, int code, const char *message);

/* The next `count` completions answer with text content and no images
 * (what a model does when it declines to draw). count <= 0 disarms. */
void orr_emulator_text_only_next(orr_emulator *emu, int count);

/* The next `count` completions answer HTTP 200 with a chat.completion whose
 * choices[0] has finish_reason "error" and an error {code, message,
 * metadata.provider_name}, and no images. count <= 0 disarms. */
void orr_emulator_choice_error_next(orr_emulator *emu, int count, int code,
                                    const char *message);

/* The next `count` completions answer with HTTP status in OpenRouter's shape
 * for it: 400, 401, 402, 403 (moderation), 408, 429 and 503 (with
 * Retry-After: 1), 500, 502. count <= 0 disarms. */
void orr_emulator_fail_next(orr_emulator *emu, int count, int status);

/* While set, completions answer 402 "Insufficient credits ..." */
void orr_emulator_no_credits(orr_emulator *emu, bool no_credits);

/* Images produced so far for model (NULL = all models). */
int orr_emulator_images_made(orr_emulator *emu, const char *model);

#endif
