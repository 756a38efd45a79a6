/*
 * stability_emulator.h - a stateful loopback emulator of the Stability AI
 * REST v2beta image API, built on emulator_core:
 *   POST /v2beta/stable-image/generate/{ultra,core,sd3}
 *   POST /v2beta/stable-image/edit/{inpaint,outpaint,erase,search-and-replace,
 *        remove-background}
 *   POST /v2beta/stable-image/upscale/{fast,conservative,creative}
 *   POST /v2beta/stable-image/control/{style,style-transfer}
 *   GET  /v2beta/results/{id} (and the older
 *        /v2beta/stable-image/upscale/creative/result/{id})
 *
 * It checks `Authorization: Bearer <key>`, takes multipart/form-data only,
 * validates fields and input images like the real API (400 {"id","name",
 * "errors":["<field>: <what>"]}), negotiates `accept` ("image/" + "*" = raw bytes
 * with finish-reason and seed headers, application/json = {"image",
 * "finish_reason","seed"}) and answers with real images (libvips) of the
 * size the real API would produce. Creative upscales are async: their result
 * answers 202 in-progress for a configurable number of polls (never
 * wall-clock time). Faults are queued through emu_fault_push on
 * stab_emulator_server() or over HTTP on /__emulator/faults and answered in
 * Stability's error shape.
 *
 * Threads: every function may be called from any thread while the emulator
 * runs, except stab_emulator_stop, which must be the last call.
 */
#ifndef IG_STABILITY_EMULATOR_H
#define IG_STABILITY_EMULATOR_H

#include "emulators/emulator_core.h"

typedef struct stab_emulator stab_emulator;

/* Starts on 127.0.0.1:port (0 = ephemeral) accepting api_key (copied; NULL =
 * "sk-stability-emulator") as "Authorization: Bearer <key>". Returns NULL
 * when the port cannot be bound or libvips cannot start. */
stab_emulator *stab_emulator_start(int port, const char *api_key);

/* Stops (releasing held requests promptly) and frees. NULL is ignored. */
void stab_emulator_stop(stab_emulator *emu);

/* "http://127.0.0.1:<port>" (no /v2beta: clients append the full paths;
 * valid until stop). */
const char *stab_emulator_base_url(const stab_emulator *emu);

/* The core server, for faults and the request log (valid until stop). */
emu_server *stab_emulator_server(stab_emulator *emu);

/* Creative upscales submitted from now on answer 202 in-progress for this
 * many GETs of their result before the image (default 2; < 0 = 0). */
void stab_emulator_set_pending_polls(stab_emulator *emu, int polls);

/* The next `count` image answers (sync answers and creative jobs) carry
 * finish_reason CONTENT_FILTERED with a blurred image. */
void stab_emulator_filter_next(stab_emulator *emu, int count);

/* Images produced so far for an endpoint such as "generate/ultra" or
 * "upscale/creative" (NULL = all endpoints). */
int stab_emulator_images_made(stab_emulator *emu, const char *endpoint);

#endif
