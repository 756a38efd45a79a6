/*
 * fallback.h - runs one call over its route plan: retries, waits for rate
 * limits, falls back to the next provider, cools providers down, and
 * writes what happened into the result.
 *
 * Per attempt the caller's attempt function runs the candidate's backend
 * into a fresh result envelope; the runner keeps the envelope of the attempt
 * that succeeded (or of the last one that failed) and records every attempt
 * in result.attempts. Rules, by error class (error_class.h):
 *   transient        retried routing.maxRetries times with jittered
 *                    exponential backoff, then cooldown + next provider;
 *   rate_limited     Retry-After <= routing.maxRetryAfterSeconds is waited
 *                    (exactly) and retried; else cooldown + next provider;
 *   auth, quota      long cooldown + next provider;
 *   unsupported      next provider;
 *   invalid_request, prompt/output refused (unless fallbackOnModeration),
 *   local            stop: the same request would fail anywhere.
 * An attempt that stored an image or had a job accepted is never repeated
 * anywhere: it is paid for. One thread per call; the routing state is
 * shared (thread-safe).
 */
#ifndef IG_FALLBACK_H
#define IG_FALLBACK_H

#include <stdatomic.h>

#include "core/config.h"
#include "providers/fallback/candidates.h"

typedef struct cJSON cJSON;

/* Runs candidate into attempt_result (a fresh ig_result_new envelope);
 * returns 0 or -1 with err as ig_backend.run does. */
typedef int (*ig_attempt_fn)(void *ctx, const ig_candidate *candidate, cJSON *attempt_result,
                             ig_error *err);

/* Receives {"type":"provider.fallback", ...} (borrowed). */
typedef void (*ig_fallback_event_fn)(void *ctx, const cJSON *event);

typedef struct ig_fallback_env {
    const ig_routing_config *routing;
    ig_routing_state *state;
    const atomic_bool *cancel; /* may be NULL */
    ig_attempt_fn attempt;
    void *attempt_ctx;
    ig_fallback_event_fn event; /* may be NULL */
    void *event_ctx;
} ig_fallback_env;

/*
 * Tries plan's candidates in order. Returns 0 with result filled from the
 * successful attempt, or -1 with err: the failure itself when one provider
 * was tried (or the call had to stop), else all_providers_failed summing up
 * every provider's failure and what to do.
 */
int ig_fallback_run(const ig_fallback_env *env, const ig_route_plan *plan, cJSON *result,
                    ig_error *err);

#endif
