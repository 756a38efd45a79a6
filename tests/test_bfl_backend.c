/*
 * test_bfl_backend.c - the Black Forest Labs backend end to end against the
 * loopback FLUX emulator: submit, poll the returned (regional) polling_url,
 * download the signed sample without the key; every operation, consistency
 * modes, task outcomes (moderation, errors), faults, a transient poll
 * failure that must not resubmit the task, and cancel mid-poll.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/bfl_emulator.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_images.h"
#include "support/test_util.h"
#include "tools/tool_call.h"

#define KEY "bfl-test-key-0123456789abcdef"

static bfl_emulator *emu;
static ig_instance *inst;
static char *dir;

static void setup(void)
{
    tc_clear_provider_env();
    emu = bfl_emulator_start(0, KEY);
    cr_assert(emu, "emulator did not start");
    setenv("BFL_API_KEY", KEY, 1);
    setenv("BFL_BASE_URL", bfl_emulator_base_url(emu), 1);
    inst = tc_open(BC_NO_RETRY ",\"providers\":{\"bfl\":{\"pollIntervalMs\":10}}");
    dir = tu_make_temp_dir("ig-bfl");
}

static void teardown(void)
{
    tc_close(inst);
    bfl_emulator_stop(emu);
    tu_remove_tree(dir);
    free(dir);
}

TestSuite(bfl, .init = setup, .fini = teardown, .timeout = 120);

static cJSON *call(const char *tool, const char *args)
{
    return tc_call(inst, tool, args);
}

static cJSON *call_with_png(const char *tool, int w, int h, const char *args_fmt)
{
    return tc_call_with_png(inst, dir, tool, w, h, args_fmt);
}

/* Requests in the log whose path starts with prefix, and how many of them
 * presented the key ("matched"). */
static int logged(const char *prefix, int *with_key)
{
    cJSON *log = emu_request_log(bfl_emulator_server(emu));
    int n = 0, keyed = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, log)
    {
        if (strncmp(bc_str(entry, "path"), prefix, strlen(prefix)))
            continue;
        n++;
        keyed += !strcmp(bc_str(entry, "auth"), "matched");
    }
    cJSON_Delete(log);
    if (with_key)
        *with_key = keyed;
    return n;
}

Test(bfl, generate_polls_the_returned_url_and_downloads_without_the_key)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a red fox\",\"size\":\"1000x700\","
                                      "\"seed\":7}");
    const cJSON *images = bc_expect_ok(r, "bfl", 1);
    bc_expect_stored(inst, images, 0, 992, 704, "image/png", "bfl");
    cr_expect_str_eq(bc_str(r, "model"), "flux-pro-1.1");
    cr_expect_eq(tc_warning_count(r, "size"), 1);
    int keyed = 0;
    cr_expect_eq(logged("/regional/v1/get_result", &keyed), 3, "2 pending polls + ready");
    cr_expect_eq(keyed, 3);
    cr_expect_eq(logged("/delivery/", &keyed), 1);
    cr_expect_eq(keyed, 0, "the key went to the delivery host");
    cJSON_Delete(r);
}

Test(bfl, n_tasks_are_submitted_then_awaited)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"n\":3,\"outputFormat\":\"jpeg\"}");
    const cJSON *images = bc_expect_ok(r, "bfl", 3);
    bc_expect_stored(inst, images, 2, 1024, 768, "image/jpeg", "bfl");
    cr_expect_eq(bfl_emulator_tasks(emu, "flux-pro-1.1"), 3);
    cJSON_Delete(r);
}

Test(bfl, ultra_takes_a_ratio)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"model\":\"flux-pro-1.1-ultra\","
                                      "\"aspectRatio\":\"16:9\"}");
    const cJSON *images = bc_expect_ok(r, "bfl", 1);
    const cJSON *img = cJSON_GetArrayItem(images, 0);
    double w = bc_item(img, "width")->valuedouble, h = bc_item(img, "height")->valuedouble;
    cr_expect(w > 2000 && w / h > 1.7 && w / h < 1.8, "ultra 16:9 came back %gx%g", w, h);
    cr_expect_str_eq(bc_str(bc_item(r, "applied"), "aspectRatio"), "16:9");
    cJSON_Delete(r);
}

Test(bfl, reference_strict_uses_kontext_loose_uses_redux)
{
    cJSON *r = call_with_png("generate_image", 512, 512,
                             "{\"prompt\":\"the same knight in a forest\","
                             "\"referenceImageUrl\":\"%s\",\"consistencyMode\":\"strict\"}");
    bc_expect_ok(r, "bfl", 1);
    cr_expect_str_eq(bc_str(r, "model"), "flux-kontext-pro");
    cJSON_Delete(r);
    r = call_with_png("generate_image", 512, 512,
                      "{\"prompt\":\"a knight\",\"referenceImageUrl\":\"%s\","
                      "\"consistencyMode\":\"loose\"}");
    bc_expect_ok(r, "bfl", 1);
    cr_expect_str_eq(bc_str(r, "model"), "flux-pro-1.1");
    cr_expect_eq(tc_warning_count(r, "referenceImageUrl"), 0);
    cJSON_Delete(r);
}

Test(bfl, edits_img2img_inpaint_outpaint)
{
    cJSON *r = call_with_png("edit_image", 640, 480,
                             "{\"image\":\"%s\",\"prompt\":\"make it night\","
                             "\"strength\":0.3}");
    bc_expect_ok(r, "bfl", 1);
    cr_expect_str_eq(bc_str(r, "model"), "flux-kontext-pro");
    cr_expect_eq(tc_warning_count(r, "strength"), 1, "kontext has no strength");
    cJSON_Delete(r);

    char *image = ti_write_png(dir, "src.png", 512, 384);
    size_t size = 0;
    unsigned char *mask = ti_mask_png(512, 384, 10, 10, 100, 100, &size);
    char *mask_url = ti_data_url("image/png", mask, size);
    char args[16384];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"mask\":\"%s\",\"prompt\":\"a hat\"}",
             image, mask_url);
    r = call("edit_image", args);
    bc_expect_stored(inst, bc_expect_ok(r, "bfl", 1), 0, 512, 384, "image/png", "bfl");
    cr_expect_str_eq(bc_str(r, "model"), "flux-pro-1.0-fill");
    cJSON_Delete(r);
    free(image), free(mask), free(mask_url);

    r = call_with_png("edit_image", 512, 512,
                      "{\"image\":\"%s\",\"margins\":{\"left\":64,\"bottom\":128}}");
    bc_expect_stored(inst, bc_expect_ok(r, "bfl", 1), 0, 576, 640, "image/png", "bfl");
    cr_expect_str_eq(bc_str(r, "model"), "flux-pro-1.0-expand");
    cJSON_Delete(r);
}

Test(bfl, style_transfer_sends_both_images_to_kontext)
{
    char *content = ti_write_png(dir, "content.png", 640, 480);
    char *style = ti_write_png(dir, "style.png", 256, 256);
    char args[8400];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"styleImage\":\"%s\"}", content, style);
    cJSON *r = call("transfer_style", args);
    bc_expect_ok(r, "bfl", 1);
    cr_expect_str_eq(bc_str(r, "model"), "flux-kontext-pro");
    cr_expect_eq(tc_warning_count(r, "strength"), 1);
    cJSON_Delete(r);
    free(content), free(style);
}

/* Queues one fault of kind on path. */
static void fault(emu_fault_kind kind, const char *path, int retry_after)
{
    emu_fault f = {.kind = kind, .path = path, .count = 1, .retry_after = retry_after};
    cr_assert_eq(emu_fault_push(bfl_emulator_server(emu), &f), 0);
}

Test(bfl, moderation_before_and_after_generation)
{
    fault(EMU_FAULT_MODERATION, "/v1/flux-pro-1.1", -1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "prompt_refused", false, 0);
    fault(EMU_FAULT_MODERATION, "/regional/v1/get_result", -1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "output_refused", false, 0);
}

Test(bfl, failed_task_quota_rate_limit_and_server_errors)
{
    bfl_emulator_fail_next(emu, 1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "provider_error", true, 0);
    fault(EMU_FAULT_429, "/v1/flux-pro-1.1", 5);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    cr_expect_eq(bc_item(bc_item(r, "error"), "retryAfterSeconds")->valuedouble, 5);
    bc_expect_failure(inst, r, KEY, "provider_rate_limited", true, 429);
    fault(EMU_FAULT_500, "/v1/flux-pro-1.1", -1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "provider_error", true, 500);
    bfl_emulator_no_credits(emu, true);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "provider_quota_exhausted", false, 402);
}

Test(bfl, validation_error_names_the_field)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"providerOptions\":"
                                      "{\"bfl\":{\"safety_tolerance\":9}}}");
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "safety_tolerance"), "%s", text);
    cJSON_free(text);
    bc_expect_failure(inst, r, KEY, "provider_invalid_request", false, 422);
}

Test(bfl, expired_sample_url)
{
    fault(EMU_FAULT_EXPIRED, "/delivery", -1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_error", "", "signed sample URL", NULL);
    cJSON_Delete(r);
}

Test(bfl, a_failed_poll_is_asked_again_never_resubmitted)
{
    fault(EMU_FAULT_503, "/regional/v1/get_result", -1);
    fault(EMU_FAULT_RESET, "/regional/v1/get_result", -1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, "bfl", 1);
    cr_expect_eq(bfl_emulator_tasks(emu, NULL), 1, "the task was submitted twice");
    cJSON_Delete(r);
}

/* A submit that went out whole but whose answer broke off may have made a
 * task that runs and is charged: it is never submitted again, even with
 * retries allowed. */
Test(bfl, a_submit_whose_answer_broke_off_is_never_submitted_again)
{
    tc_close(inst);
    inst = tc_open("\"routing\":{\"maxRetries\":2,\"backoffBaseMs\":0,"
                   "\"cooldownSeconds\":{\"transient\":0}},"
                   "\"providers\":{\"bfl\":{\"pollIntervalMs\":10}}");
    const emu_fault_kind kinds[] = {EMU_FAULT_RESET, EMU_FAULT_TRUNCATE};
    for (int i = 0; i < 2; i++) {
        fault(kinds[i], "/v1/flux-pro-1.1", -1);
        cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
        const cJSON *attempts = bc_item(r, "attempts");
        cr_expect_eq(cJSON_GetArraySize(attempts), 1, "%s: the task was submitted again",
                     emu_fault_kind_name(kinds[i]));
        cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(attempts, 0),
                                                   "accepted")), "the task may exist");
        tc_expect_error(r, "provider_network_error", "", "may have been created", NULL);
        cJSON_Delete(r);
        cr_expect_eq(logged("/v1/flux-pro-1.1", NULL), i + 1, "submitted twice");
    }
}

Test(bfl, wrong_key)
{
    setenv("BFL_API_KEY", "bfl-wrong-key-99999999", 1);
    tc_close(inst);
    inst = tc_open(BC_NO_RETRY);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"),
                      "bfl-wrong-key-99999999", "provider_auth_failed", false, 403);
}

Test(bfl, cancel_mid_poll)
{
    bfl_emulator_set_pending_polls(emu, 1000000);
    int64_t id = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"a fox\"}");
    cr_assert(id > 0);
    cr_assert_eq(emu_wait_requests(bfl_emulator_server(emu), NULL, 3, 30000), 0);
    cr_expect_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_OK);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 20000), AGENTOS_EXT_JOB_CANCELED);
    char *text = ig_jobs_take_result(inst->jobs, id);
    cr_expect(strstr(text, "\"canceled\""), "%s", text);
    free(text);
}

Test(bfl, concurrent_calls_share_the_instance)
{
    int images = bc_generate_concurrently(inst, 6, "{\"prompt\":\"a fox\",\"n\":2}",
                                          "{\"prompt\":\"an owl\",\"aspectRatio\":\"1:1\"}");
    cr_expect_eq(images, 9);
    cr_expect_eq(bfl_emulator_tasks(emu, NULL), 9);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
}
