/*
 * test_stability_backend.c - the Stability AI backend end to end: tool call
 * -> negotiation -> multipart request -> the loopback Stability emulator ->
 * images streamed into the store -> result; every operation, the async
 * creative upscale (polling, cancel mid-poll, expired result) and each
 * fault ending in the right classified error.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/stability_emulator.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_images.h"
#include "support/test_util.h"
#include "tools/tool_call.h"

#define KEY "sk-stability-test-key-0123456789"
#define GENERATE_CORE "/v2beta/stable-image/generate/core"

static stab_emulator *emu;
static ig_instance *inst;
static char *dir;

static void setup(void)
{
    tc_clear_provider_env();
    emu = stab_emulator_start(0, KEY);
    cr_assert(emu, "emulator did not start");
    setenv("STABILITY_API_KEY", KEY, 1);
    setenv("STABILITY_BASE_URL", stab_emulator_base_url(emu), 1);
    inst = tc_open(BC_NO_RETRY ",\"providers\":{\"stability\":{\"pollIntervalMs\":10}}");
    dir = tu_make_temp_dir("ig-stability");
}

static void teardown(void)
{
    tc_close(inst);
    stab_emulator_stop(emu);
    tu_remove_tree(dir);
    free(dir);
}

TestSuite(stability, .init = setup, .fini = teardown, .timeout = 120);

static cJSON *call(const char *tool, const char *args)
{
    return tc_call(inst, tool, args);
}

/* A call whose arguments name a PNG of w x h written to the temp dir under
 * key "image" (plus extra JSON members). */
static cJSON *call_with_image(const char *tool, int w, int h, const char *extra)
{
    char *image = ti_write_png(dir, "src.png", w, h);
    char args[8192];
    snprintf(args, sizeof args, "{\"image\":\"%s\"%s%s}", image, extra ? "," : "",
             extra ? extra : "");
    free(image);
    return call(tool, args);
}

/* How many requests the emulator logged for path. */
static size_t requests_to(const char *path)
{
    return emu_request_count(stab_emulator_server(emu), path);
}

Test(stability, generate_core_with_ratio_style_and_seed)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a lighthouse\",\"aspectRatio\":\"16:9\","
                                      "\"style\":\"photographic\",\"seed\":42,"
                                      "\"outputFormat\":\"webp\"}");
    const cJSON *images = bc_expect_ok(r, "stability", 1);
    bc_expect_stored(inst, images, 0, 1344, 768, "image/webp", "stability");
    cr_expect_str_eq(bc_str(r, "model"), "core");
    const cJSON *applied = bc_item(r, "applied");
    cr_expect_str_eq(bc_str(applied, "aspectRatio"), "16:9");
    cr_expect_str_eq(bc_str(applied, "style"), "photographic");
    cr_expect_eq(bc_item(cJSON_GetArrayItem(images, 0), "seed")->valuedouble, 42);
    cr_expect_eq(requests_to(GENERATE_CORE), 1);
    cJSON_Delete(r);
}

Test(stability, n_images_are_separate_requests_and_pixel_sizes_become_ratios)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"n\":2,\"size\":\"1000x1500\"}");
    const cJSON *images = bc_expect_ok(r, "stability", 2);
    bc_expect_stored(inst, images, 1, 832, 1216, "image/png", "stability");
    cr_expect_str_eq(bc_str(bc_item(r, "applied"), "aspectRatio"), "2:3");
    cr_expect_eq(tc_warning_count(r, "size"), 1);
    cr_expect_eq(tc_warning_count(r, "n"), 1);
    cr_expect_eq(requests_to(GENERATE_CORE), 2);
    cJSON_Delete(r);
}

Test(stability, unknown_style_is_named_with_the_offered_ones)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"style\":\"vivid\"}");
    bc_expect_ok(r, "stability", 1);
    cr_expect_eq(tc_warning_count(r, "style"), 1);
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "photographic"), "%s", text);
    cJSON_free(text);
    cJSON_Delete(r);
}

Test(stability, sd3_and_ultra_models)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"model\":\"sd3.5-large\","
                                      "\"negativePrompt\":\"blur\",\"outputFormat\":\"jpeg\"}");
    bc_expect_stored(inst, bc_expect_ok(r, "stability", 1), 0, 1024, 1024, "image/jpeg",
                     "stability");
    cJSON_Delete(r);
    r = call("generate_image", "{\"prompt\":\"a fox\",\"model\":\"ultra\",\"aspectRatio\":\"21:9\"}");
    bc_expect_stored(inst, bc_expect_ok(r, "stability", 1), 0, 1536, 640, "image/png",
                     "stability");
    cJSON_Delete(r);
    cr_expect_eq(stab_emulator_images_made(emu, "generate/sd3"), 1);
    cr_expect_eq(stab_emulator_images_made(emu, "generate/ultra"), 1);
}

Test(stability, img2img_keeps_the_source_shape)
{
    cJSON *r = call_with_image("edit_image", 768, 512,
                               "\"prompt\":\"make it winter\",\"strength\":0.4,"
                               "\"size\":\"1024x1024\"");
    const cJSON *images = bc_expect_ok(r, "stability", 1);
    cr_expect_str_eq(bc_str(r, "model"), "sd3.5-large");
    int w = (int)bc_item(cJSON_GetArrayItem(images, 0), "width")->valuedouble;
    int h = (int)bc_item(cJSON_GetArrayItem(images, 0), "height")->valuedouble;
    double ratio = (double)w / h;
    cr_expect(ratio > 1.45 && ratio < 1.55, "the 3:2 source's shape was not kept: %dx%d", w, h);
    cr_expect_eq(tc_warning_count(r, "size"), 1, "the ignored size is not reported");
    cJSON_Delete(r);
}

Test(stability, inpaint_sends_the_white_mask_as_is)
{
    char *image = ti_write_png(dir, "src.png", 512, 384);
    size_t size = 0;
    unsigned char *mask = ti_mask_png(512, 384, 100, 100, 200, 100, &size);
    char *mask_url = ti_data_url("image/png", mask, size);
    char args[16384];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"mask\":\"%s\",\"prompt\":\"a hat\"}",
             image, mask_url);
    cJSON *r = call("edit_image", args);
    bc_expect_stored(inst, bc_expect_ok(r, "stability", 1), 0, 512, 384, "image/png",
                     "stability");
    cr_expect_str_eq(bc_str(r, "model"), "inpaint");
    cr_expect_eq(requests_to("/v2beta/stable-image/edit/inpaint"), 1);
    cJSON_Delete(r);
    free(image);
    free(mask);
    free(mask_url);
}

Test(stability, outpaint_grows_the_canvas)
{
    cJSON *r = call_with_image("edit_image", 512, 512,
                               "\"margins\":{\"left\":128,\"right\":128,\"top\":64}");
    bc_expect_stored(inst, bc_expect_ok(r, "stability", 1), 0, 768, 576, "image/png",
                     "stability");
    cr_expect_str_eq(bc_str(r, "model"), "outpaint");
    cJSON_Delete(r);
}

Test(stability, outpaint_margin_over_the_api_limit_costs_no_call)
{
    cJSON *r = call_with_image("edit_image", 256, 256, "\"margins\":{\"left\":2100}");
    tc_expect_error(r, "invalid_argument", "margins", "2000", NULL);
    cr_expect_eq(emu_request_count(stab_emulator_server(emu), NULL), 0);
    cJSON_Delete(r);
}

Test(stability, fast_upscale_4x_is_exact)
{
    cJSON *r = call_with_image("upscale_image", 200, 150, "\"scale\":4");
    bc_expect_stored(inst, bc_expect_ok(r, "stability", 1), 0, 800, 600, "image/png",
                     "stability");
    cr_expect_str_eq(bc_str(r, "model"), "fast");
    cr_expect_eq(tc_warning_count(r, "scale"), 0);
    cJSON_Delete(r);
}

Test(stability, upscale_2x_shrinks_the_4x_result_and_keeps_it)
{
    cJSON *r = call_with_image("upscale_image", 200, 150, "\"outputFormat\":\"jpeg\"");
    const cJSON *images = bc_expect_ok(r, "stability", 1);
    bc_expect_stored(inst, images, 0, 400, 300, "image/jpeg", "stability");
    cr_expect_eq(tc_warning_count(r, "scale"), 1);
    /* Both files exist: the 2x result and the provider's 4x original. */
    cr_expect_eq(tu_count_entries(inst->config.image_dir, "img_"), 4, "2 images + 2 sidecars");
    cJSON_Delete(r);
}

Test(stability, creative_upscale_polls_until_the_result_is_ready)
{
    stab_emulator_set_pending_polls(emu, 3);
    cJSON *r = call_with_image("upscale_image", 256, 256, "\"model\":\"creative\",\"scale\":4");
    const cJSON *images = bc_expect_ok(r, "stability", 1);
    int w = (int)bc_item(cJSON_GetArrayItem(images, 0), "width")->valuedouble;
    cr_expect(w >= 1024, "creative upscale came back %d wide", w);
    cJSON *log = emu_request_log(stab_emulator_server(emu));
    int polls = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, log)
    {
        if (!strncmp(bc_str(entry, "path"), "/v2beta/results/", 16))
            polls++;
    }
    cr_expect_eq(polls, 4, "3 pending polls and the one with the image, got %d", polls);
    cJSON_Delete(log);
    cJSON_Delete(r);
}

Test(stability, creative_result_gone_is_a_provider_error)
{
    emu_fault fault = {.kind = EMU_FAULT_EXPIRED, .path = "/v2beta/results", .count = 1};
    cr_assert_eq(emu_fault_push(stab_emulator_server(emu), &fault), 0);
    cJSON *r = call_with_image("upscale_image", 256, 256, "\"model\":\"creative\"");
    tc_expect_error(r, "provider_error", "", "gone", NULL);
    cJSON_Delete(r);
}

Test(stability, cancel_mid_poll)
{
    stab_emulator_set_pending_polls(emu, 1000000);
    char *image = ti_write_png(dir, "src.png", 256, 256);
    char args[4200];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"model\":\"creative\"}", image);
    free(image);
    int64_t id = ig_instance_submit(inst, "upscale_image", args);
    cr_assert(id > 0);
    /* The POST and two polls: the job is being polled; cancel it. */
    cr_assert_eq(emu_wait_requests(stab_emulator_server(emu), NULL, 3, 30000), 0);
    cr_expect_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_OK);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 20000), AGENTOS_EXT_JOB_CANCELED);
    char *text = ig_jobs_take_result(inst->jobs, id);
    cr_expect(strstr(text, "\"canceled\""), "%s", text);
    free(text);
}

Test(stability, style_transfer)
{
    char *image = ti_write_png(dir, "content.png", 640, 480);
    char *style = ti_write_png(dir, "style.png", 300, 300);
    char args[8400];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"styleImage\":\"%s\",\"strength\":0.5}",
             image, style);
    cJSON *r = call("transfer_style", args);
    bc_expect_stored(inst, bc_expect_ok(r, "stability", 1), 0, 640, 480, "image/png",
                     "stability");
    cr_expect_str_eq(bc_str(r, "model"), "style-transfer");
    cJSON_Delete(r);
    free(image);
    free(style);
}

Test(stability, content_filter_is_a_warning)
{
    stab_emulator_filter_next(emu, 1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, "stability", 1);
    cr_expect_eq(tc_warning_count(r, "images"), 1);
    cJSON_Delete(r);
}

Test(stability, provider_options_reach_the_form)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"model\":\"sd3.5-medium\","
                                      "\"providerOptions\":{\"stability\":{\"cfg_scale\":99}}}");
    /* cfg_scale 99 is out of range for the real API (and the emulator). */
    bc_expect_failure(inst, r, KEY, "provider_invalid_request", false, 400);
}

/* One fault on the generate path, and the failed result. */
static cJSON *generate_with_fault(emu_fault_kind kind, int retry_after)
{
    emu_fault fault = {.kind = kind, .path = GENERATE_CORE, .count = 1,
                       .retry_after = retry_after};
    cr_assert_eq(emu_fault_push(stab_emulator_server(emu), &fault), 0);
    return call("generate_image", "{\"prompt\":\"a fox\"}");
}

Test(stability, faults_are_classified)
{
    cJSON *r = generate_with_fault(EMU_FAULT_429, 9);
    cr_expect_eq(bc_item(bc_item(r, "error"), "retryAfterSeconds")->valuedouble, 9);
    bc_expect_failure(inst, r, KEY, "provider_rate_limited", true, 429);
    bc_expect_failure(inst, generate_with_fault(EMU_FAULT_500, -1), KEY, "provider_error",
                      true, 500);
    bc_expect_failure(inst, generate_with_fault(EMU_FAULT_503, -1), KEY, "provider_error",
                      true, 503);
    bc_expect_failure(inst, generate_with_fault(EMU_FAULT_MODERATION, -1), KEY,
                      "prompt_refused", false, 403);
    bc_expect_failure(inst, generate_with_fault(EMU_FAULT_MALFORMED, -1), KEY,
                      "provider_bad_response", false, 0);
    bc_expect_failure(inst, generate_with_fault(EMU_FAULT_TRUNCATE, -1), KEY,
                      "provider_network_error", true, 0);
    bc_expect_failure(inst, generate_with_fault(EMU_FAULT_RESET, -1), KEY,
                      "provider_network_error", true, 0);
}

Test(stability, wrong_key_is_an_auth_failure)
{
    setenv("STABILITY_API_KEY", "sk-wrong-stability-key-77777", 1);
    tc_close(inst);
    inst = tc_open(BC_NO_RETRY);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_failure(inst, r, "sk-wrong-stability-key-77777", "provider_auth_failed", false,
                      401);
}

Test(stability, concurrent_calls_share_the_instance)
{
    enum { JOBS = 6 };
    bc_generate_concurrently(inst, JOBS, "{\"prompt\":\"a fox\",\"model\":\"ultra\"}",
                             "{\"prompt\":\"an owl\",\"style\":\"anime\"}");
    cr_expect_eq(stab_emulator_images_made(emu, NULL), JOBS);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
}
