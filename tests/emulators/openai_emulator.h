/*
 * openai_emulator.h - a stateful loopback emulator of the OpenAI Images API
 * (POST /v1/images/generations, /v1/images/edits, /v1/images/variations, and
 * GET /v1/__files/<id>.png for dall-e result URLs), built on emulator_core.
 *
 * It checks `Authorization: Bearer <key>`, validates requests like the real
 * API (400 invalid_request_error with the offending `param`), and answers in
 * the ImagesResponse shape with real images (libvips) of the requested size
 * and format. Faults are queued through emu_fault_push on
 * oai_emulator_server() or over HTTP on /__emulator/faults.
 *
 * Threads: every function may be called from any thread while the emulator
 * runs, except oai_emulator_stop, which must be the last call.
 */
#ifndef IG_OPENAI_EMULATOR_H
#define IG_OPENAI_EMULATOR_H

#include "emulators/emulator_core.h"

typedef struct oai_emulator oai_emulator;

/* Starts on 127.0.0.1:port (0 = ephemeral) accepting api_key (copied; NULL
 * = "sk-emulator"). Returns NULL when the port cannot be bound or libvips
 * cannot start. */
oai_emulator *oai_emulator_start(int port, const char *api_key);

/* Stops (releasing held requests promptly) and frees. NULL is ignored. */
void oai_emulator_stop(oai_emulator *emu);

/* "http://127.0.0.1:<port>/v1" (valid until stop). */
const char *oai_emulator_base_url(const oai_emulator *emu);

/* The core server, for faults and the request log (valid until stop). */
emu_server *oai_emulator_server(oai_emulator *emu);

/* Images produced so far for model (NULL = all models). */
int oai_emulator_images_made(oai_emulator *emu, const char *model);

#endif
