/*
 * router.h - the routing checks that need no model or price: whether any
 * provider could serve a call at all.
 *
 * A pinned provider must offer the operation and be configured (checked
 * before inputs are read); an unpinned call needs at least one such
 * provider (checked after the inputs, so input errors are reported
 * even on a machine without keys). Choosing and ordering providers is the
 * fallback layer's (providers/fallback/candidates.h). Reads the process
 * environment; any thread.
 */
#ifndef IG_ROUTER_H
#define IG_ROUTER_H

#include "core/config.h"
#include "core/ig_error.h"
#include "providers/image_request.h"

/*
 * Before inputs: returns 0 when there is no pin (and the method's local
 * provider is not blocked) or the pin can serve the request, else -1 with
 * err: IG_ERR_INVALID_ARGUMENT (the pinned provider cannot do the operation
 * or the method), IG_ERR_PROVIDER_UNAVAILABLE (not configured, or the
 * method needs the blocked local provider).
 */
int ig_route_preflight(const ig_config *config, const ig_request *req,
                       ig_error *err);

/*
 * After inputs, for an unpinned call: returns 0 when some configured,
 * unblocked provider offers the operation (or the call's priority is
 * privacy: the plan then says which private provider is missing), else -1
 * with IG_ERR_NO_PROVIDER (the hint names the env vars of the providers
 * that offer it).
 */
int ig_route_available(const ig_config *config, const ig_request *req, ig_error *err);

/* True when provider id has a key or base URL from env or config. */
bool ig_provider_configured(const ig_config *config, ig_provider_id id);

#endif
