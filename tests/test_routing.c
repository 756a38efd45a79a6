/*
 * test_routing.c - what a valid call is told when no provider can serve it,
 * and the preference rules applied before any provider is chosen.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/backend.h"
#include "providers/backends.h"
#include "support/test_calls.h"
#include "support/test_http_server.h"
#include "support/test_images.h"

static void clear_env(void)
{
    tc_clear_provider_env();
}

TestSuite(routing, .init = clear_env, .timeout = 30);

static const char *hint_of(const cJSON *r)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "hint"));
}

Test(routing, nothing_configured_lists_env_vars_for_the_operation)
{
    ig_instance *inst = tc_open(NULL);
    cJSON *r = tc_call(inst, "generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "no_provider_configured", "", "generate", NULL);
    const char *hint = hint_of(r);
    const char *expected[] = {"OPENAI_API_KEY", "STABILITY_API_KEY", "BFL_API_KEY",
                              "FAL_API_KEY", "REPLICATE_API_TOKEN", "OPENROUTER_API_KEY",
                              "STABLE_DIFFUSION_LOCAL_BASE_URL"};
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
        cr_expect(strstr(hint, expected[i]), "hint lacks %s: %s", expected[i], hint);
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "retryable")));
    cJSON_Delete(r);
    tc_close(inst);
}

Test(routing, hint_only_names_providers_offering_the_operation)
{
    ig_instance *inst = tc_open(NULL);
    cJSON *r = tc_call(inst, "generate_image",
                "{\"prompt\":\"a\",\"providerPreferences\":{\"blocked\":[\"openai\"]}}");
    cr_expect_null(strstr(hint_of(r), "OPENAI_API_KEY"), "blocked provider suggested: %s",
                   hint_of(r));
    cJSON_Delete(r);
    tc_close(inst);
}

/* The catalogue promises each provider's operations: every one has a
 * backend whose default model can do each of them. */
Test(routing, every_catalogued_provider_has_a_backend_for_its_operations)
{
    ig_request req = {.pinned_provider = -1};
    for (int id = 0; id < IG_PROVIDER_COUNT; id++) {
        const ig_backend *backend = ig_backend_for(id);
        cr_assert(backend, "%s has no backend", ig_provider(id)->name);
        cr_expect_eq(backend->provider, id);
        for (int op = 0; op < IG_OP_COUNT; op++) {
            req.op = op;
            req.mode = op == IG_OP_EDIT ? IG_EDIT_IMG2IMG : IG_EDIT_NONE;
            const char *model = backend->default_model(op, &req);
            if (!ig_provider_offers(id, op)) {
                cr_expect_null(model, "%s: a model for %s, which it does not offer",
                               ig_provider(id)->name, ig_operation_name(op));
                continue;
            }
            const ig_model_caps *caps = ig_backend_model(backend, model);
            cr_assert(caps, "%s: no default model for %s", ig_provider(id)->name,
                      ig_operation_name(op));
            cr_expect(caps->operations & IG_OP_BIT(op), "%s %s cannot %s",
                      ig_provider(id)->name, model, ig_operation_name(op));
        }
    }
}

Test(routing, pinned_provider_blocked_by_request)
{
    ig_instance *inst = tc_open(NULL);
    cJSON *r = tc_call(inst, "generate_image",
                       "{\"prompt\":\"a\",\"provider\":\"openai\","
                       "\"providerPreferences\":{\"blocked\":[\"openai\"]}}");
    tc_expect_error(r, "invalid_argument", "provider", "blocked", NULL);
    cJSON_Delete(r);
    tc_close(inst);
}

Test(routing, pinned_provider_blocked_by_config)
{
    ig_error err;
    ig_error_clear(&err);
    ig_instance *inst = ig_instance_open(
        "{\"imageGeneration\":{\"imageDir\":\"/tmp/ig-routing-images\"},"
        "\"providerPreferences\":{\"image\":{\"blocked\":[\"stability\"]}}}",
        NULL, NULL, NULL, NULL, &err);
    cr_assert(inst, "%s", err.message);
    cJSON *r = tc_call(inst, "generate_image", "{\"prompt\":\"a\",\"provider\":\"stability\"}");
    tc_expect_error(r, "invalid_argument", "provider", "blocked", "agent config", NULL);
    cJSON_Delete(r);
    /* The request's own blocked list replaces the config's (key-by-key merge). */
    r = tc_call(inst, "generate_image",
                "{\"prompt\":\"a\",\"provider\":\"stability\","
                "\"providerPreferences\":{\"blocked\":[\"openai\"]}}");
    tc_expect_error(r, "provider_unavailable", "provider", "not configured", NULL);
    cJSON_Delete(r);
    ig_instance_close(inst);
}

Test(routing, pinned_provider_that_cannot_do_the_operation)
{
    ig_instance *inst = tc_open(NULL);
    /* Decided before the (missing) input is even looked at. */
    cJSON *r = tc_call(inst, "upscale_image",
                       "{\"image\":\"img_0123456789abcdef01234567\",\"provider\":\"openai\"}");
    tc_expect_error(r, "invalid_argument", "provider", "cannot upscale", "stability", NULL);
    cJSON_Delete(r);
    r = tc_call(inst, "generate_image", "{\"prompt\":\"a\",\"provider\":\"local\"}");
    tc_expect_error(r, "invalid_argument", "provider", "cannot generate", NULL);
    cJSON_Delete(r);
    tc_close(inst);
}

Test(routing, pinned_but_unconfigured_names_the_variable)
{
    ig_instance *inst = tc_open(NULL);
    cJSON *r = tc_call(inst, "generate_image", "{\"prompt\":\"a\",\"provider\":\"bfl\"}");
    tc_expect_error(r, "provider_unavailable", "provider", "not configured", NULL);
    cr_expect(strstr(hint_of(r), "BFL_API_KEY"));
    cJSON_Delete(r);
    tc_close(inst);
}

Test(routing, preferred_and_blocked_overlap_is_an_error)
{
    ig_instance *inst = tc_open(NULL);
    cJSON *r = tc_call(inst, "generate_image",
                       "{\"prompt\":\"a\",\"providerPreferences\":"
                       "{\"preferred\":[\"fal\"],\"blocked\":[\"fal\"]}}");
    tc_expect_error(r, "invalid_argument", "providerPreferences.preferred[0]",
                    "both preferred and blocked", NULL);
    cJSON_Delete(r);
    tc_close(inst);
}

Test(routing, config_key_counts_as_configured)
{
    ig_error err;
    ig_error_clear(&err);
    ig_instance *inst = ig_instance_open(
        "{\"imageGeneration\":{\"imageDir\":\"/tmp/ig-routing-images2\","
        "\"routing\":{\"maxRetries\":0},"
        /* A closed loopback port: the attempt proves the key counted,
         * without reaching the real service. */
        "\"providers\":{\"replicate\":{\"apiKey\":\"r8_config_key_0123456789\","
        "\"baseUrl\":\"http://127.0.0.1:9/v1\"}}}}",
        NULL, NULL, NULL, NULL, &err);
    cr_assert(inst, "%s", err.message);
    cJSON *r = tc_call(inst, "generate_image", "{\"prompt\":\"a\"}");
    tc_expect_error(r, "provider_network_error", "", "replicate", NULL);
    cJSON_Delete(r);
    ig_instance_close(inst);
}

Test(routing, pinned_provider_problems_are_found_before_fetching_inputs)
{
    size_t size;
    unsigned char *body = ti_encode("png", 64, 64, 3, &size);
    ts_route route = {"/a.png", TS_RESPOND, 200, "image/png", body, size, NULL};
    ts_server *server = ts_server_start(&route, 1);
    ig_instance *inst = tc_open("\"allowPrivateUrls\":true");
    char args[256];
    snprintf(args, sizeof args, "{\"image\":\"%s/a.png\",\"provider\":\"openai\"}",
             ts_server_base_url(server));
    cJSON *r = tc_call(inst, "upscale_image", args);
    tc_expect_error(r, "invalid_argument", "provider", "cannot upscale", NULL);
    cr_expect_eq(ts_server_hits(server, NULL), 0, "the input was fetched anyway");
    cJSON_Delete(r);
    tc_close(inst);
    ts_server_stop(server);
    free(body);
}

Test(routing, request_preferring_what_the_config_blocks)
{
    ig_error err;
    ig_error_clear(&err);
    ig_instance *inst = ig_instance_open(
        "{\"imageGeneration\":{\"imageDir\":\"/tmp/ig-routing-images3\"},"
        "\"providerPreferences\":{\"image\":{\"blocked\":[\"openai\"]}}}",
        NULL, NULL, NULL, NULL, &err);
    cr_assert(inst, "%s", err.message);
    cJSON *r = tc_call(inst, "generate_image",
                       "{\"prompt\":\"a\",\"providerPreferences\":{\"preferred\":[\"fal\",\"openai\"]}}");
    tc_expect_error(r, "invalid_argument", "providerPreferences.preferred[1]",
                    "both preferred and blocked", "agent config", NULL);
    cJSON_Delete(r);
    ig_instance_close(inst);
}
