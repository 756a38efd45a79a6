/*
 * a1111_emulator.h - a stateful loopback emulator of the AUTOMATIC1111
 * Stable Diffusion web UI API (modules/api/api.py, models.py; v1.10),
 * built on emulator_core:
 *
 *   POST /sdapi/v1/txt2img, /sdapi/v1/img2img  -> {images, parameters, info}
 *   POST /sdapi/v1/extra-single-image         -> {html_info, image}
 *   GET  /sdapi/v1/progress                   -> {progress, eta_relative, state, ...}
 *   POST /sdapi/v1/interrupt, /sdapi/v1/skip  -> {}
 *   GET  /sdapi/v1/upscalers, sd-models, samplers, options; POST options
 *   GET  /controlnet/model_list, /controlnet/module_list (the ControlNet
 *        extension; switchable off, then 404 and "Script 'controlnet' not
 *        found" for units)
 *
 * Like the real server it runs one job at a time: a second generation
 * waits until the first ends. A job can be held until a set number of
 * progress reads happened while it runs (each read advances it a step), so
 * tests see progress and can interrupt without depending on timing; an
 * interrupted job answers at once with its (half-made) images, as A1111
 * does. Bodies are validated like FastAPI/pydantic 1 (422 {"detail":
 * [{loc, msg, type}]}); other failures use A1111's {"error", "detail",
 * "body", "errors"} shape. Started with an auth "user:password", every
 * /sdapi path wants HTTP Basic auth (401 otherwise), as with --api-auth.
 * Faults: "500" is CUDA running out of memory, "503"/"502"/"429" a proxy's
 * answer, plus the core's timeout, reset, truncate and malformed.
 *
 * Threads: every function may be called from any thread while the emulator
 * runs, except a1111_emulator_stop, which must be the last call.
 */
#ifndef IG_A1111_EMULATOR_H
#define IG_A1111_EMULATOR_H

#include <stdbool.h>

#include "emulators/emulator_core.h"

typedef struct a1111_emulator a1111_emulator;

/* Starts on 127.0.0.1:port (0 = ephemeral); auth "user:password" (copied)
 * turns on Basic auth, NULL or "" leaves the API open. NULL when the port
 * cannot be bound or libvips cannot start. */
a1111_emulator *a1111_emulator_start(int port, const char *auth);

/* Stops (releasing held jobs promptly) and frees. NULL is ignored. */
void a1111_emulator_stop(a1111_emulator *emu);

/* "http://127.0.0.1:<port>" (valid until stop). */
const char *a1111_emulator_base_url(const a1111_emulator *emu);

/* The core server, for faults and the request log (valid until stop). */
emu_server *a1111_emulator_server(a1111_emulator *emu);

/* Jobs started from now on finish only after this many progress reads
 * while they run (default 0: at once), or when interrupted. */
void a1111_emulator_set_progress_reads(a1111_emulator *emu, int reads);

/* Whether the ControlNet extension is installed (default on). */
void a1111_emulator_set_controlnet(a1111_emulator *emu, bool on);

/* Generations and upscales run so far ("txt2img", "img2img", "extras";
 * NULL = all), and interrupts received. */
int a1111_emulator_jobs(a1111_emulator *emu, const char *kind);
int a1111_emulator_interrupts(a1111_emulator *emu);

/* Blocks until a job is running (up to timeout_ms); 0, or -1 on timeout. */
int a1111_emulator_wait_running(a1111_emulator *emu, int timeout_ms);

/* A copy of the last valid body POSTed to a job path ("txt2img", "img2img",
 * "extras"), or NULL; the caller frees it. */
cJSON *a1111_emulator_last_body(a1111_emulator *emu, const char *kind);

#endif
