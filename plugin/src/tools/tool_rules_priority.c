/* tool_rules_priority.c - the priority argument and what privacy forbids
 * before anything is fetched or sent (see tool_rules.h). */
#include <stdio.h>
#include <strings.h>

#include "providers/fallback/privacy.h"
#include "tools/tool_args.h"
#include "tools/tool_rules.h"

static bool is_remote_url(const char *ref)
{
    return ref && (!strncasecmp(ref, "http://", 7) || !strncasecmp(ref, "https://", 8));
}

/* Under privacy: a pinned provider must be private, and no input may be
 * fetched from the network. */
static int check_privacy(const ig_config *config, const ig_request *req, ig_error *err)
{
    char why[300];
    if (req->pinned_provider >= 0 &&
        !ig_provider_is_private(config, req->pinned_provider, why, sizeof why)) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "provider",
                "priority privacy forbids provider \"%s\": it %s",
                ig_provider(req->pinned_provider)->name, why);
        ig_error_hint(err, "Drop provider to use a private one (local Stable Diffusion, the "
                           "embedded provider), or drop priority privacy.");
        return -1;
    }
    for (int role = 0; role < IG_ROLE_COUNT; role++) {
        if (!is_remote_url(req->image_refs[role]))
            continue;
        const char *field = ig_image_role_field(role);
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, field,
                "priority privacy: %s is a remote URL, and fetching it would reach the "
                "network", field);
        ig_error_hint(err, "Download the image yourself and pass a file path, a data: URL "
                           "or an image id; nothing was fetched.");
        return -1;
    }
    return 0;
}

int ig_rules_read_priority(const cJSON *args, const ig_config *config, ig_request *req,
                           ig_error *err)
{
    const char *name = ig_arg_string(args, "priority");
    req->priority = name ? (ig_priority)ig_priority_find(name) : config->priority;
    if (req->priority == IG_PRIORITY_PRIVACY)
        return check_privacy(config, req, err);
    return 0;
}
