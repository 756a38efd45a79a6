/*
 * test_openrouter_backend.c - the OpenRouter backend end to end against the
 * loopback OpenRouter emulator: image models through chat completions,
 * sizes as ratios and image_size tiers, edits and references with data-URL
 * inputs, usage.cost, and every error shape (HTTP errors, errors inside a
 * 200 and inside a choice, a model that answers in words, moderation).
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/openrouter_emulator.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_images.h"
#include "support/test_util.h"

#define KEY "sk-or-test-key-0123456789abcdef"
#define CHAT "/api/v1/chat/completions"

static orr_emulator *emu;
static ig_instance *inst;
static char *dir;

static void setup(void)
{
    tc_clear_provider_env();
    emu = orr_emulator_start(0, KEY);
    cr_assert(emu, "emulator did not start");
    setenv("OPENROUTER_API_KEY", KEY, 1);
    setenv("OPENROUTER_BASE_URL", orr_emulator_base_url(emu), 1);
    inst = tc_open(BC_NO_RETRY);
    dir = tu_make_temp_dir("ig-openrouter");
}

static void teardown(void)
{
    tc_close(inst);
    orr_emulator_stop(emu);
    tu_remove_tree(dir);
    free(dir);
}

TestSuite(openrouter, .init = setup, .fini = teardown, .timeout = 120);

static cJSON *call(const char *tool, const char *args)
{
    return tc_call(inst, tool, args);
}

static double actual_cost(const cJSON *r)
{
    const cJSON *cost = bc_item(bc_item(r, "cost"), "actualUsd");
    cr_assert(cJSON_IsNumber(cost), "no actualUsd in the result's cost");
    return cost->valuedouble;
}

Test(openrouter, generate_with_ratio_and_cost)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a lighthouse\",\"aspectRatio\":\"16:9\"}");
    const cJSON *images = bc_expect_ok(r, "openrouter", 1);
    bc_expect_stored(inst, images, 0, 1344, 768, "image/png", "openrouter");
    cr_expect_str_eq(bc_str(r, "model"), "google/gemini-2.5-flash-image");
    cr_expect(fabs(actual_cost(r) - 0.0387) < 1e-9, "cost %g", actual_cost(r));
    cJSON_Delete(r);
}

Test(openrouter, n_images_sum_their_cost)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"n\":2}");
    bc_expect_ok(r, "openrouter", 2);
    cr_expect(fabs(actual_cost(r) - 2 * 0.0387) < 1e-9, "cost %g", actual_cost(r));
    cr_expect_eq(emu_request_count(orr_emulator_server(emu), CHAT), 2);
    cJSON_Delete(r);
}

Test(openrouter, large_size_asks_for_an_image_size_tier)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"size\":\"2048x2048\","
                                      "\"model\":\"google/gemini-3-pro-image-preview\"}");
    bc_expect_stored(inst, bc_expect_ok(r, "openrouter", 1), 0, 2048, 2048, "image/png",
                     "openrouter");
    cr_expect_eq(tc_warning_count(r, "size"), 2, "the ratio and the tier are both reported");
    cJSON_Delete(r);
}

Test(openrouter, image_only_models_and_unavailable_formats)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"outputFormat\":\"jpeg\","
                                      "\"model\":\"black-forest-labs/flux.2-pro\"}");
    bc_expect_stored(inst, bc_expect_ok(r, "openrouter", 1), 0, 1024, 1024, "image/png",
                     "openrouter");
    cr_expect_eq(tc_warning_count(r, "outputFormat"), 1);
    cJSON_Delete(r);
}

Test(openrouter, edit_and_reference_send_the_image_inline)
{
    char *image = ti_write_png(dir, "src.png", 600, 400);
    char args[4400];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"prompt\":\"add snow\",\"strength\":0.5}",
             image);
    cJSON *r = call("edit_image", args);
    bc_expect_stored(inst, bc_expect_ok(r, "openrouter", 1), 0, 1248, 832, "image/png",
                     "openrouter");
    cr_expect_eq(tc_warning_count(r, "strength"), 1);
    cJSON_Delete(r);
    snprintf(args, sizeof args, "{\"prompt\":\"the knight at sea\",\"referenceImageUrl\":"
                                "\"%s\",\"consistencyMode\":\"strict\"}", image);
    r = call("generate_image", args);
    bc_expect_ok(r, "openrouter", 1);
    cr_expect_eq(tc_warning_count(r, "referenceImageUrl"), 0);
    cJSON_Delete(r);
    free(image);
}

Test(openrouter, errors_inside_http_200)
{
    orr_emulator_error_in_200(emu, 1, 502, "upstream failed");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_error", "", "upstream failed", NULL);
    cJSON_Delete(r);
    orr_emulator_choice_error_next(emu, 1, 502, "the model's provider broke off");
    r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_error", "", "broke off", NULL);
    cJSON_Delete(r);
}

Test(openrouter, a_model_that_answers_in_words)
{
    orr_emulator_text_only_next(emu, 1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_bad_response", "", "without an image", NULL);
    cr_expect(cJSON_IsTrue(bc_item(bc_item(r, "error"), "retryable")));
    cJSON_Delete(r);
}

/* One fault on the chat path. */
static cJSON *generate_with_fault(emu_fault_kind kind, int retry_after)
{
    emu_fault f = {.kind = kind, .path = CHAT, .count = 1, .retry_after = retry_after};
    cr_assert_eq(emu_fault_push(orr_emulator_server(emu), &f), 0);
    return call("generate_image", "{\"prompt\":\"a fox\"}");
}

Test(openrouter, http_errors_are_classified)
{
    cJSON *r = generate_with_fault(EMU_FAULT_429, 4);
    cr_expect_eq(bc_item(bc_item(r, "error"), "retryAfterSeconds")->valuedouble, 4);
    bc_expect_failure(inst, r, KEY, "provider_rate_limited", true, 429);
    r = generate_with_fault(EMU_FAULT_MODERATION, -1);
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "flagged"), "%s", text);
    cJSON_free(text);
    bc_expect_failure(inst, r, KEY, "prompt_refused", false, 403);
    bc_expect_failure(inst, generate_with_fault(EMU_FAULT_502, -1), KEY, "provider_error",
                      true, 502);
    bc_expect_failure(inst, generate_with_fault(EMU_FAULT_MALFORMED, -1), KEY,
                      "provider_bad_response", false, 0);
    bc_expect_failure(inst, generate_with_fault(EMU_FAULT_TRUNCATE, -1), KEY,
                      "provider_network_error", true, 0);
    orr_emulator_no_credits(emu, true);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "provider_quota_exhausted", false, 402);
}

Test(openrouter, wrong_key)
{
    setenv("OPENROUTER_API_KEY", "sk-or-wrong-key-5555555", 1);
    tc_close(inst);
    inst = tc_open(BC_NO_RETRY);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"),
                      "sk-or-wrong-key-5555555", "provider_auth_failed", false, 401);
}
