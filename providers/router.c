/* router.c - see router.h. */
#include "providers/router.h"

#include <stdio.h>
#include <string.h>

bool ig_provider_configured(const ig_config *config, ig_provider_id id)
{
    const ig_provider_info *p = ig_provider(id);
    if (p->needs_key)
        return ig_config_api_key(config, id) != NULL;
    if (p->base_url_env)
        return ig_config_base_url(config, id) != NULL;
    return true; /* the embedded provider needs nothing */
}

/* What configures a provider: its key variable or its base URL variable. */
static const char *setting_of(ig_provider_id id)
{
    const ig_provider_info *p = ig_provider(id);
    return p->needs_key ? p->key_env : p->base_url_env;
}

/* Appends "name" entries of the providers matching a filter, comma-separated. */
static void list_providers(char *out, size_t cap, ig_operation op,
                           const ig_request *req, bool want_settings)
{
    out[0] = '\0';
    for (int id = 0; id < IG_PROVIDER_COUNT; id++) {
        if (!ig_provider_offers(id, op) || req->prefs.blocked[id])
            continue;
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", len ? ", " : "",
                 want_settings ? setting_of(id) : ig_provider(id)->name);
    }
}

/* upscale_image's method lanczos3 or neural names what only the embedded
 * provider does; auto leaves the choice to routing. */
static bool needs_local(const ig_request *req)
{
    return req->op == IG_OP_UPSCALE && req->method != IG_METHOD_AUTO;
}

int ig_route_preflight(const ig_config *config, const ig_request *req,
                       ig_error *err)
{
    if (req->pinned_provider < 0 && needs_local(req)) {
        if (!req->prefs.blocked[IG_PROVIDER_LOCAL])
            return 0;
        ig_fail(err, IG_ERR_PROVIDER_UNAVAILABLE, "method",
                "method \"%s\" needs the local provider, which providerPreferences blocks",
                ig_upscale_method_name(req->method));
        ig_error_hint(err, "Drop method (auto) to let a hosted provider upscale, or "
                           "unblock \"local\".");
        return -1;
    }
    if (req->pinned_provider < 0)
        return 0;
    ig_provider_id id = req->pinned_provider;
    const char *name = ig_provider(id)->name;
    if (needs_local(req) && id != IG_PROVIDER_LOCAL) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "method",
                "method \"%s\" is done by the local provider, not \"%s\"",
                ig_upscale_method_name(req->method), name);
        ig_error_hint(err, "Drop provider to upscale locally, or drop method (auto) to "
                           "use %s's own upscaler.", name);
        return -1;
    }
    if (!ig_provider_offers(id, req->op)) {
        char capable[256];
        list_providers(capable, sizeof capable, req->op, req, false);
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "provider",
                "provider \"%s\" cannot %s images (providers that can: %s)", name,
                ig_operation_name(req->op), capable[0] ? capable : "none");
        return -1;
    }
    if (ig_provider_configured(config, id))
        return 0;
    ig_fail(err, IG_ERR_PROVIDER_UNAVAILABLE, "provider",
            "provider \"%s\" is not configured", name);
    ig_error_hint(err, "Set %s in the environment, or "
                       "imageGeneration.providers.%s in the agent config.",
                  setting_of(id), name);
    return -1;
}

int ig_route_available(const ig_config *config, const ig_request *req, ig_error *err)
{
    if (req->pinned_provider >= 0)
        return 0; /* ig_route_preflight checked it */
    if (req->priority == IG_PRIORITY_PRIVACY)
        return 0; /* the plan says which private provider is missing */
    for (int id = 0; id < IG_PROVIDER_COUNT; id++)
        if (ig_provider_offers(id, req->op) && !req->prefs.blocked[id] &&
            ig_provider_configured(config, id))
            return 0;
    char settings[256];
    list_providers(settings, sizeof settings, req->op, req, true);
    ig_fail(err, IG_ERR_NO_PROVIDER, NULL,
            "no provider is configured that can %s images",
            ig_operation_name(req->op));
    ig_error_hint(err, "Ask the user to set one of these environment variables "
                       "(or imageGeneration.providers.<id> in the agent config): %s. "
                       "Retrying without that will fail the same way.",
                  settings[0] ? settings : "none: every capable provider is blocked");
    return -1;
}
