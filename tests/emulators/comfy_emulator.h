/*
 * comfy_emulator.h - a stateful loopback emulator of a ComfyUI server
 * (server.py / execution.py), built on emulator_core:
 *
 *   GET  /system_stats                 -> {system, devices}
 *   GET  /object_info[/<class>]        -> node descriptions ({} for unknown)
 *   POST /upload/image (multipart image, type, subfolder, overwrite)
 *                                      -> {name, subfolder, type}
 *   POST /prompt {prompt, client_id}   -> {prompt_id, number, node_errors};
 *                                         400 {error, node_errors} on a bad graph
 *   GET  /prompt                       -> {exec_info: {queue_remaining}}
 *   GET  /queue                        -> {queue_running, queue_pending}
 *   POST /queue {delete: [ids]} | {clear: true}
 *   POST /interrupt [{prompt_id}]
 *   GET  /history[/<prompt_id>]        -> {} until done, then {id: {prompt,
 *                                         outputs, status, meta}}
 *   GET  /view?filename&subfolder&type -> the bytes (inputs as uploaded,
 *                                         outputs as real PNGs)
 *   GET  /ws?clientId=                 -> websocket of JSON progress frames
 *
 * One prompt runs at a time. Time never moves it: every GET of /history,
 * /queue or /prompt, and every websocket tick, advances the running prompt
 * one sampler step; after `steps` steps it ends and the next one starts.
 * Graphs are validated like validate_prompt (unknown class_type, missing
 * input, bad link, wrong type, value out of range or not in a list). An
 * ended prompt's outputs are computed from the graph (latent sizes, pads,
 * upscale factors), so /view returns images of the size the graph asks for.
 *
 * Faults (emu_fault_push or /__emulator/faults): 429/500/502/503 as
 * aiohttp's plain-text pages, timeout, reset, truncate, malformed; "invalid"
 * on /prompt queues the prompt but makes it end in execution_error (CUDA out
 * of memory); "expired" on /view answers 404.
 *
 * Threads: every function may be called from any thread while the emulator
 * runs, except comfy_emulator_stop, which must be the last call.
 */
#ifndef IG_COMFY_EMULATOR_H
#define IG_COMFY_EMULATOR_H

#include <stdbool.h>

#include "emulators/emulator_core.h"

typedef struct comfy_emulator comfy_emulator;

/* Starts on 127.0.0.1:port (0 = ephemeral). auth ("user:password", copied)
 * makes every API path ask for HTTP Basic auth, as a reverse proxy in front
 * of ComfyUI would; NULL = none (ComfyUI's default). NULL when the port
 * cannot be bound or libvips cannot start. */
comfy_emulator *comfy_emulator_start(int port, const char *auth);

/* Stops (releasing held requests and websockets promptly) and frees. */
void comfy_emulator_stop(comfy_emulator *emu);

/* "http://127.0.0.1:<port>" (valid until stop). */
const char *comfy_emulator_base_url(const comfy_emulator *emu);

/* The core server, for faults and the request log (valid until stop). */
emu_server *comfy_emulator_server(comfy_emulator *emu);

/* Sampler steps of prompts queued from now on (default 3; at least 1). */
void comfy_emulator_set_steps(comfy_emulator *emu, int steps);

/* What /object_info offers: upscale models (default on: RealESRGAN_x2plus
 * and 4x-UltraSharp) and the ComfyUI_IPAdapter_plus nodes (default off). */
void comfy_emulator_set_upscalers(comfy_emulator *emu, bool on);
void comfy_emulator_set_ipadapter(comfy_emulator *emu, bool on);

/* The next `count` prompts to run end in execution_error (out of memory). */
void comfy_emulator_fail_next(comfy_emulator *emu, int count);

/* Queues a prompt of another client that runs for `steps` steps first
 * (to make ours wait in queue_pending). */
void comfy_emulator_queue_foreign(comfy_emulator *emu, int steps);

/* Counters: prompts accepted, prompts deleted from the queue, interrupts
 * that stopped a running prompt, uploads. */
int comfy_emulator_prompts(comfy_emulator *emu);
int comfy_emulator_deleted(comfy_emulator *emu);
int comfy_emulator_interrupted(comfy_emulator *emu);
int comfy_emulator_uploads(comfy_emulator *emu);

/* The last graph accepted (caller deletes), or NULL. */
cJSON *comfy_emulator_last_graph(comfy_emulator *emu);

/* The names of the inputs uploaded so far, as a JSON array (caller
 * deletes). */
cJSON *comfy_emulator_uploaded(comfy_emulator *emu);

#endif
