/*
 * candidates.h - the ordered list of providers one call may use.
 *
 * Built after the request's inputs are decoded, before any provider is
 * called. A candidate is a provider that is configured, has a backend,
 * offers the operation, is not blocked, can take the request with its
 * model (negotiation passed), fits the budget and is not cooling down.
 * Under priority privacy only private providers (privacy.h) are candidates.
 * Order: the pinned provider alone; else providerPreferences.preferred, then
 * the others ranked by the call's priority (priority.h), else in the default
 * order; providers that would drop a requested feature
 * (reference image, negative prompt, seed, style, transparent background)
 * after those that keep them; then a weighted draw may move one provider of
 * the best group to the front. Used by the one thread running the call.
 */
#ifndef IG_CANDIDATES_H
#define IG_CANDIDATES_H

#include "core/config.h"
#include "core/ig_error.h"
#include "providers/backend.h"
#include "providers/fallback/pricing.h"
#include "providers/fallback/routing_state.h"
#include "providers/image_request.h"
#include "providers/negotiate.h"

typedef struct cJSON cJSON;

typedef struct ig_candidate {
    ig_provider_id provider;
    const ig_backend *backend;
    ig_model_caps caps;      /* the chosen model (strings borrowed) */
    ig_applied applied;      /* negotiated for caps; applied.caps is &caps */
    cJSON *warnings;         /* what negotiation changed (owned) */
    ig_cost_estimate cost;
    double rank_value;       /* what the priority ranked by: points, seconds
                                or USD (see ig_rank_by) */
    bool rank_observed;      /* speed: rank_value was measured, not seeded */
} ig_candidate;

typedef struct ig_route_plan {
    ig_candidate *list[IG_PROVIDER_COUNT]; /* in the order to try */
    int count;
    ig_candidate slots[IG_PROVIDER_COUNT]; /* storage, by provider id */
    const char *rule;   /* what put list[0] first: "pinned", "weights",
                           "preferred", "priority", "default order" */
    ig_priority priority;
    cJSON *skipped;     /* [{provider, model, reason, ...}] (owned) */
} ig_route_plan;

/*
 * Fills plan for req. Returns 0 with at least one candidate, or -1 with err
 * saying why none is left: the pinned or only capable provider's
 * negotiation error (naming the field), budget_exceeded (field maxCostUsd),
 * providers_cooling_down (retry_after_s set). plan must be freed with
 * ig_route_plan_free either way.
 */
int ig_route_plan_build(const ig_config *config, ig_routing_state *state,
                        const ig_request *req, ig_route_plan *plan, ig_error *err);

void ig_route_plan_free(ig_route_plan *plan);

/* The plan's routing summary for the result: {rule, priority?, order:
 * [names], ranking?: [{provider, points | estimatedSeconds + observed |
 * estimatedUsd}], skipped: [...]} (new object). */
cJSON *ig_route_plan_to_json(const ig_route_plan *plan);

/* --- ranking by priority (priority_order.c) --- */

/* Seconds a call of op on provider is assumed to take before any was
 * observed: providers.<id>.typicalSeconds, else the built-in figure. */
double ig_latency_seed_s(const ig_config *config, ig_provider_id provider, ig_operation op);

/* Sorts list[0..count) by priority, best first (stable; ties follow the
 * priority's list), and sets each candidate's rank_value. */
void ig_priority_order(const ig_config *config, ig_routing_state *state, ig_priority priority,
                       ig_operation op, ig_candidate **list, int count);

#endif
