/*
 * router.h - chooses the provider that will serve a request.
 *
 * This is the seam the fallback layer grows from: today it finds the
 * providers that are configured and offer the operation, honours a pinned
 * provider and the blocked list, and, because no backend is compiled in yet,
 * reports precisely what the user can do. Reads the process environment;
 * any thread.
 */
#ifndef IG_ROUTER_H
#define IG_ROUTER_H

#include "core/config.h"
#include "core/ig_error.h"
#include "providers/image_request.h"

/*
 * The checks that need no image inputs, run before any input is fetched or
 * decoded: a pinned provider must offer the operation, be configured and
 * have a backend. Returns 0 when there is no pin or the pin can serve the
 * request, else -1 with err as ig_route describes.
 */
int ig_route_preflight(const ig_config *config, const ig_request *req,
                       ig_error *err);

/*
 * Chooses the provider for req: the pinned one, else the first configured,
 * unblocked provider with a backend that offers the operation. Returns 0
 * with *provider set, or -1 with err: IG_ERR_NO_PROVIDER (nothing configured
 * for the operation: the hint names the env vars of the providers that
 * offer it), IG_ERR_PROVIDER_UNAVAILABLE (configured, but without a backend
 * in this build), IG_ERR_INVALID_ARGUMENT (the pinned provider cannot do
 * the operation).
 */
int ig_route(const ig_config *config, const ig_request *req, int *provider,
             ig_error *err);

/* True when provider id has a key or base URL from env or config. */
bool ig_provider_configured(const ig_config *config, ig_provider_id id);

#endif
