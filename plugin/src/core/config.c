/* config.c - see config.h. */
#include "core/config.h"
#include "core/config_internal.h"
#include "core/module_dir.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded_files.h"
#include "core/json_schema.h"
#include "core/json_text.h"
#include "image/image_store.h"

double ig_config_number_or(const cJSON *obj, const char *key, double fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(item) ? item->valuedouble : fallback;
}

char *ig_config_strdup_or_null(const cJSON *obj, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
    return s ? strdup(s) : NULL;
}

static void read_providers(const cJSON *providers, ig_config *out)
{
    for (int id = 0; id < IG_PROVIDER_COUNT; id++) {
        out->providers[id].timeout_ms = IG_DEFAULT_PROVIDER_TIMEOUT_MS;
        out->providers[id].poll_interval_ms = IG_DEFAULT_POLL_INTERVAL_MS;
    }
    out->providers[IG_PROVIDER_SD_LOCAL].size_multiple = IG_DEFAULT_SD_SIZE_MULTIPLE;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, providers)
    {
        int id = ig_provider_find(entry->string);
        if (id < 0)
            continue; /* the schema's propertyNames already refused it */
        out->providers[id].api_key = ig_config_strdup_or_null(entry, "apiKey");
        out->providers[id].base_url = ig_config_strdup_or_null(entry, "baseUrl");
        out->providers[id].model = ig_config_strdup_or_null(entry, "model");
        out->providers[id].timeout_ms = (long)ig_config_number_or(entry, "timeoutMs",
                                                         IG_DEFAULT_PROVIDER_TIMEOUT_MS);
        out->providers[id].poll_interval_ms = (long)ig_config_number_or(entry, "pollIntervalMs",
                                                               IG_DEFAULT_POLL_INTERVAL_MS);
        out->providers[id].size_multiple = (int)ig_config_number_or(
            entry, "sizeMultiple", out->providers[id].size_multiple);
        out->providers[id].typical_seconds = ig_config_number_or(entry, "typicalSeconds", 0);
    }
}

/* Parses the text; the root must be an object. */
static cJSON *parse_document(const char *json, ig_error *err)
{
    if (!json || !*json)
        return cJSON_CreateObject();
    size_t error_at = 0;
    cJSON *doc = ig_json_parse(json, &error_at);
    if (!doc) {
        ig_fail(err, IG_ERR_INVALID_JSON, "",
                "config is not valid JSON (error near byte %zu)", error_at);
        return NULL;
    }
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        ig_fail(err, IG_ERR_INVALID_JSON, "", "config must be a JSON object");
        return NULL;
    }
    return doc;
}

static int check_against_schema(const cJSON *doc, ig_error *err)
{
    ig_schema *schema = ig_schema_compile(ig_embedded_find("config.schema.json"), err);
    if (!schema)
        return -1;
    int rc = ig_schema_validate(schema, doc, err);
    ig_schema_free(schema);
    return rc;
}

/* weightsDir, else weights/ beside the extension's shared object (malloc'd). */
static char *weights_dir_of(const cJSON *section)
{
    const char *configured =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(section, "weightsDir"));
    if (configured)
        return strdup(configured);
    char dir[4096];
    if (ig_module_dir(dir, sizeof dir - sizeof "/weights") != 0)
        snprintf(dir, sizeof dir, ".");
    strcat(dir, "/weights");
    return strdup(dir);
}

int ig_config_load(const char *json, ig_config *out, ig_error *err)
{
    memset(out, 0, sizeof *out);
    cJSON *doc = parse_document(json, err);
    if (!doc)
        return -1;
    int rc = -1;
    if (check_against_schema(doc, err) != 0)
        goto done;

    const cJSON *section = cJSON_GetObjectItemCaseSensitive(doc, "imageGeneration");
    out->allow_private_urls =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(section, "allowPrivateUrls"));
    out->max_input_bytes = (uint64_t)ig_config_number_or(section, "maxInputBytes",
                                               IG_DEFAULT_MAX_INPUT_BYTES);
    out->max_input_pixels = (uint64_t)ig_config_number_or(section, "maxInputPixels",
                                                IG_DEFAULT_MAX_INPUT_PIXELS);
    out->fetch_timeout_ms = (long)ig_config_number_or(section, "fetchTimeoutMs",
                                            IG_DEFAULT_FETCH_TIMEOUT_MS);
    out->max_concurrent_jobs = (int)ig_config_number_or(section, "maxConcurrentJobs",
                                              IG_DEFAULT_MAX_CONCURRENT_JOBS);
    out->max_queued_jobs = (int)ig_config_number_or(section, "maxQueuedJobs",
                                          IG_DEFAULT_MAX_QUEUED_JOBS);
    read_providers(cJSON_GetObjectItemCaseSensitive(section, "providers"), out);
    if (ig_config_read_routing(section, out, err) != 0)
        goto done;

    const cJSON *prefs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "providerPreferences"), "image");
    ig_prefs_parse(prefs, &out->prefs);
    if (ig_prefs_check(&out->prefs, "providerPreferences.image.", false, err) != 0)
        goto done;

    char dir[4096];
    const char *configured_dir =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(section, "imageDir"));
    if (ig_store_choose_dir(configured_dir, dir, sizeof dir, err) != 0)
        goto done;
    out->image_dir = strdup(dir);
    out->weights_dir = weights_dir_of(section);
    rc = out->image_dir && out->weights_dir
             ? 0 : ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
done:
    cJSON_Delete(doc);
    if (rc != 0)
        ig_config_free(out);
    return rc;
}

void ig_config_free(ig_config *config)
{
    if (!config)
        return;
    free(config->image_dir);
    free(config->weights_dir);
    ig_config_free_routing(config);
    for (int i = 0; i < IG_PROVIDER_COUNT; i++) {
        free(config->providers[i].api_key);
        free(config->providers[i].base_url);
        free(config->providers[i].model);
    }
    memset(config, 0, sizeof *config);
}

/* Non-empty environment value or NULL. */
static const char *env_value(const char *name)
{
    const char *v = name ? getenv(name) : NULL;
    return v && *v ? v : NULL;
}

const char *ig_config_api_key(const ig_config *config, ig_provider_id id)
{
    if (config->providers[id].api_key)
        return config->providers[id].api_key;
    return env_value(ig_provider(id)->key_env);
}

const char *ig_config_base_url(const ig_config *config, ig_provider_id id)
{
    if (config->providers[id].base_url)
        return config->providers[id].base_url;
    return env_value(ig_provider(id)->base_url_env);
}
