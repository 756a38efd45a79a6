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

/*
 * Reads obj (borrowed; NULL = no preferences) into *out. The object was
 * already schema-checked; this still rejects, with field = prefix + key,
 * a provider both preferred and blocked. Returns 0 or -1 with err.
 */
int ig_prefs_parse(const cJSON *obj, const char *field_prefix, ig_prefs *out,
                   ig_error *err);

/* out = base with every key present in over replacing base's. */
void ig_prefs_merge(const ig_prefs *base, const ig_prefs *over, ig_prefs *out);

/* Adds the merged preferences to a result object as JSON. */
cJSON *ig_prefs_to_json(const ig_prefs *prefs);

#endif
