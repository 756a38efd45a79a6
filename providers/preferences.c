/* preferences.c - see preferences.h. */
#include <stdio.h>
#include "providers/preferences.h"

#include <cjson/cJSON.h>
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

int ig_prefs_parse(const cJSON *obj, const char *field_prefix, ig_prefs *out,
                   ig_error *err)
{
    memset(out, 0, sizeof *out);
    if (!obj)
        return 0;
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
    for (int i = 0; i < out->n_preferred; i++) {
        if (out->blocked[out->preferred[i]]) {
            char field[128];
            snprintf(field, sizeof field, "%spreferred[%d]", field_prefix, i);
            ig_fail(err, IG_ERR_INVALID_ARGUMENT, field,
                    "provider \"%s\" is both preferred and blocked",
                    ig_provider(out->preferred[i])->name);
            ig_error_hint(err, "Remove it from one of the two lists.");
            return -1;
        }
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

cJSON *ig_prefs_to_json(const ig_prefs *prefs)
{
    cJSON *obj = cJSON_CreateObject();
    cJSON *preferred = cJSON_AddArrayToObject(obj, "preferred");
    for (int i = 0; i < prefs->n_preferred; i++)
        cJSON_AddItemToArray(preferred, cJSON_CreateString(
                                            ig_provider(prefs->preferred[i])->name));
    cJSON *weights = cJSON_AddObjectToObject(obj, "weights");
    cJSON *blocked = cJSON_AddArrayToObject(obj, "blocked");
    for (int i = 0; i < IG_PROVIDER_COUNT; i++) {
        if (prefs->has_weight[i])
            cJSON_AddNumberToObject(weights, ig_provider(i)->name, prefs->weight[i]);
        if (prefs->blocked[i])
            cJSON_AddItemToArray(blocked, cJSON_CreateString(ig_provider(i)->name));
    }
    return obj;
}
