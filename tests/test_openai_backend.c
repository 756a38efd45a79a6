/*
 * test_openai_backend.c - the OpenAI backend end to end: tool call ->
 * validation -> negotiation -> HTTP -> the loopback OpenAI emulator ->
 * streamed images in the store -> result envelope; and every fault the
 * emulator can inject ending in the right classified error.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/openai_emulator.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_images.h"
#include "support/test_util.h"
#include "tools/tool_call.h"

#define KEY "sk-emulator-test-key-0123456789abcdef"

static oai_emulator *emu;
static ig_instance *inst;
static char *dir;

static void setup(void)
{
    tc_clear_provider_env();
    emu = oai_emulator_start(0, KEY);
    cr_assert(emu, "emulator did not start");
    setenv("OPENAI_API_KEY", KEY, 1);
    setenv("OPENAI_BASE_URL", oai_emulator_base_url(emu), 1);
    inst = tc_open(BC_NO_RETRY);
    dir = tu_make_temp_dir("ig-openai");
}

static void teardown(void)
{
    tc_close(inst);
    oai_emulator_stop(emu);
    tu_remove_tree(dir);
    free(dir);
}

TestSuite(openai, .init = setup, .fini = teardown, .timeout = 120);

/* Asserts success by openai and returns the images array. */
static const cJSON *expect_ok(const cJSON *r, int n_images)
{
    return bc_expect_ok(r, "openai", n_images);
}

static void expect_stored(const cJSON *images, int i, int w, int h, const char *mime)
{
    bc_expect_stored(inst, images, i, w, h, mime, "openai");
}

static cJSON *call(const char *tool, const char *args)
{
    return tc_call(inst, tool, args);
}

Test(openai, generate_two_webp_images)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a red fox\",\"n\":2,"
                                      "\"size\":\"1536x1024\",\"outputFormat\":\"webp\"}");
    const cJSON *images = expect_ok(r, 2);
    expect_stored(images, 0, 1536, 1024, "image/webp");
    expect_stored(images, 1, 1536, 1024, "image/webp");
    cr_expect_str_eq(bc_str(r, "model"), "gpt-image-1");
    cr_expect_str_eq(bc_str(bc_item(r, "applied"), "size"), "1536x1024");
    cr_expect_str_neq(bc_str(cJSON_GetArrayItem(images, 0), "id"),
                      bc_str(cJSON_GetArrayItem(images, 1), "id"));
    cr_expect_eq(emu_request_count(oai_emulator_server(emu), "/v1/images/generations"), 1);
    cJSON *log = emu_request_log(oai_emulator_server(emu));
    cr_expect_str_eq(bc_str(cJSON_GetArrayItem(log, 0), "auth"), "matched");
    cJSON_Delete(log);
    cJSON_Delete(r);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
}

Test(openai, cost_is_estimated_from_the_price_table)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"quality\":\"low\",\"n\":2,"
                                      "\"size\":\"1024x1024\"}");
    expect_ok(r, 2);
    const cJSON *cost = bc_item(r, "cost");
    cr_expect_float_eq(bc_item(cost, "estimatedUsd")->valuedouble, 2 * 0.011, 1e-9);
    cr_expect(cJSON_IsFalse(bc_item(cost, "upperBound")));
    cr_expect(strstr(bc_str(cost, "source"), "built-in"));
    cJSON_Delete(r);
    /* Quality and size left to the model: the dearest pair is the estimate. */
    r = call("generate_image", "{\"prompt\":\"a fox\"}");
    cost = bc_item(r, "cost");
    cr_expect_float_eq(bc_item(cost, "estimatedUsd")->valuedouble, 0.25, 1e-9);
    cr_expect(cJSON_IsTrue(bc_item(cost, "upperBound")));
    cJSON_Delete(r);
}

Test(openai, size_is_snapped_and_reported)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"size\":\"1000x1000\"}");
    const cJSON *images = expect_ok(r, 1);
    expect_stored(images, 0, 1024, 1024, "image/png");
    cr_expect_eq(tc_warning_count(r, "size"), 1);
    cr_expect_str_eq(bc_str(bc_item(r, "applied"), "size"), "1024x1024");
    cJSON_Delete(r);
}

Test(openai, dalle3_splits_n_and_keeps_revised_prompt)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"n\":2,\"model\":\"dall-e-3\","
                                      "\"style\":\"natural\"}");
    expect_ok(r, 2);
    cr_expect_eq(emu_request_count(oai_emulator_server(emu), "/v1/images/generations"), 2);
    cr_expect_eq(tc_warning_count(r, "n"), 1);
    cr_expect(bc_str(r, "revisedPrompt") != NULL, "dall-e-3 revises prompts");
    cJSON_Delete(r);
}

Test(openai, inpaint_sends_a_transparent_mask)
{
    char *image = ti_write_png(dir, "src.png", 512, 512);
    size_t size;
    unsigned char *mask = ti_mask_png(512, 512, 100, 100, 200, 200, &size);
    char mask_path[4200];
    snprintf(mask_path, sizeof mask_path, "%s/mask.png", dir);
    cr_assert_eq(tu_write_file(mask_path, mask, size), 0);
    char args[9000];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"mask\":\"%s\",\"prompt\":\"a hat\"}",
             image, mask_path);
    cJSON *r = call("edit_image", args);
    expect_ok(r, 1);
    cJSON *log = emu_request_log(oai_emulator_server(emu));
    const cJSON *req = cJSON_GetArrayItem(log, 0);
    cr_expect_str_eq(bc_str(req, "path"), "/v1/images/edits");
    int saw_mask = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, bc_item(req, "parts"))
    {
        if (!strcmp(bc_str(part, "name"), "mask")) {
            saw_mask = 1;
            cr_expect_str_eq(bc_str(part, "contentType"), "image/png");
        }
    }
    cr_expect(saw_mask, "no mask part was sent");
    cJSON_Delete(log);
    cJSON_Delete(r);
    free(mask);
    free(image);
}

Test(openai, outpaint_uses_an_enlarged_canvas)
{
    char *image = ti_write_png(dir, "src.png", 512, 512);
    char args[4200];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"margins\":{\"left\":256,\"right\":256},"
                                "\"size\":\"1536x1024\",\"mode\":\"outpaint\"}", image);
    cJSON *r = call("edit_image", args); /* size is refused with outpaint */
    tc_expect_error(r, "invalid_argument", "size", NULL);
    cJSON_Delete(r);
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"margins\":{\"left\":256,\"right\":256}}",
             image);
    r = call("edit_image", args);
    expect_ok(r, 1);
    cr_expect_eq(tc_warning_count(r, "prompt"), 1, "a default outpaint prompt is reported");
    cJSON_Delete(r);
    free(image);
}

Test(openai, variation_of_a_non_square_image)
{
    char *image = ti_write_png(dir, "wide.png", 600, 400);
    char args[4200];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"n\":2}", image);
    cJSON *r = call("variate_image", args);
    const cJSON *images = expect_ok(r, 2);
    cr_expect_str_eq(bc_str(r, "model"), "dall-e-2");
    cr_expect_eq(tc_warning_count(r, "image"), 1, "the square crop is reported");
    expect_stored(images, 0, 1024, 1024, "image/png");
    cJSON_Delete(r);
    free(image);
}

/* Queues one fault for the generations path and returns the failed result. */
static cJSON *generate_with_fault(emu_fault_kind kind, int retry_after)
{
    emu_fault fault = {.kind = kind, .path = "/v1/images/generations", .count = 1,
                       .retry_after = retry_after};
    cr_assert_eq(emu_fault_push(oai_emulator_server(emu), &fault), 0);
    return call("generate_image", "{\"prompt\":\"a fox\"}");
}

static void expect_class(cJSON *r, const char *code, bool retryable, long status)
{
    bc_expect_failure(inst, r, KEY, code, retryable, status);
}

Test(openai, rate_limited_with_retry_after)
{
    cJSON *r = generate_with_fault(EMU_FAULT_429, 7);
    cr_expect_eq(bc_item(bc_item(r, "error"), "retryAfterSeconds")->valuedouble, 7);
    expect_class(r, "provider_rate_limited", true, 429);
}

Test(openai, server_errors_are_retryable)
{
    expect_class(generate_with_fault(EMU_FAULT_500, -1), "provider_error", true, 500);
    expect_class(generate_with_fault(EMU_FAULT_503, -1), "provider_error", true, 503);
}

Test(openai, moderation_is_a_refused_prompt)
{
    expect_class(generate_with_fault(EMU_FAULT_MODERATION, -1), "prompt_refused", false, 400);
}

Test(openai, broken_responses)
{
    expect_class(generate_with_fault(EMU_FAULT_MALFORMED, -1), "provider_bad_response", false,
                 0);
    expect_class(generate_with_fault(EMU_FAULT_TRUNCATE, -1), "provider_network_error", true,
                 0);
    expect_class(generate_with_fault(EMU_FAULT_RESET, -1), "provider_network_error", true, 0);
}

Test(openai, wrong_key_is_an_auth_failure_without_key_fragments)
{
    setenv("OPENAI_API_KEY", "sk-wrong-key-0000000000003456", 1);
    tc_close(inst);
    inst = tc_open(BC_NO_RETRY);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    char *text = cJSON_PrintUnformatted(r);
    /* OpenAI (and the emulator) quote the key masked: "sk-*****3456". */
    cr_expect_null(strstr(text, "3456"), "a key fragment leaked: %s", text);
    cr_expect_null(strstr(text, "sk-"), "a key fragment leaked: %s", text);
    cJSON_free(text);
    expect_class(r, "provider_auth_failed", false, 401);
}

Test(openai, provider_validation_error_is_invalid_request)
{
    /* providerOptions passes an argument the real API (and emulator) refuses. */
    cJSON *r = call("generate_image",
                    "{\"prompt\":\"a fox\",\"providerOptions\":{\"openai\":{\"bogus\":1}}}");
    expect_class(r, "provider_invalid_request", false, 400);
}

Test(openai, cancel_while_the_provider_holds_the_request)
{
    emu_fault fault = {.kind = EMU_FAULT_TIMEOUT, .path = "/v1/images/generations", .count = 1};
    cr_assert_eq(emu_fault_push(oai_emulator_server(emu), &fault), 0);
    int64_t id = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"a fox\"}");
    cr_assert_eq(emu_wait_requests(oai_emulator_server(emu), "/v1/images/generations", 1,
                                   30000), 0);
    cr_expect_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_OK);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 20000), AGENTOS_EXT_JOB_CANCELED);
    char *text = ig_jobs_take_result(inst->jobs, id);
    cr_expect(strstr(text, "\"canceled\""), "%s", text);
    free(text);
}

Test(openai, configured_default_model_only_where_it_fits)
{
    tc_close(inst);
    inst = tc_open(BC_NO_RETRY ",\"providers\":{\"openai\":{\"model\":\"gpt-image-1.5\"}}");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    expect_ok(r, 1);
    cr_expect_str_eq(bc_str(r, "model"), "gpt-image-1.5");
    cJSON_Delete(r);
    char *image = ti_write_png(dir, "v.png", 256, 256);
    char args[4200];
    snprintf(args, sizeof args, "{\"image\":\"%s\"}", image);
    r = call("variate_image", args);
    expect_ok(r, 1);
    cr_expect_str_eq(bc_str(r, "model"), "dall-e-2");
    cr_expect_eq(tc_warning_count(r, "model"), 1);
    cJSON_Delete(r);
    free(image);
}

Test(openai, dalle2_edits_need_a_square_png)
{
    char *wide = ti_write_png(dir, "wide.png", 600, 400);
    size_t size;
    unsigned char *mask = ti_mask_png(600, 400, 10, 10, 50, 50, &size);
    char mask_path[4200], args[9000];
    snprintf(mask_path, sizeof mask_path, "%s/m.png", dir);
    cr_assert_eq(tu_write_file(mask_path, mask, size), 0);
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"mask\":\"%s\",\"prompt\":\"x\","
                                "\"model\":\"dall-e-2\"}", wide, mask_path);
    cJSON *r = call("edit_image", args);
    tc_expect_error(r, "invalid_argument", "image", "square", NULL);
    cr_expect_eq(emu_request_count(oai_emulator_server(emu), NULL), 0, "nothing was sent");
    cJSON_Delete(r);
    free(mask);

    /* A square JPEG goes out as a PNG, which dall-e-2 requires. */
    size_t jsize;
    unsigned char *jpeg = ti_encode("jpeg", 256, 256, 3, &jsize);
    char jpeg_path[4200];
    snprintf(jpeg_path, sizeof jpeg_path, "%s/sq.jpg", dir);
    cr_assert_eq(tu_write_file(jpeg_path, jpeg, jsize), 0);
    mask = ti_mask_png(256, 256, 10, 10, 50, 50, &size);
    cr_assert_eq(tu_write_file(mask_path, mask, size), 0);
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"mask\":\"%s\",\"prompt\":\"x\","
                                "\"model\":\"dall-e-2\"}", jpeg_path, mask_path);
    r = call("edit_image", args);
    expect_ok(r, 1);
    cJSON_Delete(r);
    free(jpeg);
    free(mask);
    free(wide);
}

Test(openai, provider_options_replace_multipart_fields)
{
    char *image = ti_write_png(dir, "src.png", 512, 512);
    char args[4200];
    snprintf(args, sizeof args,
             "{\"image\":\"%s\",\"prompt\":\"x\",\"size\":\"1024x1024\",\"providerOptions\":"
             "{\"openai\":{\"size\":\"1536x1024\",\"stream\":false,\"odd\":[1]}}}",
             image);
    cJSON *r = call("edit_image", args);
    cJSON *log = emu_request_log(oai_emulator_server(emu));
    const cJSON *req = cJSON_GetArrayItem(log, 0);
    int sizes = 0, streams = 0, odd = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, bc_item(req, "parts"))
    {
        sizes += !strcmp(bc_str(part, "name"), "size");
        streams += !strcmp(bc_str(part, "name"), "stream");
        odd += !strcmp(bc_str(part, "name"), "odd");
    }
    cr_expect_eq(sizes, 1, "one size part, the caller's");
    cr_expect_eq(streams, 1, "booleans are sent");
    cr_expect_eq(odd, 0, "arrays cannot be form fields");
    cr_expect_eq(tc_warning_count(r, "providerOptions.openai"), 2);
    cJSON_Delete(log);
    cJSON_Delete(r);
    free(image);
}

Test(openai, images_that_arrived_whole_survive_a_broken_response)
{
    emu_fault fault = {.kind = EMU_FAULT_TRUNCATE, .path = "/v1/images/generations",
                       .count = 1};
    cr_assert_eq(emu_fault_push(oai_emulator_server(emu), &fault), 0);
    /* Half of a three-image body holds the first image whole, the second in part. */
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"n\":3}");
    tc_expect_error(r, "provider_network_error", "", NULL);
    const cJSON *images = bc_item(r, "images");
    cr_assert_eq(cJSON_GetArraySize(images), 1, "the whole first image must be kept");
    expect_stored(images, 0, 1024, 1024, "image/png");
    cr_expect_eq(tc_warning_count(r, "images"), 1);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, "img_"), 2, "one image + sidecar");
    cJSON_Delete(r);
}
