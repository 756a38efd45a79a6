/* test_config.c - the config document: defaults, overrides, and errors that
 * name the key. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "support/test_calls.h"

TestSuite(config, .init = tc_clear_provider_env, .timeout = 30);

static ig_config load_ok(const char *json)
{
    ig_config c;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_config_load(json, &c, &err), 0, "%s: %s", err.field, err.message);
    return c;
}

static void expect_load_error(const char *json, const char *field, const char *part)
{
    ig_config c;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_config_load(json, &c, &err), -1, "accepted: %s", json);
    cr_expect_str_eq(err.field, field, "message: %s", err.message);
    cr_expect(strstr(err.message, part), "\"%s\" not in: %s", part, err.message);
}

Test(config, defaults_from_null_and_empty)
{
    setenv("HOME", "/home/tester", 1);
    unsetenv("XDG_DATA_HOME");
    const char *docs[] = {NULL, "", "{}", "{\"agentName\":\"x\",\"llm\":{\"model\":\"y\"}}"};
    for (size_t i = 0; i < 4; i++) {
        ig_config c = load_ok(docs[i]);
        cr_expect_eq(c.max_input_bytes, IG_DEFAULT_MAX_INPUT_BYTES);
        cr_expect_eq(c.max_input_pixels, IG_DEFAULT_MAX_INPUT_PIXELS);
        cr_expect_eq(c.fetch_timeout_ms, IG_DEFAULT_FETCH_TIMEOUT_MS);
        cr_expect_eq(c.max_concurrent_jobs, IG_DEFAULT_MAX_CONCURRENT_JOBS);
        cr_expect_not(c.allow_private_urls);
        cr_expect_str_eq(c.image_dir, "/home/tester/.local/share/agentos/images");
        ig_config_free(&c);
    }
}

Test(config, image_dir_precedence)
{
    setenv("XDG_DATA_HOME", "/xdg", 1);
    ig_config c = load_ok(NULL);
    cr_expect_str_eq(c.image_dir, "/xdg/agentos/images");
    ig_config_free(&c);
    setenv("AGENTOS_IMAGE_DIR", "/env/images", 1);
    c = load_ok("{}");
    cr_expect_str_eq(c.image_dir, "/env/images");
    ig_config_free(&c);
    c = load_ok("{\"imageGeneration\":{\"imageDir\":\"/cfg/images\"}}");
    cr_expect_str_eq(c.image_dir, "/cfg/images");
    ig_config_free(&c);
}

Test(config, overrides)
{
    ig_config c = load_ok("{\"imageGeneration\":{\"allowPrivateUrls\":true,"
                          "\"maxInputBytes\":2048,\"maxConcurrentJobs\":2,"
                          "\"providers\":{\"openai\":{\"apiKey\":\"sk-abcdef123456\","
                          "\"baseUrl\":\"http://127.0.0.1:9/v1\",\"model\":\"dall-e-3\"}}},"
                          "\"providerPreferences\":{\"image\":{\"preferred\":[\"fal\"],"
                          "\"weights\":{\"bfl\":2},\"blocked\":[\"openrouter\"]},"
                          "\"text\":{\"preferred\":[\"anything\"]}}}");
    cr_expect(c.allow_private_urls);
    cr_expect_eq(c.max_input_bytes, 2048);
    cr_expect_eq(c.max_concurrent_jobs, 2);
    cr_expect_str_eq(ig_config_api_key(&c, IG_PROVIDER_OPENAI), "sk-abcdef123456");
    cr_expect_str_eq(ig_config_base_url(&c, IG_PROVIDER_OPENAI), "http://127.0.0.1:9/v1");
    cr_expect_str_eq(c.providers[IG_PROVIDER_OPENAI].model, "dall-e-3");
    cr_expect_eq(c.prefs.n_preferred, 1);
    cr_expect_eq(c.prefs.preferred[0], IG_PROVIDER_FAL);
    cr_expect(c.prefs.has_weight[IG_PROVIDER_BFL]);
    cr_expect(c.prefs.blocked[IG_PROVIDER_OPENROUTER]);
    ig_config_free(&c);
}

Test(config, provider_timing_defaults_and_overrides)
{
    ig_config c = load_ok("{\"imageGeneration\":{\"providers\":{\"bfl\":"
                          "{\"timeoutMs\":60000,\"pollIntervalMs\":250}}}}");
    cr_expect_eq(c.providers[IG_PROVIDER_BFL].timeout_ms, 60000);
    cr_expect_eq(c.providers[IG_PROVIDER_BFL].poll_interval_ms, 250);
    cr_expect_eq(c.providers[IG_PROVIDER_STABILITY].timeout_ms, IG_DEFAULT_PROVIDER_TIMEOUT_MS);
    cr_expect_eq(c.providers[IG_PROVIDER_STABILITY].poll_interval_ms,
                 IG_DEFAULT_POLL_INTERVAL_MS);
    cr_expect_eq(c.providers[IG_PROVIDER_BFL].size_multiple, 0);
    cr_expect_eq(c.providers[IG_PROVIDER_SD_LOCAL].size_multiple, IG_DEFAULT_SD_SIZE_MULTIPLE);
    ig_config_free(&c);
    c = load_ok("{\"imageGeneration\":{\"providers\":{\"stable-diffusion-local\":"
                "{\"sizeMultiple\":8}}}}");
    cr_expect_eq(c.providers[IG_PROVIDER_SD_LOCAL].size_multiple, 8);
    ig_config_free(&c);
}

Test(config, env_key_used_when_config_has_none)
{
    setenv("STABILITY_API_KEY", "sk-env-stability-123", 1);
    ig_config c = load_ok(NULL);
    cr_expect_str_eq(ig_config_api_key(&c, IG_PROVIDER_STABILITY), "sk-env-stability-123");
    cr_expect_null(ig_config_api_key(&c, IG_PROVIDER_OPENAI));
    ig_config_free(&c);
}

Test(config, errors_name_the_key)
{
    expect_load_error("{\"imageGeneration\":{\"imageDirr\":\"/x\"}}",
                      "imageGeneration.imageDirr", "imageDir");
    expect_load_error("{\"imageGeneration\":{\"maxInputBytes\":12}}",
                      "imageGeneration.maxInputBytes", "1024");
    expect_load_error("{\"imageGeneration\":{\"allowPrivateUrls\":\"yes\"}}",
                      "imageGeneration.allowPrivateUrls", "boolean");
    expect_load_error("{\"imageGeneration\":{\"providers\":{\"openai\":{\"baseUrl\":\"ftp://x\"}}}}",
                      "imageGeneration.providers.openai.baseUrl", "ftp://x");
    expect_load_error("{\"imageGeneration\":{\"providers\":{\"bfl\":{\"pollIntervalMs\":5}}}}",
                      "imageGeneration.providers.bfl.pollIntervalMs", "10");
    expect_load_error("{\"imageGeneration\":{\"providers\":{\"bfl\":{\"sizeMultiple\":12}}}}",
                      "imageGeneration.providers.bfl.sizeMultiple", "8");
    expect_load_error("{\"imageGeneration\":{\"providers\":{\"bfl\":{\"timeoutMs\":\"soon\"}}}}",
                      "imageGeneration.providers.bfl.timeoutMs", "integer");
    expect_load_error("{\"providerPreferences\":{\"image\":{\"weights\":{\"openai\":-2}}}}",
                      "providerPreferences.image.weights.openai", "0");
    expect_load_error("{\"providerPreferences\":{\"image\":{\"preferred\":[\"bfl\"],"
                      "\"blocked\":[\"bfl\"]}}}",
                      "providerPreferences.image.preferred[0]", "both");
    expect_load_error("[1]", "", "object");
    expect_load_error("{\"imageGeneration\":", "", "not valid JSON");
}
