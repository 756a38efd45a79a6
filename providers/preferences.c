/* preferences.c - see preferences.h. */
#include "providers/preferences.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

/* Names in a schema-checked array of provider ids -> ids. */
static void read_id_list(const cJSON *arr, int *ids, int *count)
{
    const cJSON *item;
    *count = 0;
    cJSON_ArrayForEach(item, arr)
    {
        int id = ig_provider_find(cJSON_GetStringValue(item));
        if (id >= 0 && *count < IG_PROVIDER_COUNT)
            ids[(*count)++] = id;
    }
}

void ig_prefs_parse(const cJSON *obj, ig_prefs *out)
{
    memset(out, 0, sizeof *out);
    if (!obj)
        return;
    const cJSON *preferred = cJSON_GetObjectItemCaseSensitive(obj, "preferred");
    const cJSON *weights = cJSON_GetObjectItemCaseSensitive(obj, "weights");
    const cJSON *blocked = cJSON_GetObjectItemCaseSensitive(obj, "blocked");
    if (preferred) {
        out->has_preferred = true;
        read_id_list(preferred, out->preferred, &out->n_preferred);
    }
    if (weights) {
        out->has_weights = true;
        const cJSON *w;
        cJSON_ArrayForEach(w, weights)
        {
            int id = ig_provider_find(w->string);
            if (id >= 0 && cJSON_IsNumber(w)) {
                out->has_weight[id] = true;
                out->weight[id] = w->valuedouble;
            }
        }
    }
    if (blocked) {
        int ids[IG_PROVIDER_COUNT], n;
        out->has_blocked = true;
        read_id_list(blocked, ids, &n);
        for (int i = 0; i < n; i++)
            out->blocked[ids[i]] = true;
    }
}

int ig_prefs_check(const ig_prefs *prefs, const char *field_prefix,
                   bool blocked_elsewhere, ig_error *err)
{
    for (int i = 0; i < prefs->n_preferred; i++) {
        if (!prefs->blocked[prefs->preferred[i]])
            continue;
        char field[128];
        snprintf(field, sizeof field, "%spreferred[%d]", field_prefix, i);
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, field,
                "provider \"%s\" is both preferred and blocked%s",
                ig_provider(prefs->preferred[i])->name,
                blocked_elsewhere ? " (blocked by the agent config)" : "");
        ig_error_hint(err, blocked_elsewhere
                               ? "Prefer another provider, or give your own "
                                 "providerPreferences.blocked list."
                               : "Remove it from one of the two lists.");
        return -1;
    }
    return 0;
}

void ig_prefs_merge(const ig_prefs *base, const ig_prefs *over, ig_prefs *out)
{
    ig_prefs merged = *base;
    if (over->has_preferred) {
        merged.has_preferred = true;
        merged.n_preferred = over->n_preferred;
        memcpy(merged.preferred, over->preferred, sizeof merged.preferred);
    }
    if (over->has_weights) {
        merged.has_weights = true;
        memcpy(merged.has_weight, over->has_weight, sizeof merged.has_weight);
        memcpy(merged.weight, over->weight, sizeof merged.weight);
    }
    if (over->has_blocked) {
        merged.has_blocked = true;
        memcpy(merged.blocked, over->blocked, sizeof merged.blocked);
    }
    *out = merged;
}
