/*
 * config.h - the extension's settings, read once when an instance opens.
 *
 * Source: the host's agent config document. Only "imageGeneration" and
 * "providerPreferences.image" are read (checked against the embedded
 * manifest/config.schema.json); every other key belongs to the host and is
 * ignored. Immutable after ig_config_load; shared by the instance's threads.
 */
#ifndef IG_CONFIG_H
#define IG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ig_error.h"
#include "providers/catalog.h"
#include "providers/fallback/error_class.h"
#include "providers/fallback/pricing.h"
#include "providers/fallback/priority.h"
#include "providers/preferences.h"

typedef struct cJSON cJSON;

#define IG_DEFAULT_MAX_INPUT_BYTES (50u * 1024 * 1024)
#define IG_DEFAULT_MAX_INPUT_PIXELS (64u * 1024 * 1024)
#define IG_DEFAULT_FETCH_TIMEOUT_MS 30000
#define IG_DEFAULT_MAX_CONCURRENT_JOBS 4
#define IG_DEFAULT_MAX_QUEUED_JOBS 256
#define IG_DEFAULT_PROVIDER_TIMEOUT_MS 300000 /* image models are slow */
#define IG_DEFAULT_POLL_INTERVAL_MS 1000
/* Local Stable Diffusion takes multiples of 8 (the latent grid); 64 is what
 * SD models are trained on, so it is the default there. */
#define IG_DEFAULT_SD_SIZE_MULTIPLE 64

typedef struct ig_provider_config {
    char *api_key;  /* owned, NULL when not in config (env is read later) */
    char *base_url; /* owned or NULL */
    char *model;    /* owned or NULL */
    long timeout_ms;       /* one provider call, async waiting included */
    long poll_interval_ms; /* between status requests of an async job */
    int size_multiple;     /* free sizes snap to multiples of this as well as
                            * the model's own step; 0 = the model's step */
    double typical_seconds; /* seeds the speed ranking; 0 = the built-in figure */
} ig_provider_config;

/* imageGeneration.routing: how the fallback layer retries and cools down. */
typedef struct ig_routing_config {
    int max_retries;            /* tries of one provider after a transient failure */
    double backoff_base_ms;     /* first backoff; doubles per retry, full jitter */
    double backoff_max_ms;
    double max_retry_after_s;   /* longest Retry-After waited for; longer = fall back */
    double cooldown_s[IG_CLASS_COUNT]; /* per error class; 0 = none */
    bool fallback_on_moderation;
    bool has_draw_seed;         /* weights' draws and jitter reproducible */
    uint64_t draw_seed;
} ig_routing_config;

typedef struct ig_config {
    char *image_dir;          /* owned; chosen directory (never NULL once loaded) */
    char *weights_dir;        /* owned; the local provider's weights (never NULL) */
    bool allow_private_urls;
    uint64_t max_input_bytes;
    uint64_t max_input_pixels;
    long fetch_timeout_ms;
    int max_concurrent_jobs;
    int max_queued_jobs;
    ig_provider_config providers[IG_PROVIDER_COUNT];
    ig_prefs prefs;           /* providerPreferences.image */
    ig_routing_config routing;
    double max_cost_usd;      /* imageGeneration.maxCostUsd; < 0 = no cap */
    ig_price *prices;         /* imageGeneration.prices (owned, strings too) */
    int n_prices;
    ig_priority priority;     /* imageGeneration.priority; NONE = default order */
    char **private_networks;  /* imageGeneration.privateNetworks (owned, checked) */
    int n_private_networks;
} ig_config;

/*
 * Parses and checks json (borrowed; NULL or "" = all defaults) into *out.
 * On failure returns -1 with err naming the key (e.g.
 * "imageGeneration.maxInputBytes") and *out left empty.
 * Free with ig_config_free.
 */
int ig_config_load(const char *json, ig_config *out, ig_error *err);
void ig_config_free(ig_config *config);

/*
 * Reads imageGeneration's routing, maxCostUsd, prices, priority and
 * privateNetworks (section borrowed, schema-checked, may be NULL) into out,
 * defaults for what is absent. Returns 0, or -1 with err (a privateNetworks
 * entry outside the private ranges, out of memory). config_routing.c.
 */
int ig_config_read_routing(const cJSON *section, ig_config *out, ig_error *err);
void ig_config_free_routing(ig_config *config);

/*
 * The provider's API key: config apiKey, else its env var, else NULL.
 * Borrowed from the config or the environment; do not keep it past the call.
 */
const char *ig_config_api_key(const ig_config *config, ig_provider_id id);

/* The provider's base URL override from config or env, else NULL. */
const char *ig_config_base_url(const ig_config *config, ig_provider_id id);

#endif
