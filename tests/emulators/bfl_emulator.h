/*
 * bfl_emulator.h - a stateful loopback emulator of the Black Forest Labs
 * FLUX API (public spec 0.0.1), built on emulator_core:
 *
 *   POST /v1/flux-pro-1.1, /v1/flux-pro-1.1-ultra, /v1/flux-dev,
 *        /v1/flux-kontext-pro, /v1/flux-kontext-max,
 *        /v1/flux-pro-1.0-fill, /v1/flux-pro-1.0-expand  -> {id, polling_url, cost...}
 *   GET  /regional/v1/get_result?id=  (the polling_url it hands out) and
 *        /v1/get_result?id=           -> {id, status, result, progress, ...}
 *   GET  /v1/credits                  -> {credits}
 *   GET  /delivery/<id>/sample.<fmt>?se=..&sig=..  the signed result URL (no key)
 *
 * Every API path checks `x-key: <key>` (403 {"detail": ...} otherwise);
 * bodies are validated like FastAPI/pydantic does (422 {"detail": [{loc, msg,
 * type, input, ctx}]}, every bad field at once). A task answers "Pending"
 * for a configurable number of polls, then "Ready" with a signed sample URL
 * whose GET returns a real image of the size the real API makes. Faults are
 * queued through emu_fault_push on bfl_emulator_server() or over HTTP on
 * /__emulator/faults; "moderation" on a submit path makes that task end as
 * "Request Moderated", on a polling path "Content Moderated"; "expired" on
 * /delivery answers Azure's 403 AuthenticationFailed XML.
 *
 * Threads: every function may be called from any thread while the emulator
 * runs, except bfl_emulator_stop, which must be the last call.
 */
#ifndef IG_BFL_EMULATOR_H
#define IG_BFL_EMULATOR_H

#include <stdbool.h>

#include "emulators/emulator_core.h"

typedef struct bfl_emulator bfl_emulator;

/* Starts on 127.0.0.1:port (0 = ephemeral) accepting `x-key: api_key`
 * (copied; NULL = "bfl-emulator-key"). Returns NULL when the port cannot be
 * bound or libvips cannot start. */
bfl_emulator *bfl_emulator_start(int port, const char *api_key);

/* Stops (releasing held requests promptly) and frees. NULL is ignored. */
void bfl_emulator_stop(bfl_emulator *emu);

/* "http://127.0.0.1:<port>" (clients append /v1/...; valid until stop). */
const char *bfl_emulator_base_url(const bfl_emulator *emu);

/* The core server, for faults and the request log (valid until stop). */
emu_server *bfl_emulator_server(bfl_emulator *emu);

/* Tasks submitted from now on answer "Pending" (with a rising progress) for
 * this many polls before their final status (default 2; < 0 counts as 0). */
void bfl_emulator_set_pending_polls(bfl_emulator *emu, int polls);

/* The next `count` accepted tasks finish with status "Error" instead of
 * "Ready" (after their pending polls). */
void bfl_emulator_fail_next(bfl_emulator *emu, int count);

/* While on, every submission answers 402 {"detail":"Insufficient credits"}
 * (after validation) and /v1/credits reports 0. */
void bfl_emulator_no_credits(bfl_emulator *emu, bool on);

/* Tasks accepted so far for an endpoint such as "flux-pro-1.1" (NULL = all). */
int bfl_emulator_tasks(bfl_emulator *emu, const char *endpoint);

#endif
