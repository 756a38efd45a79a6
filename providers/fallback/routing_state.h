/*
 * routing_state.h - what the fallback layer remembers between calls of one
 * instance: each provider's cooldown, how long its calls take, and the
 * random draws for weights and backoff jitter.
 *
 * One per instance, shared by every thread running calls on it; every
 * function locks an internal mutex, so any thread may call any of them.
 * Times are ig_backend_now_ms() milliseconds (monotonic).
 */
#ifndef IG_ROUTING_STATE_H
#define IG_ROUTING_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "providers/catalog.h"
#include "providers/fallback/error_class.h"

typedef struct ig_routing_state ig_routing_state;

/* A new state. seeded: draws follow seed (reproducible tests); otherwise
 * they are seeded from the system's random source. NULL when out of memory. */
ig_routing_state *ig_routing_state_new(bool seeded, uint64_t seed);
void ig_routing_state_free(ig_routing_state *state);

/* Milliseconds left of provider's cooldown at now_ms (0 = none), and the
 * class that started it (may be NULL). */
double ig_cooldown_left_ms(ig_routing_state *state, ig_provider_id provider, double now_ms,
                           ig_error_class *why);

/* Cools provider down until until_ms (a later cooldown already running is
 * kept). */
void ig_cooldown_start(ig_routing_state *state, ig_provider_id provider, double until_ms,
                       ig_error_class why);

/* How much the newest call moves the latency average. */
#define IG_LATENCY_WEIGHT 0.3

/*
 * Seconds provider's calls of op took lately: a moving average that starts
 * at seed_s (the documented typical figure) and moves IG_LATENCY_WEIGHT of
 * the way to each observed call. *observed (may be NULL) says whether any
 * call was observed.
 */
double ig_latency_estimate_s(ig_routing_state *state, ig_provider_id provider,
                             ig_operation op, double seed_s, bool *observed);

/* Records the seconds one successful call took. */
void ig_latency_observe(ig_routing_state *state, ig_provider_id provider, ig_operation op,
                        double seconds, double seed_s);

/* A uniform draw in [0, 1). */
double ig_routing_draw(ig_routing_state *state);

#endif
