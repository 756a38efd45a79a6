/*
 * test_priority.c - the priority argument against all seven providers'
 * emulators at once: each priority's order with every provider configured, the
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

static ts_server *outside; /* any other host, for remote image URLs */

static void setup(void)
{
    fleet_start_all();
    static const ts_route routes[] = {{.path = "/cat.png", .behaviour = TS_RESPOND,
                                       .status = 200, .content_type = "image/png",
                                       .body = "x", .body_size = 1}};
    outside = ts_server_start(routes, 1);
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
    for (int p = 0; p < FP_ALL; p++)
        if (!strcmp(fleet_name(p), name))
            return p;
    cr_assert_fail("no emulator for %s", name);
    return FP_ALL;
}

static size_t requests_anywhere(void)
{
    return fleet_requests_to_others(FP_ALL) + (size_t)ts_server_hits(outside, NULL);
}

#define SD "stable-diffusion-local"

/* --- each priority's order, with every hosted provider configured --- */

Test(priority, each_priority_orders_the_providers_as_documented)
{
    static const struct {
        const char *priority, *order, *first;
    } cases[] = {
        /* text rendering (gpt-image, FLUX1.1 Pro, Gemini) 4, the rest 0;
         * ties by the quality list */
        {"quality", "openai,bfl,openrouter,stability,fal,replicate," SD, "openai"},
        /* Stability core and local SD 5 (negative prompt, presets or cfg,
         * seed), fal flux/dev 3 (cfg, seed), Replicate schnell and FLUX
         * Pro 1 (seed), OpenAI and Gemini 0 */
        {"control", "stability," SD ",fal,replicate,bfl,openai,openrouter", "stability"},
        /* typical seconds: fal 4, BFL 5, Replicate and Stability 6,
         * OpenRouter and local SD 10, OpenAI 30 */
        {"speed", "fal,bfl,replicate,stability,openrouter," SD ",openai", "fal"},
        {"variety", "replicate,fal,openrouter," SD ",stability,bfl,openai", "replicate"},
        /* local SD $0 < schnell $0.003 < flux/dev $0.025 < core $0.03 <
         * Gemini flash $0.039 < FLUX1.1 Pro $0.04 < gpt-image-1 (auto: the
         * dearest quality, $0.25) */
        {"cost", SD ",replicate,fal,stability,openrouter,bfl,openai", SD},
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
    cr_expect_str_eq(bc_str(first, "provider"), "fal");
    cr_expect_eq(cJSON_GetObjectItem(first, "estimatedSeconds")->valuedouble, 4);
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(first, "observed")));
    cJSON_Delete(r);
    r = generate(inst, "\"priority\":\"variety\"");
    cr_expect_null(cJSON_GetObjectItem(routing(r), "ranking"), "a fixed list needs none");
    cJSON_Delete(r);
    tc_close(inst);
}

/* cost ranks this very request: low quality makes gpt-image-1 ($0.011)
 * cheaper than every hosted FLUX but schnell. */
Test(priority, cost_ranks_the_estimate_for_this_request)
{
    ig_instance *inst = fleet_open(SEEDED, "{\"blocked\":[\"" SD "\"]}");
    cJSON *r = generate(inst, "\"priority\":\"cost\",\"quality\":\"low\",\"size\":\"1024x1024\"");
    bc_expect_ok(r, "replicate", 1);
    cr_expect_str_eq(order(r), "replicate,openai,fal,stability,openrouter,bfl");
    const cJSON *second = cJSON_GetArrayItem(cJSON_GetObjectItem(routing(r), "ranking"), 1);
    cr_expect_float_eq(cJSON_GetObjectItem(second, "estimatedUsd")->valuedouble, 0.011, 1e-9);
    cJSON_Delete(r);
    tc_close(inst);
}

/* --- providerPreferences and provider still win --- */

Test(priority, preferences_and_pins_win_over_priority)
{
    /* Speed with every provider's typical time, whatever calls take here. */
    ig_instance *inst = fleet_open(SEEDED ",\"priority\":\"speed\"", NULL);
    cJSON *r = generate(inst, "\"provider\":\"openrouter\"");
    cr_expect_str_eq(rule(r), "pinned");
    cJSON_Delete(r);
    r = generate(inst, "\"priority\":\"quality\""); /* the request's replaces it */
    cr_expect_str_eq(order(r), "openai,bfl,openrouter,stability,fal,replicate," SD);
    cJSON_Delete(r);
    r = generate(inst, "\"providerPreferences\":{\"preferred\":[\"openrouter\"],"
                 "\"blocked\":[\"fal\"]}"); /* the config's default priority: speed */
    bc_expect_ok(r, "openrouter", 1);
    cr_expect_str_eq(order(r), "openrouter,bfl,replicate,stability," SD ",openai",
                     "the rest by speed, fal never");
    cr_expect_str_eq(rule(r), "preferred");
    cJSON_Delete(r);
    r = generate(inst, "\"providerPreferences\":{\"weights\":{\"openai\":1}}");
    bc_expect_ok(r, "openai", 1);
    cr_expect_str_eq(rule(r), "weights");
    cJSON_Delete(r);
    tc_close(inst);
}

/* --- speed learns from this instance's own calls --- */

Test(priority, a_provider_that_gets_slow_drops_in_the_speed_order)
{
    /* BFL is taken to need 0.05 s, the others 0.5 s. */
#define SLOW(id) "\"" id "\":{\"typicalSeconds\":0.5,\"pollIntervalMs\":10}"
    ig_instance *inst = fleet_open(
        SEEDED ",\"priority\":\"speed\",\"providers\":{" SLOW("openai") "," SLOW("stability")
        "," SLOW("fal") "," SLOW("replicate") "," SLOW("openrouter") "," SLOW(SD) ","
        "\"bfl\":{\"typicalSeconds\":0.05,\"pollIntervalMs\":10}}", NULL);
    cJSON *r = generate(inst, NULL);
    bc_expect_ok(r, "bfl", 1);
    cr_expect_str_eq(order(r), "bfl,fal,replicate,stability,openrouter," SD ",openai");
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
    bc_expect_ok(r, "fal", 1);
    cr_expect_str_eq(order(r), "fal,replicate,stability,openrouter," SD ",openai,bfl");
    const cJSON *last = cJSON_GetArrayItem(cJSON_GetObjectItem(routing(r), "ranking"), 6);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(last, "observed")));
    cr_expect_gt(cJSON_GetObjectItem(last, "estimatedSeconds")->valuedouble, 0.5);
    cJSON_Delete(r);
    tc_close(inst);
}

/* --- privacy: a guarantee, not a preference --- */

/* Runs tool under privacy with "%s" in args_fmt standing for a fresh PNG. */
static cJSON *private_call(ig_instance *inst, const char *tool, const char *args_fmt)
{
    char *dir = tu_make_temp_dir("ig-privacy");
    char *png = ti_write_png(dir, "in.png", 64, 64);
    char args[1200];
    snprintf(args, sizeof args, args_fmt, png, png);
    cJSON *r = tc_call(inst, tool, args);
    free(png);
    tu_remove_tree(dir);
    free(dir);
    return r;
}

#define PRIVATE ",\"priority\":\"privacy\""

/* Every hosted provider is configured and preferred: only local Stable
 * Diffusion (on 127.0.0.1) and the embedded provider may run. */
Test(priority, privacy_uses_only_this_machine_even_with_every_key_set)
{
    ig_instance *inst = fleet_open(SEEDED, "{\"preferred\":[\"openai\",\"stability\"]}");
    fleet_reset();
    cJSON *r = private_call(inst, "generate_image", "{" FOX PRIVATE "}");
    bc_expect_ok(r, SD, 1);
    cr_expect_str_eq(order(r), SD);
    cr_expect_str_eq(rule(r), "priority");
    cJSON_Delete(r);
    r = private_call(inst, "edit_image", "{\"image\":\"%s\",\"prompt\":\"a hat\"" PRIVATE "}");
    bc_expect_ok(r, SD, 1);
    cJSON_Delete(r);
    r = private_call(inst, "upscale_image", "{\"image\":\"%s\"" PRIVATE "}");
    bc_expect_ok(r, SD, 1);
    cr_expect_str_eq(order(r), SD ",local");
    cJSON_Delete(r);
    /* Nothing private can vary or restyle: refused, with no request sent. */
    r = private_call(inst, "variate_image", "{\"image\":\"%s\"" PRIVATE "}");
    tc_expect_error(r, "no_private_provider", "priority", "variate", NULL);
    cr_expect(strstr(bc_str(cJSON_GetObjectItem(r, "error"), "hint"), "Neither"));
    cJSON_Delete(r);
    r = private_call(inst, "transfer_style",
                     "{\"image\":\"%s\",\"styleImage\":\"%s\"" PRIVATE "}");
    tc_expect_error(r, "no_private_provider", "priority", NULL);
    cJSON_Delete(r);
    cr_expect_gt(fleet_requests(FP_SD_LOCAL), 0);
    cr_expect_eq(fleet_requests_to_others(FP_SD_LOCAL), 0, "no hosted provider was asked");
    cr_expect_eq(ts_server_hits(outside, NULL), 0);
    tc_close(inst);
}

/* Without local Stable Diffusion only the embedded provider is left. */
Test(priority, privacy_without_local_stable_diffusion_sends_nothing_anywhere)
{
    unsetenv("STABLE_DIFFUSION_LOCAL_BASE_URL"); /* this test's process only */
    ig_instance *inst = fleet_open(SEEDED, NULL);
    fleet_reset();
    static const char *const tools[][2] = {
        {"generate_image", "{" FOX PRIVATE "}"},
        {"edit_image", "{\"image\":\"%s\",\"prompt\":\"a hat\"" PRIVATE "}"},
    };
    for (size_t i = 0; i < sizeof tools / sizeof *tools; i++) {
        cJSON *r = private_call(inst, tools[i][0], tools[i][1]);
        tc_expect_error(r, "no_private_provider", "priority", "no private provider", NULL);
        cr_expect(strstr(bc_str(cJSON_GetObjectItem(r, "error"), "hint"),
                         "STABLE_DIFFUSION_LOCAL_BASE_URL"), "%s", tools[i][0]);
        cJSON_Delete(r);
    }
    cJSON *r = private_call(inst, "upscale_image", "{\"image\":\"%s\"" PRIVATE "}");
    bc_expect_ok(r, "local", 1);
    cr_expect_str_eq(order(r), "local");
    cJSON_Delete(r);
    cr_expect_eq(requests_anywhere(), 0, "not one request left this process");
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
    r = tc_call(inst, "generate_image", "{" FOX PRIVATE ",\"provider\":\"openai\"}");
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
