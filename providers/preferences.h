/*
 * preferences.h - providerPreferences: preferred order, weights, blocked.
 *
 * Parsed from the config (providerPreferences.image) and from a request,
 * then merged key by key: a key the request gives replaces the config's
 * value for that key; keys it omits keep the config's. Plain values; any
 * thread.
 */
#ifndef IG_PREFERENCES_H
#define IG_PREFERENCES_H

#include <stdbool.h>

#include "core/ig_error.h"
#include "providers/catalog.h"

typedef struct cJSON cJSON;

typedef struct ig_prefs {
    bool has_preferred, has_weights, has_blocked; /* which keys were given */
    int preferred[IG_PROVIDER_COUNT];             /* ig_provider_id order */
    int n_preferred;
    bool has_weight[IG_PROVIDER_COUNT];
    double weight[IG_PROVIDER_COUNT];
    bool blocked[IG_PROVIDER_COUNT];
} ig_prefs;

/* Reads a schema-checked obj (borrowed; NULL = no preferences) into *out. */
void ig_prefs_parse(const cJSON *obj, ig_prefs *out);

/* out = base with every key present in over replacing base's. */
void ig_prefs_merge(const ig_prefs *base, const ig_prefs *over, ig_prefs *out);

/*
 * Refuses a provider that is both preferred and blocked, with field =
 * field_prefix + "preferred[i]". blocked_elsewhere says the blocked list came
 * from the agent config (for the message). Returns 0 or -1 with err.
 */
int ig_prefs_check(const ig_prefs *prefs, const char *field_prefix,
                   bool blocked_elsewhere, ig_error *err);

#endif
