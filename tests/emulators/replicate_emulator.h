/*
 * replicate_emulator.h - a stateful loopback emulator of Replicate's HTTP
 * API for predictions (../shared/specs/replicate.openapi.json), built on
 * emulator_core:
 *
 *   POST /v1/models/{owner}/{name}/predictions  official models by name
 *   POST /v1/predictions {"version", "input"}   any model by version
 *   GET  /v1/predictions/{id}                   urls.get
 *   POST /v1/predictions/{id}/cancel            urls.cancel
 *   GET  /v1/predictions/{id}/stream            urls.stream (server-sent events)
 *   GET  /delivery/xezq/{id}/out-{i}.{fmt}      the output files (replicate.delivery)
 *
 * API paths check `Authorization: Bearer <token>` (401 problem details
 * otherwise); the delivery path takes no token, and the request log's
 * "auth" field says whether one was presented there. Inputs are validated
 * per model (422 problem details with invalid_fields, like the real API);
 * unknown models 404, unknown versions 422. A prediction is "starting" when
 * created, "processing" for a set number of status reads (ticks), then
 * final: nothing depends on wall-clock time. `Prefer: wait=N` is checked
 * against the spec's pattern and `Cancel-After` against its duration syntax
 * (at least 5 s; 400 problem details otherwise, recorded in the exchange
 * log as cancelAfter); whether the create answer comes back finished
 * is a setting (replicate_emulator_set_wait_completes), never a timer.
 * Faults (emu_fault_push or /__emulator/faults) answer in Replicate's
 * shapes; "moderation" on a create path makes that prediction fail with
 * "NSFW content detected", on a prediction path the prediction read.
 *
 * Threads: every function may be called from any thread while the emulator
 * runs, except replicate_emulator_stop, which must be the last call.
 */
#ifndef IG_REPLICATE_EMULATOR_H
#define IG_REPLICATE_EMULATOR_H

#include <stdbool.h>

#include "emulators/emulator_core.h"

typedef struct replicate_emulator replicate_emulator;

/* Starts on 127.0.0.1:port (0 = ephemeral) accepting `Authorization: Bearer
 * <token>` (copied; NULL = "r8_emulator_token"). NULL when the port cannot
 * be bound or libvips cannot start. */
replicate_emulator *replicate_emulator_start(int port, const char *token);

/* Stops (releasing held requests promptly) and frees. NULL is ignored. */
void replicate_emulator_stop(replicate_emulator *emu);

/* "http://127.0.0.1:<port>/v1", what REPLICATE_BASE_URL names (valid until stop). */
const char *replicate_emulator_base_url(const replicate_emulator *emu);

/* The core server, for faults and the request log (valid until stop). */
emu_server *replicate_emulator_server(replicate_emulator *emu);

/* Predictions created from now on answer "processing" for this many
 * status reads before the final status (default 2; < 1 counts as 1). */
void replicate_emulator_set_ticks(replicate_emulator *emu, int reads);

/* Whether a create that sent `Prefer: wait` comes back finished (true, the
 * default: a short job within the wait) or still "starting" (false: the
 * wait ran out, the client polls). */
void replicate_emulator_set_wait_completes(replicate_emulator *emu, bool completes);

/* The next `count` created predictions end "failed" with a model error. */
void replicate_emulator_fail_next(replicate_emulator *emu, int count);

/* As replicate_emulator_fail_next, failing with the given error text
 * (copied; e.g. a moderation refusal such as "The input or output was
 * flagged as sensitive. ... (E005)"). */
void replicate_emulator_fail_next_with(replicate_emulator *emu, int count, const char *error);

/* Whether outputs are data URLs (as some models answer) instead of file
 * URLs on the delivery path (default false). */
void replicate_emulator_set_data_urls(replicate_emulator *emu, bool on);

/* The host the URLs it hands out (urls.*, output files) name instead of
 * 127.0.0.1, e.g. "localhost": a host a client must not trust with the
 * token (copied; NULL = back to 127.0.0.1). The port stays. */
void replicate_emulator_set_url_host(replicate_emulator *emu, const char *host);

/* Predictions created so far for a model "owner/name" (NULL = all). */
int replicate_emulator_predictions(replicate_emulator *emu, const char *model);

/* Cancel requests that reached a prediction so far. */
int replicate_emulator_cancels(replicate_emulator *emu);

/*
 * The API exchanges so far (caller frees): [{method, path, prefer (or
 * null), cancelAfter (or null), request (the parsed body, or null), status,
 * response (the parsed answer, or null)}], oldest first; the delivery path
 * is not kept. For checking requests and answers against the spec.
 */
cJSON *replicate_emulator_exchanges(replicate_emulator *emu);

#endif
