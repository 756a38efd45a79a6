/*
 * test_priority.c - the priority argument against the hosted providers'
 * emulators: each priority's order with every provider configured, the
 * interplay with providerPreferences and provider, latency learning
 * reordering speed after a provider gets slow, and privacy as a guarantee:
 * no request reaches any other provider, emulated or not, whatever keys are
 * set, and remote inputs are refused before they are fetched.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/fallback/privacy.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_http_server.h"
#include "support/test_images.h"
#include "support/test_util.h"
#include "test_fallback_fleet.h"

#define FOX "\"prompt\":\"a red fox\""
#define SEEDED "\"routing\":{\"drawSeed\":7}"

static ts_server *outside; /* any other host: providers without emulator, URLs */

static void setup(void)
{
    fleet_start();
    static const ts_route routes[] = {{.path = "/cat.png", .behaviour = TS_RESPOND,
                                       .status = 200, .content_type = "image/png",
                                       .body = "x", .body_size = 1}};
    outside = ts_server_start(routes, 1);
    /* The providers without an emulator here are configured too, pointing
     * at a server that counts whatever reaches it. */
    setenv("FAL_API_KEY", "fal-key-for-privacy-test", 1);
    setenv("FAL_BASE_URL", ts_server_base_url(outside), 1);
    setenv("REPLICATE_API_TOKEN", "r8_privacy_test_token", 1);
    setenv("REPLICATE_BASE_URL", ts_server_base_url(outside), 1);
}

static void teardown(void)
{
    ts_server_stop(outside);
    fleet_stop();
}

TestSuite(priority, .init = setup, .fini = teardown, .timeout = 240);

static const cJSON *routing(const cJSON *r)
{
    return cJSON_GetObjectItem(r, "routing");
}

/* The routing order as "a,b,c". */
static const char *order(const cJSON *r)
{
    static char text[256];
    text[0] = '\0';
    const cJSON *name;
    cJSON_ArrayForEach(name, cJSON_GetObjectItem(routing(r), "order"))
    {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "%s%s", len ? "," : "", name->valuestring);
    }
    return text;
}

static const char *rule(const cJSON *r)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(routing(r), "rule"));
}

/* Runs generate_image with extra arguments and returns the result. */
static cJSON *generate(ig_instance *inst, const char *extra)
{
    char args[1024];
    snprintf(args, sizeof args, "{" FOX "%s%s}", extra ? "," : "", extra ? extra : "");
    return tc_call(inst, "generate_image", args);
}

static fleet_provider fleet_provider_of(const char *name)
{
    for (int p = 0; p < FP_COUNT; p++)
        if (!strcmp(fleet_name(p), name))
            return p;
    cr_assert_fail("no emulator for %s", name);
    return FP_COUNT;
}

static size_t requests_anywhere(void)
{
    return fleet_requests_to_others(FP_COUNT) + (size_t)ts_server_hits(outside, NULL);
}

/* --- each priority's order, with every hosted provider configured --- */

Test(priority, each_priority_orders_the_providers_as_documented)
{
    static const struct {
        const char *priority, *order, *first;
    } cases[] = {
        /* text rendering first (gpt-image, FLUX Pro, Gemini), ties by list */
        {"quality", "openai,bfl,openrouter,stability", "openai"},
        /* negative prompt + style presets + seed (Stability core) */
        {"control", "stability,bfl,openai,openrouter", "stability"},
        /* typical seconds: BFL 5, Stability 6, OpenRouter 10, OpenAI 30 */
        {"speed", "bfl,stability,openrouter,openai", "bfl"},
        {"variety", "openrouter,stability,bfl,openai", "openrouter"},
        /* core $0.03 < gemini flash $0.039 < flux-pro-1.1 $0.04 < gpt-image-1 */
        {"cost", "stability,openrouter,bfl,openai", "stability"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        /* A fresh instance each: speed would learn from the earlier calls. */
        ig_instance *inst = fleet_open(SEEDED, NULL);
        fleet_reset();
        char extra[64];
        snprintf(extra, sizeof extra, "\"priority\":\"%s\"", cases[i].priority);
        cJSON *r = generate(inst, extra);
        bc_expect_ok(r, cases[i].first, 1);
        cr_expect_str_eq(order(r), cases[i].order, "%s", cases[i].priority);
        cr_expect_str_eq(rule(r), "priority");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(routing(r), "priority")),
                         cases[i].priority);
        cr_expect_eq(fleet_requests_to_others(fleet_provider_of(cases[i].first)), 0,
                     "only the first provider is asked");
        cJSON_Delete(r);
        tc_close(inst);
    }
}

Test(priority, rankings_say_what_they_ranked_by)
{
    ig_instance *inst = fleet_open(SEEDED, NULL);
    cJSON *r = generate(inst, "\"priority\":\"quality\"");
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(routing(r), "ranking"), 0);
    cr_expect_str_eq(bc_str(first, "provider"), "openai");
    cr_expect_eq(cJSON_GetObjectItem(first, "points")->valueint, 4);
    cJSON_Delete(r);
    r = generate(inst, "\"priority\":\"speed\"");
    first = cJSON_GetArrayItem(cJSON_GetObjectItem(routing(r), "ranking"), 0);
    cr_expect_eq(cJSON_GetObjectItem(first, "estimatedSeconds")->valuedouble, 5);
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(first, "observed")));
    cJSON_Delete(r);
    r = generate(inst, "\"priority\":\"variety\"");
    cr_expect_null(cJSON_GetObjectItem(routing(r), "ranking"), "a fixed list needs none");
    cJSON_Delete(r);
    tc_close(inst);
}

/* cost ranks this very request: low quality makes gpt-image-1 the cheapest. */
Test(priority, cost_ranks_the_estimate_for_this_request)
{
    ig_instance *inst = fleet_open(SEEDED, NULL);
    cJSON *r = generate(inst, "\"priority\":\"cost\",\"quality\":\"low\",\"size\":\"1024x1024\"");
    bc_expect_ok(r, "openai", 1); /* $0.011 */
    cr_expect_str_eq(order(r), "openai,stability,openrouter,bfl");
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(routing(r), "ranking"), 0);
    cr_expect_float_eq(cJSON_GetObjectItem(first, "estimatedUsd")->valuedouble, 0.011, 1e-9);
    cJSON_Delete(r);
    tc_close(inst);
}

/* --- providerPreferences and provider still win --- */

Test(priority, preferences_and_pins_win_over_priority)
{
    ig_instance *inst = fleet_open(SEEDED ",\"priority\":\"speed\"", NULL);
    cJSON *r = generate(inst, NULL); /* the config's default priority */
    cr_expect_str_eq(order(r), "bfl,stability,openrouter,openai");
    cJSON_Delete(r);
    r = generate(inst, "\"priority\":\"quality\""); /* the request's replaces it */
    cr_expect_str_eq(order(r), "openai,bfl,openrouter,stability");
    cJSON_Delete(r);
    r = generate(inst, "\"providerPreferences\":{\"preferred\":[\"openrouter\"]}");
    bc_expect_ok(r, "openrouter", 1);
    cr_expect_str_eq(order(r), "openrouter,bfl,stability,openai", "the rest by speed");
    cr_expect_str_eq(rule(r), "preferred");
    cJSON_Delete(r);
    r = generate(inst, "\"providerPreferences\":{\"blocked\":[\"bfl\"]}");
    cr_expect_str_eq(order(r), "stability,openrouter,openai");
    cJSON_Delete(r);
    r = generate(inst, "\"providerPreferences\":{\"weights\":{\"openai\":1}}");
    bc_expect_ok(r, "openai", 1);
    cr_expect_str_eq(rule(r), "weights");
    cJSON_Delete(r);
    r = generate(inst, "\"provider\":\"openrouter\"");
    cr_expect_str_eq(rule(r), "pinned");
    cJSON_Delete(r);
    tc_close(inst);
}

/* --- speed learns from this instance's own calls --- */

Test(priority, a_provider_that_gets_slow_drops_in_the_speed_order)
{
    /* BFL is taken to need 0.05 s, the others 0.5 s. */
    ig_instance *inst = fleet_open(
        SEEDED ",\"priority\":\"speed\",\"providers\":{"
        "\"openai\":{\"typicalSeconds\":0.5},\"stability\":{\"typicalSeconds\":0.5,"
        "\"pollIntervalMs\":10},\"bfl\":{\"typicalSeconds\":0.05,\"pollIntervalMs\":10},"
        "\"openrouter\":{\"typicalSeconds\":0.5}}", NULL);
    cJSON *r = generate(inst, NULL);
    bc_expect_ok(r, "bfl", 1);
    cr_expect_str_eq(order(r), "bfl,stability,openrouter,openai");
    cJSON_Delete(r);
    /* Then BFL takes 2 s more to accept a task: its average moves 0.3 of
     * the way, past the others' 0.5 s. */
    emu_fault slow = {.kind = EMU_FAULT_TIMEOUT, .path = "/v1/flux-pro-1.1", .count = 1,
                      .delay_ms = 2000};
    cr_assert_eq(emu_fault_push(fleet_server(FP_BFL), &slow), 0);
    r = generate(inst, NULL);
    bc_expect_ok(r, "bfl", 1);
    cJSON_Delete(r);
    r = generate(inst, NULL);
    bc_expect_ok(r, "stability", 1);
    cr_expect_str_eq(order(r), "stability,openrouter,openai,bfl");
    const cJSON *last = cJSON_GetArrayItem(cJSON_GetObjectItem(routing(r), "ranking"), 3);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(last, "observed")));
    cr_expect_gt(cJSON_GetObjectItem(last, "estimatedSeconds")->valuedouble, 0.5);
    cJSON_Delete(r);
    tc_close(inst);
}

/* --- privacy: a guarantee, not a preference --- */

Test(priority, privacy_sends_nothing_anywhere_even_with_every_key_set)
{
    ig_instance *inst = fleet_open(SEEDED, "{\"preferred\":[\"openai\",\"stability\"]}");
    char *dir = tu_make_temp_dir("ig-privacy");
    char *png = ti_write_png(dir, "in.png", 64, 64);
    char args[1200];
    static const char *const tools[][2] = {
        {"generate_image", "{" FOX ",\"priority\":\"privacy\"}"},
        {"edit_image", "{\"image\":\"%s\",\"prompt\":\"a hat\",\"priority\":\"privacy\"}"},
        {"variate_image", "{\"image\":\"%s\",\"priority\":\"privacy\"}"},
        {"transfer_style", "{\"image\":\"%s\",\"styleImage\":\"%s\",\"priority\":\"privacy\"}"},
    };
    fleet_reset();
    for (size_t i = 0; i < sizeof tools / sizeof *tools; i++) {
        snprintf(args, sizeof args, tools[i][1], png, png);
        cJSON *r = tc_call(inst, tools[i][0], args);
        tc_expect_error(r, "no_private_provider", "priority", "no private provider", NULL);
        cr_expect(strstr(bc_str(cJSON_GetObjectItem(r, "error"), "hint"),
                         "STABLE_DIFFUSION_LOCAL_BASE_URL"), "%s", tools[i][0]);
        cJSON_Delete(r);
    }
    /* Upscaling has a private provider: the embedded one, never Stability. */
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"priority\":\"privacy\"}", png);
    cJSON *r = tc_call(inst, "upscale_image", args);
    bc_expect_ok(r, "local", 1);
    cr_expect_str_eq(order(r), "local");
    cJSON_Delete(r);
    cr_expect_eq(requests_anywhere(), 0, "not one request left this process");
    free(png);
    tu_remove_tree(dir);
    free(dir);
    tc_close(inst);
}

Test(priority, privacy_refuses_remote_inputs_and_hosted_pins_before_anything_is_sent)
{
    ig_instance *inst = fleet_open("\"allowPrivateUrls\":true", NULL);
    char args[600];
    snprintf(args, sizeof args, "{\"image\":\"%s/cat.png\",\"priority\":\"privacy\"}",
             ts_server_base_url(outside));
    fleet_reset();
    cJSON *r = tc_call(inst, "upscale_image", args);
    tc_expect_error(r, "invalid_argument", "image", "remote URL", NULL);
    cJSON_Delete(r);
    r = tc_call(inst, "generate_image", "{" FOX ",\"priority\":\"privacy\",\"provider\":\"openai\"}");
    tc_expect_error(r, "invalid_argument", "provider", "hosted service", NULL);
    cJSON_Delete(r);
    cr_expect_eq(requests_anywhere(), 0);
    cr_expect_eq(ts_server_hits(outside, "/cat.png"), 0, "the URL was never fetched");
    tc_close(inst);
}

/* Local Stable Diffusion counts as private on this machine, or at an
 * address inside privateNetworks; a host name or any other address not. */
Test(priority, which_local_stable_diffusion_addresses_are_private)
{
    static const struct {
        const char *base_url, *networks;
        bool private_;
    } cases[] = {
        {"http://127.0.0.1:7860", NULL, true},
        {"http://localhost:8188", NULL, true},
        {"http://[::1]:7860", NULL, true},
        {"http://192.168.1.20:7860", NULL, false},
        {"http://192.168.1.20:7860", "[\"192.168.1.0/24\"]", true},
        {"http://192.168.2.20:7860", "[\"192.168.1.0/24\"]", false},
        {"http://gpu-box.lan:7860", "[\"192.168.0.0/16\"]", false},
        {"http://93.184.216.34:7860", "[\"10.0.0.0/8\"]", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char json[512];
        snprintf(json, sizeof json, "{\"imageGeneration\":{%s%s%s\"providers\":{"
                 "\"stable-diffusion-local\":{\"baseUrl\":\"%s\"}}}}",
                 cases[i].networks ? "\"privateNetworks\":" : "",
                 cases[i].networks ? cases[i].networks : "", cases[i].networks ? "," : "",
                 cases[i].base_url);
        ig_config config;
        ig_error err;
        ig_error_clear(&err);
        cr_assert_eq(ig_config_load(json, &config, &err), 0, "%s", err.message);
        char why[300] = "";
        cr_expect_eq(ig_provider_is_private(&config, IG_PROVIDER_SD_LOCAL, why, sizeof why),
                     cases[i].private_, "%s: %s", cases[i].base_url, why);
        cr_expect(ig_provider_is_private(&config, IG_PROVIDER_LOCAL, why, sizeof why));
        cr_expect_not(ig_provider_is_private(&config, IG_PROVIDER_OPENAI, why, sizeof why));
        ig_config_free(&config);
    }
}

Test(priority, private_networks_must_be_private)
{
    static const char *const bad[] = {"8.8.8.8", "0.0.0.0/0", "gpu-box.lan", "10.0.0.0/99"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char json[256];
        snprintf(json, sizeof json, "{\"imageGeneration\":{\"privateNetworks\":[\"%s\"]}}",
                 bad[i]);
        ig_config config;
        ig_error err;
        ig_error_clear(&err);
        cr_expect_eq(ig_config_load(json, &config, &err), -1, "%s", bad[i]);
        cr_expect_str_eq(err.field, "imageGeneration.privateNetworks[0]");
    }
}

Test(priority, an_unknown_priority_is_refused_naming_the_values)
{
    ig_instance *inst = fleet_open(NULL, NULL);
    fleet_reset();
    cJSON *r = generate(inst, "\"priority\":\"fastest\"");
    tc_expect_error(r, "invalid_argument", "priority", "speed", NULL);
    cJSON_Delete(r);
    cr_expect_eq(requests_anywhere(), 0);
    tc_close(inst);
}
