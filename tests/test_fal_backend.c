/*
 * test_fal_backend.c - the fal backend end to end against the loopback
 * queue emulator: submit, poll the returned status_url, GET the returned
 * response_url, download result files from the CDN path without the key;
 * every operation and what is sent for it, consistency modes, seeds,
 * has_nsfw_concepts, content policy, failed jobs, auth/quota/rate-limit
 * classification, a transient poll failure that must not resubmit, and
 * cancellation reaching the cancel_url.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "emulators/emu_images.h"
#include "emulators/fal_emulator.h"
#include "providers/fal/fal.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_images.h"
#include "support/test_util.h"
#include "tools/tool_call.h"

#define KEY "fal-test-key-0123456789abcdef"

static fal_emulator *emu;
static ig_instance *inst;
static char *dir;

static void setup(void)
{
    tc_clear_provider_env();
    emu = fal_emulator_start(0, KEY);
    cr_assert(emu, "emulator did not start");
    setenv("FAL_API_KEY", KEY, 1);
    setenv("FAL_BASE_URL", fal_emulator_base_url(emu), 1);
    inst = tc_open(BC_NO_RETRY ",\"providers\":{\"fal\":{\"pollIntervalMs\":10}}");
    dir = tu_make_temp_dir("ig-fal");
}

static void teardown(void)
{
    tc_close(inst);
    fal_emulator_stop(emu);
    tu_remove_tree(dir);
    free(dir);
}

TestSuite(fal, .init = setup, .fini = teardown, .timeout = 120);

static cJSON *call(const char *tool, const char *args)
{
    return tc_call(inst, tool, args);
}

static cJSON *call_with_png(const char *tool, int w, int h, const char *args_fmt)
{
    return tc_call_with_png(inst, dir, tool, w, h, args_fmt);
}

/* Logged requests whose path starts with prefix and ends with suffix (""
 * = any) and method (NULL = any); *with_key counts those presenting it. */
static int logged(const char *prefix, const char *suffix, const char *method, int *with_key)
{
    cJSON *log = emu_request_log(fal_emulator_server(emu));
    int n = 0, keyed = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, log)
    {
        const char *path = bc_str(entry, "path");
        size_t len = strlen(path), slen = strlen(suffix);
        if (strncmp(path, prefix, strlen(prefix)) || len < slen ||
            strcmp(path + len - slen, suffix) ||
            (method && strcmp(bc_str(entry, "method"), method)))
            continue;
        n++;
        keyed += strcmp(bc_str(entry, "auth"), "absent") != 0;
    }
    cJSON_Delete(log);
    if (with_key)
        *with_key = keyed;
    return n;
}

/* The decoded bytes of a data URI field of the last input (malloc'd). */
static unsigned char *input_bytes(const cJSON *input, const char *field, size_t *size)
{
    const char *uri = bc_str(input, field);
    cr_assert(uri && !strncmp(uri, "data:image/", 11), "%s is not a data URI", field);
    unsigned char *bytes = emu_base64_decode(strstr(uri, ";base64,") + 8, size);
    cr_assert(bytes, "%s is not base64", field);
    return bytes;
}

/* The size of a data URI field of the last input. */
static void input_image_size(const cJSON *input, const char *field, int *w, int *h)
{
    size_t size = 0;
    unsigned char *bytes = input_bytes(input, field, &size);
    emu_probe probe;
    cr_assert(emu_image_probe(bytes, size, &probe), "%s does not decode", field);
    free(bytes);
    *w = probe.width, *h = probe.height;
}

/* The first band of pixel (x, y) of a data URI image field. */
static double input_pixel(const cJSON *input, const char *field, int x, int y)
{
    size_t size = 0;
    unsigned char *bytes = input_bytes(input, field, &size);
    VipsImage *img = vips_image_new_from_buffer(bytes, size, "", NULL);
    cr_assert(img, "%s does not decode", field);
    double *values = NULL;
    int n = 0;
    cr_assert_eq(vips_getpoint(img, &values, &n, x, y, NULL), 0);
    double v = values[0];
    g_free(values);
    g_object_unref(img);
    free(bytes);
    return v;
}

Test(fal, generate_polls_the_returned_urls_and_downloads_without_the_key)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a red fox\",\"size\":\"1000x700\","
                                      "\"seed\":7}");
    const cJSON *images = bc_expect_ok(r, "fal", 1);
    bc_expect_stored(inst, images, 0, 1008, 704, "image/png", "fal");
    cr_expect_str_eq(bc_str(r, "model"), "fal-ai/flux/dev");
    cr_expect_eq(bc_item(cJSON_GetArrayItem(images, 0), "seed")->valuedouble, 7);
    char sidecar[4200];
    snprintf(sidecar, sizeof sidecar, "%s/%s.json", inst->config.image_dir,
             bc_str(cJSON_GetArrayItem(images, 0), "id"));
    char *meta_text = tu_read_file(sidecar, NULL);
    cJSON *meta = cJSON_Parse(meta_text);
    cr_expect_eq(bc_item(meta, "seed")->valuedouble, 7, "the sidecar keeps fal's seed");
    cJSON_Delete(meta);
    free(meta_text);
    cJSON *input = fal_emulator_last_input(emu);
    cr_expect_eq(bc_item(bc_item(input, "image_size"), "width")->valuedouble, 1008);
    cr_expect_eq(bc_item(input, "seed")->valuedouble, 7);
    cr_expect_eq(bc_item(input, "num_images")->valuedouble, 1);
    cr_expect_str_eq(bc_str(input, "output_format"), "png");
    cJSON_Delete(input);
    int keyed = 0;
    cr_expect_eq(logged("/fal-ai/flux/requests/", "/status", "GET", &keyed), 3,
                 "1 queued + 1 running + completed");
    cr_expect_eq(keyed, 3);
    cr_expect_eq(logged("/fal-ai/flux/requests/", "", "GET", &keyed), 4, "and the result");
    cr_expect_eq(logged("/cdn/", "", NULL, &keyed), 1);
    cr_expect_eq(keyed, 0, "the key went to the CDN");
    cJSON_Delete(r);
}

Test(fal, a_size_matching_a_preset_is_sent_as_the_preset)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"size\":\"1024x576\","
                                      "\"outputFormat\":\"jpeg\"}");
    bc_expect_stored(inst, bc_expect_ok(r, "fal", 1), 0, 1024, 576, "image/jpeg", "fal");
    cJSON *input = fal_emulator_last_input(emu);
    cr_expect_str_eq(bc_str(input, "image_size"), "landscape_16_9");
    cJSON_Delete(input);
    cJSON_Delete(r);
}

Test(fal, n_images_ride_in_as_few_requests_as_the_model_allows)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"n\":6}");
    const cJSON *images = bc_expect_ok(r, "fal", 6);
    bc_expect_stored(inst, images, 5, 1024, 768, "image/png", "fal");
    cr_expect_eq(fal_emulator_requests(emu, "fal-ai/flux/dev"), 2, "4 + 2 images");
    double seed = bc_item(cJSON_GetArrayItem(images, 0), "seed")->valuedouble;
    cr_expect(seed >= 0, "fal's drawn seed is reported");
    cJSON_Delete(r);
}

/* Generates with a reference in mode and returns the id_weight sent. */
static double reference_weight(const char *mode)
{
    char fmt[300];
    snprintf(fmt, sizeof fmt, "{\"prompt\":\"the same knight in a forest\","
             "\"referenceImageUrl\":\"%%s\",\"consistencyMode\":\"%s\"}", mode);
    cJSON *r = call_with_png("generate_image", 512, 512, fmt);
    bc_expect_stored(inst, bc_expect_ok(r, "fal", 1), 0, 1024, 768, "image/jpeg", "fal");
    cr_expect_str_eq(bc_str(r, "model"), "fal-ai/flux-pulid");
    cr_expect_eq(tc_warning_count(r, "referenceImageUrl"), 0);
    cJSON_Delete(r);
    cJSON *input = fal_emulator_last_input(emu);
    int w, h;
    input_image_size(input, "reference_image_url", &w, &h);
    cr_expect_eq(w, 512);
    double weight = bc_item(input, "id_weight")->valuedouble;
    cJSON_Delete(input);
    return weight;
}

Test(fal, references_go_to_pulid_with_an_id_weight_per_mode)
{
    cr_expect_eq(reference_weight("strict"), 1.0);
    cr_expect_eq(reference_weight("balanced"), 0.8);
    cr_expect_eq(reference_weight("loose"), 0.5);
}

Test(fal, img2img_and_inpaint_send_image_mask_and_strength)
{
    cJSON *r = call_with_png("edit_image", 640, 480,
                             "{\"image\":\"%s\",\"prompt\":\"make it night\","
                             "\"strength\":0.3,\"seed\":11}");
    bc_expect_stored(inst, bc_expect_ok(r, "fal", 1), 0, 640, 480, "image/png", "fal");
    cr_expect_str_eq(bc_str(r, "model"), "fal-ai/flux/dev/image-to-image");
    cJSON_Delete(r);
    cJSON *input = fal_emulator_last_input(emu);
    cr_expect_eq(bc_item(input, "strength")->valuedouble, 0.3);
    cr_expect_eq(bc_item(input, "seed")->valuedouble, 11);
    cJSON_Delete(input);

    char *image = ti_write_png(dir, "src.png", 512, 384);
    size_t size = 0;
    unsigned char *mask = ti_mask_png(512, 384, 10, 10, 100, 100, &size);
    char *mask_url = ti_data_url("image/png", mask, size);
    char args[16384];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"mask\":\"%s\",\"prompt\":\"a hat\"}",
             image, mask_url);
    r = call("edit_image", args);
    bc_expect_stored(inst, bc_expect_ok(r, "fal", 1), 0, 512, 384, "image/png", "fal");
    cr_expect_str_eq(bc_str(r, "model"), "fal-ai/flux-lora/inpainting");
    cJSON_Delete(r);
    input = fal_emulator_last_input(emu);
    int w, h;
    input_image_size(input, "mask_url", &w, &h);
    cr_expect(w == 512 && h == 384);
    cJSON_Delete(input);
    free(image), free(mask), free(mask_url);
}

Test(fal, outpaint_pads_the_canvas_and_masks_the_new_area_locally)
{
    cJSON *r = call_with_png("edit_image", 512, 512,
                             "{\"image\":\"%s\",\"margins\":{\"left\":64,\"bottom\":128}}");
    bc_expect_stored(inst, bc_expect_ok(r, "fal", 1), 0, 576, 640, "image/png", "fal");
    cr_expect_str_eq(bc_str(r, "model"), "fal-ai/flux-lora/inpainting");
    cr_expect_eq(tc_warning_count(r, "prompt"), 1, "the default prompt is said");
    cJSON_Delete(r);
    cJSON *input = fal_emulator_last_input(emu);
    int w, h;
    input_image_size(input, "image_url", &w, &h);
    cr_expect(w == 576 && h == 640, "canvas %dx%d", w, h);
    input_image_size(input, "mask_url", &w, &h);
    cr_expect(w == 576 && h == 640, "mask %dx%d", w, h);
    /* White where new (the left and bottom margins), black over the source. */
    cr_expect_eq(input_pixel(input, "mask_url", 10, 10), 255);
    cr_expect_eq(input_pixel(input, "mask_url", 300, 600), 255);
    cr_expect_eq(input_pixel(input, "mask_url", 300, 100), 0);
    cr_expect_eq(bc_item(input, "strength")->valuedouble, 1.0);
    cJSON_Delete(input);
}

Test(fal, upscale_reads_the_single_image_shape)
{
    cJSON *r = call_with_png("upscale_image", 96, 64, "{\"image\":\"%s\",\"scale\":4}");
    bc_expect_stored(inst, bc_expect_ok(r, "fal", 1), 0, 384, 256, "image/png", "fal");
    cr_expect_str_eq(bc_str(r, "model"), "fal-ai/esrgan");
    cr_expect_eq(tc_warning_count(r, "scale"), 0);
    cJSON *input = fal_emulator_last_input(emu);
    cr_expect_eq(bc_item(input, "scale")->valuedouble, 4);
    cJSON_Delete(input);
    cJSON_Delete(r);
}

Test(fal, an_exact_upscale_width_shrinks_the_2x_result_and_keeps_it)
{
    cJSON *r = call_with_png("upscale_image", 96, 64, "{\"image\":\"%s\",\"width\":144}");
    const cJSON *images = bc_expect_ok(r, "fal", 1);
    bc_expect_stored(inst, images, 0, 144, 96, "image/png", "fal");
    cr_expect_eq(tc_warning_count(r, "scale"), 1, "the shrink and the kept original are said");
    cJSON *input = fal_emulator_last_input(emu);
    cr_expect_eq(bc_item(input, "scale")->valuedouble, 2, "esrgan scales by whole factors");
    cJSON_Delete(input);
    /* Both files exist: the exact size and fal's 2x original. */
    cr_expect_eq(tu_count_entries(inst->config.image_dir, "img_"), 4, "2 images + 2 sidecars");
    cJSON_Delete(r);
}

/* Queues one fault of kind on path. */
static void fault(emu_fault_kind kind, const char *path, int retry_after)
{
    emu_fault f = {.kind = kind, .path = path, .count = 1, .retry_after = retry_after};
    cr_assert_eq(emu_fault_push(fal_emulator_server(emu), &f), 0);
}

Test(fal, content_policy_and_flagged_images)
{
    fault(EMU_FAULT_MODERATION, "/fal-ai/flux/dev", -1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "prompt_refused", false, 422);
    fal_emulator_flag_next(emu, 100);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\",\"n\":2}"), KEY,
                      "output_refused", false, 0);
    cr_expect_eq(logged("/cdn/", "", NULL, NULL), 0, "a flagged image was downloaded");
    /* A moderation fault on the queue path flags that request's images. */
    fault(EMU_FAULT_MODERATION, "/fal-ai/flux/requests", -1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "output_refused", false, 0);
}

Test(fal, one_flagged_image_of_a_batch_is_left_out_with_a_warning)
{
    fal_emulator_flag_next(emu, 1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"n\":3}");
    bc_expect_ok(r, "fal", 2);
    cr_expect_eq(tc_warning_count(r, "images"), 1);
    cJSON_Delete(r);
}

Test(fal, failed_job_rate_limit_quota_and_server_errors)
{
    /* fal marks the failed job's 500 X-Fal-Retryable: false: unavailable. */
    fal_emulator_fail_next(emu, 1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_unavailable", "", "completed but its result is an error",
                    NULL);
    tc_expect_error(r, "provider_unavailable", "", "not retryable", NULL);
    cr_expect(!cJSON_IsTrue(bc_item(cJSON_GetArrayItem(bc_item(r, "attempts"), 0),
                                    "accepted")), "a failed job costs nothing");
    bc_expect_failure(inst, r, KEY, "provider_unavailable", false, 500);
    cr_expect_eq(fal_emulator_requests(emu, NULL), 1, "a failed job was resubmitted");
    fault(EMU_FAULT_429, "/fal-ai/flux/dev", 5);
    r = call("generate_image", "{\"prompt\":\"a fox\"}");
    cr_expect_eq(bc_item(bc_item(r, "error"), "retryAfterSeconds")->valuedouble, 5);
    bc_expect_failure(inst, r, KEY, "provider_rate_limited", true, 429);
    fault(EMU_FAULT_503, "/fal-ai/flux/dev", -1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "provider_error", true, 503);
    fault(EMU_FAULT_QUOTA, "/fal-ai/flux/dev", -1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "provider_quota_exhausted", false, 403);
}

/* Reopens the instance with retries allowed, so a test proves that the
 * fallback layer does not run an accepted job again. */
static void allow_retries(void)
{
    tc_close(inst);
    inst = tc_open("\"routing\":{\"maxRetries\":2,\"backoffBaseMs\":0},"
                   "\"providers\":{\"fal\":{\"pollIntervalMs\":10}}");
}

/* The call ran one attempt, which fal accepted (it may be charged). */
static void expect_one_accepted_attempt(cJSON *r, const char *message)
{
    cr_expect(!cJSON_IsTrue(bc_item(r, "ok")));
    const cJSON *attempts = bc_item(r, "attempts");
    cr_expect_eq(cJSON_GetArraySize(attempts), 1, "the job was run again");
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(attempts, 0), "accepted")),
              "a charged job must not be submitted again");
    char *text = cJSON_PrintUnformatted(bc_item(r, "error"));
    cr_expect(strstr(text, message), "%s", text);
    cJSON_free(text);
    cJSON_Delete(r);
}

Test(fal, a_completed_result_that_cannot_be_read_is_never_submitted_again)
{
    allow_retries();
    fal_emulator_garble_next(emu, FAL_GARBLE_MALFORMED);
    expect_one_accepted_attempt(call("generate_image", "{\"prompt\":\"a fox\"}"),
                                "could not be read");
    cr_expect_eq(fal_emulator_requests(emu, NULL), 1);
    fal_emulator_garble_next(emu, FAL_GARBLE_NO_IMAGES);
    expect_one_accepted_attempt(call("generate_image", "{\"prompt\":\"a fox\"}"),
                                "has no images");
    cr_expect_eq(fal_emulator_requests(emu, NULL), 2);
    /* A refused key says nothing about the job, which completed. */
    fal_emulator_garble_next(emu, FAL_GARBLE_FORBIDDEN);
    expect_one_accepted_attempt(call("generate_image", "{\"prompt\":\"a fox\"}"),
                                "could not be read");
    cr_expect_eq(fal_emulator_requests(emu, NULL), 3);
}

Test(fal, a_submit_whose_answer_broke_off_is_never_submitted_again)
{
    allow_retries();
    fault(EMU_FAULT_RESET, "/fal-ai/flux/dev", -1);
    expect_one_accepted_attempt(call("generate_image", "{\"prompt\":\"a fox\"}"),
                                "may have been created and charged");
    cr_expect_eq(logged("/fal-ai/flux/dev", "", "POST", NULL), 1, "submitted twice");
}

Test(fal, polls_that_keep_failing_cancel_the_request)
{
    emu_fault f = {.kind = EMU_FAULT_503, .path = "/fal-ai/flux/requests", .count = 4,
                   .retry_after = -1};
    cr_assert_eq(emu_fault_push(fal_emulator_server(emu), &f), 0);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(bc_item(r, "attempts"), 0),
                                               "accepted")));
    bc_expect_failure(inst, r, KEY, "provider_error", true, 503);
    cr_expect_eq(logged("/fal-ai/flux/requests/", "/cancel", "PUT", NULL), 1);
    cr_expect_eq(fal_emulator_cancellations(emu), 1, "the request was left running");
}

Test(fal, pulid_without_a_reference_is_refused_before_anything_is_sent)
{
    cJSON *r = call("generate_image",
                    "{\"prompt\":\"a knight\",\"model\":\"fal-ai/flux-pulid\"}");
    tc_expect_error(r, "invalid_argument", "referenceImageUrl", "needs a reference", NULL);
    cJSON_Delete(r);
    cr_expect_eq(fal_emulator_requests(emu, NULL), 0);
}

Test(fal, a_negative_prompt_goes_only_where_it_is_taken)
{
    cJSON *r = call_with_png("generate_image", 256, 256,
                             "{\"prompt\":\"a knight\",\"negativePrompt\":\"blur\","
                             "\"referenceImageUrl\":\"%s\"}");
    bc_expect_ok(r, "fal", 1);
    cr_expect_eq(tc_warning_count(r, "negativePrompt"), 0);
    cJSON_Delete(r);
    cJSON *input = fal_emulator_last_input(emu);
    cr_expect_str_eq(bc_str(input, "negative_prompt"), "blur");
    cJSON_Delete(input);
    r = call("generate_image", "{\"prompt\":\"a fox\",\"negativePrompt\":\"blur\"}");
    bc_expect_ok(r, "fal", 1);
    cr_expect_eq(tc_warning_count(r, "negativePrompt"), 1, "the drop is said");
    cJSON_Delete(r);
    input = fal_emulator_last_input(emu);
    cr_expect(!cJSON_HasObjectItem(input, "negative_prompt"));
    cJSON_Delete(input);
}

/* X-Fal-Retryable, on its own: false on a 5xx means "do not retry", which
 * the fallback layer reads from the code. */
Test(fal, a_server_error_fal_marks_not_retryable_is_unavailable)
{
    static const char body[] = "{\"detail\":\"model crashed\"}";
    ig_error err;
    ig_error_clear(&err);
    ig_fal_error(503, -1, "false", body, &err);
    cr_expect_eq(err.code, IG_ERR_PROVIDER_UNAVAILABLE);
    cr_expect(!err.retryable);
    cr_expect(strstr(err.message, "not retryable"), "%s", err.message);
    cr_expect_eq(err.http_status, 503);
    ig_error_clear(&err);
    ig_fal_error(503, -1, "true", body, &err);
    cr_expect_eq(err.code, IG_ERR_PROVIDER_ERROR);
    cr_expect(err.retryable);
    ig_error_clear(&err);
    ig_fal_error(503, -1, "", body, &err);
    cr_expect_eq(err.code, IG_ERR_PROVIDER_ERROR);
    ig_error_clear(&err);
    ig_fal_error(422, -1, "false", body, &err);
    cr_expect_eq(err.code, IG_ERR_PROVIDER_INVALID_REQUEST, "only a 5xx changes class");
}

Test(fal, validation_error_names_the_field)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"providerOptions\":"
                                      "{\"fal\":{\"num_inference_steps\":90}}}");
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "num_inference_steps"), "%s", text);
    cJSON_free(text);
    bc_expect_failure(inst, r, KEY, "provider_invalid_request", false, 422);
}

Test(fal, expired_result_file)
{
    fault(EMU_FAULT_EXPIRED, "/cdn", -1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_error", "", "could not be downloaded", NULL);
    cJSON_Delete(r);
}

Test(fal, failed_polls_are_asked_again_never_resubmitted)
{
    fault(EMU_FAULT_503, "/fal-ai/flux/requests", -1);
    fault(EMU_FAULT_RESET, "/fal-ai/flux/requests", -1);
    fault(EMU_FAULT_429, "/fal-ai/flux/requests", 0);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, "fal", 1);
    cr_expect_eq(fal_emulator_requests(emu, NULL), 1, "the request was submitted twice");
    cJSON_Delete(r);
}

Test(fal, queue_urls_on_a_host_that_is_not_fals_never_get_the_key)
{
    char other[128];
    snprintf(other, sizeof other, "http://localhost:%d",
             emu_server_port(fal_emulator_server(emu)));
    fal_emulator_set_url_base(emu, other);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_bad_response", "", "not fal's", NULL);
    bc_expect_failure(inst, r, KEY, "provider_bad_response", false, 0);
    cr_expect_eq(logged("/fal-ai/flux/requests/", "", NULL, NULL), 0);
    cr_expect_eq(fal_emulator_requests(emu, NULL), 1, "accepted, so never resubmitted");
}

Test(fal, wrong_key)
{
    setenv("FAL_API_KEY", "fal-wrong-key-99999999", 1);
    tc_close(inst);
    inst = tc_open(BC_NO_RETRY);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"),
                      "fal-wrong-key-99999999", "provider_auth_failed", false, 401);
}

Test(fal, cancel_mid_poll_reaches_the_cancel_url)
{
    fal_emulator_set_polls(emu, 1000000, 0);
    int64_t id = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"a fox\"}");
    cr_assert(id > 0);
    cr_assert_eq(emu_wait_requests(fal_emulator_server(emu), NULL, 3, 30000), 0);
    cr_expect_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_OK);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 20000), AGENTOS_EXT_JOB_CANCELED);
    char *text = ig_jobs_take_result(inst->jobs, id);
    cr_expect(strstr(text, "\"canceled\""), "%s", text);
    free(text);
    int keyed = 0;
    cr_expect_eq(logged("/fal-ai/flux/requests/", "/cancel", "PUT", &keyed), 1);
    cr_expect_eq(keyed, 1);
    cr_expect_eq(fal_emulator_cancellations(emu), 1);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
}

Test(fal, concurrent_calls_share_the_instance)
{
    int images = bc_generate_concurrently(inst, 6, "{\"prompt\":\"a fox\",\"n\":2}",
                                          "{\"prompt\":\"an owl\",\"aspectRatio\":\"1:1\"}");
    cr_expect_eq(images, 9);
    cr_expect_eq(fal_emulator_requests(emu, NULL), 6);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
}
