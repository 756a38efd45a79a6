/* config_routing.c - imageGeneration.routing, maxCostUsd, prices, priority
 * and privateNetworks (see config.h; the schema already checked types and
 * ranges). */
#include "core/config.h"
#include "core/config_internal.h"
#include "providers/fallback/privacy.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_RETRIES 2
#define DEFAULT_BACKOFF_BASE_MS 500
#define DEFAULT_BACKOFF_MAX_MS 8000
#define DEFAULT_MAX_RETRY_AFTER_S 10

/* Default cooldowns: refused keys and empty accounts stay refused for a
 * while; a rate limit without Retry-After and a provider that kept failing
 * get a short pause. */
static const double default_cooldown_s[IG_CLASS_COUNT] = {
    [IG_CLASS_AUTH] = 3600,
    [IG_CLASS_QUOTA] = 3600,
    [IG_CLASS_RATE_LIMITED] = 30,
    [IG_CLASS_TRANSIENT] = 10,
};

/* cooldownSeconds keys -> classes. */
static const struct {
    const char *key;
    ig_error_class cls;
} cooldown_keys[] = {
    {"auth", IG_CLASS_AUTH},
    {"quota", IG_CLASS_QUOTA},
    {"rateLimited", IG_CLASS_RATE_LIMITED},
    {"transient", IG_CLASS_TRANSIENT},
};

static void read_routing(const cJSON *r, ig_routing_config *out)
{
    out->max_retries = (int)ig_config_number_or(r, "maxRetries", DEFAULT_MAX_RETRIES);
    out->backoff_base_ms = ig_config_number_or(r, "backoffBaseMs", DEFAULT_BACKOFF_BASE_MS);
    out->backoff_max_ms = ig_config_number_or(r, "backoffMaxMs", DEFAULT_BACKOFF_MAX_MS);
    if (out->backoff_max_ms < out->backoff_base_ms)
        out->backoff_max_ms = out->backoff_base_ms;
    out->max_retry_after_s =
        ig_config_number_or(r, "maxRetryAfterSeconds", DEFAULT_MAX_RETRY_AFTER_S);
    memcpy(out->cooldown_s, default_cooldown_s, sizeof out->cooldown_s);
    const cJSON *cooldowns = cJSON_GetObjectItemCaseSensitive(r, "cooldownSeconds");
    for (size_t i = 0; i < sizeof cooldown_keys / sizeof *cooldown_keys; i++) {
        ig_error_class cls = cooldown_keys[i].cls;
        out->cooldown_s[cls] =
            ig_config_number_or(cooldowns, cooldown_keys[i].key, default_cooldown_s[cls]);
    }
    out->fallback_on_moderation =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "fallbackOnModeration"));
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(r, "drawSeed");
    out->has_draw_seed = cJSON_IsNumber(seed);
    out->draw_seed = out->has_draw_seed ? (uint64_t)seed->valuedouble : 0;
}

static int read_prices(const cJSON *rows, ig_config *out, ig_error *err)
{
    int n = cJSON_GetArraySize(rows);
    if (n == 0)
        return 0;
    out->prices = calloc((size_t)n, sizeof *out->prices);
    if (!out->prices)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        ig_price *p = &out->prices[out->n_prices++];
        p->provider = ig_config_strdup_or_null(row, "provider");
        p->model = ig_config_strdup_or_null(row, "model");
        p->quality = ig_config_strdup_or_null(row, "quality");
        p->size = ig_config_strdup_or_null(row, "size");
        p->usd_per_image = ig_config_number_or(row, "usdPerImage", 0);
        if (!p->provider || !p->model)
            return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

static int read_private_networks(const cJSON *list, ig_config *out, ig_error *err)
{
    int n = cJSON_GetArraySize(list);
    if (n == 0)
        return 0;
    out->private_networks = calloc((size_t)n, sizeof *out->private_networks);
    if (!out->private_networks)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    const cJSON *entry;
    cJSON_ArrayForEach(entry, list)
    {
        char why[200], field[64];
        snprintf(field, sizeof field, "imageGeneration.privateNetworks[%d]",
                 out->n_private_networks);
        if (ig_private_network_check(entry->valuestring, why, sizeof why) != 0) {
            ig_fail(err, IG_ERR_INVALID_ARGUMENT, field, "%s", why);
            ig_error_hint(err, "List only addresses of machines on your own network, such "
                               "as 192.168.1.20 or 10.0.0.0/8.");
            return -1;
        }
        if (!(out->private_networks[out->n_private_networks++] = strdup(entry->valuestring)))
            return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

int ig_config_read_routing(const cJSON *section, ig_config *out, ig_error *err)
{
    read_routing(cJSON_GetObjectItemCaseSensitive(section, "routing"), &out->routing);
    out->max_cost_usd = ig_config_number_or(section, "maxCostUsd", -1);
    int priority = ig_priority_find(
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(section, "priority")));
    out->priority = priority > 0 ? (ig_priority)priority : IG_PRIORITY_NONE;
    if (read_private_networks(cJSON_GetObjectItemCaseSensitive(section, "privateNetworks"),
                              out, err) != 0)
        return -1;
    return read_prices(cJSON_GetObjectItemCaseSensitive(section, "prices"), out, err);
}

void ig_config_free_routing(ig_config *config)
{
    for (int i = 0; i < config->n_prices; i++) {
        free((char *)config->prices[i].provider);
        free((char *)config->prices[i].model);
        free((char *)config->prices[i].quality);
        free((char *)config->prices[i].size);
    }
    free(config->prices);
    config->prices = NULL;
    config->n_prices = 0;
    for (int i = 0; i < config->n_private_networks; i++)
        free(config->private_networks[i]);
    free(config->private_networks);
    config->private_networks = NULL;
    config->n_private_networks = 0;
}
