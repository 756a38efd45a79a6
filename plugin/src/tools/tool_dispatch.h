/*
 * tool_dispatch.h - runs a validated request through the fallback layer:
 * builds the route plan (candidates, models, negotiation, cost, budget,
 * cooldowns), then tries the candidates until one succeeds, each attempt on
 * the candidate's backend. Records the outcome in the result (provider,
 * model, applied, cost, routing, attempts, warnings, images). Any thread.
 */
#ifndef IG_TOOL_DISPATCH_H
#define IG_TOOL_DISPATCH_H

#include <stdatomic.h>

#include "core/instance.h"
#include "providers/image_request.h"

typedef struct cJSON cJSON;

/* Progress callback for the provider stage (fraction 0..1 of that stage). */
typedef void (*ig_dispatch_progress_fn)(void *ctx, double fraction, const char *message);

/*
 * Routes and runs req. Returns 0, or -1 with err. Images stored before a
 * failure stay in result.
 */
int ig_dispatch(ig_instance *inst, const ig_request *req, const atomic_bool *cancel,
                ig_dispatch_progress_fn progress, void *progress_ctx, cJSON *result,
                ig_error *err);

#endif
