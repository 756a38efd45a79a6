/*
 * test_replicate_backend.c - the Replicate backend end to end through the
 * tool call against the loopback emulator: Prefer: wait answers and
 * polling, official and versioned models, every operation, consistency
 * modes, seed pass-through, outputs as URLs or data URLs downloaded without
 * the token, moderation (NSFW failures), error classification, a transient
 * poll failure that must not create the prediction again, cancellation
 * reaching urls.cancel, and every request the backend sent held against
 * the spec's request schemas and Prefer pattern.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/replicate_test_util.h"
#include "providers/replicate/replicate.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_images.h"
#include "support/test_util.h"
#include "tools/tool_call.h"

#define KEY RT_TOKEN
#define SCHNELL "/v1/models/black-forest-labs/flux-schnell/predictions"

static replicate_emulator *emu;
static ig_instance *inst;
static char *dir;

static void setup(void)
{
    tc_clear_provider_env();
    emu = rt_start();
    setenv("REPLICATE_API_TOKEN", KEY, 1);
    setenv("REPLICATE_BASE_URL", replicate_emulator_base_url(emu), 1);
    inst = tc_open(BC_NO_RETRY ",\"providers\":{\"replicate\":{\"pollIntervalMs\":10}}");
    dir = tu_make_temp_dir("ig-replicate");
}

static void teardown(void)
{
    tc_close(inst);
    replicate_emulator_stop(emu);
    tu_remove_tree(dir);
    free(dir);
}

TestSuite(replicate, .init = setup, .fini = teardown, .timeout = 120);

static cJSON *call(const char *tool, const char *args)
{
    return tc_call(inst, tool, args);
}

static cJSON *call_with_png(const char *tool, int w, int h, const char *args_fmt)
{
    return tc_call_with_png(inst, dir, tool, w, h, args_fmt);
}

/* Requests in the log whose path starts with prefix, and how many of them
 * presented the token ("matched"). */
static int logged(const char *prefix, int *with_key)
{
    cJSON *log = emu_request_log(replicate_emulator_server(emu));
    int n = 0, keyed = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, log)
    {
        if (strncmp(bc_str(entry, "path"), prefix, strlen(prefix)))
            continue;
        n++;
        keyed += strcmp(bc_str(entry, "auth"), "absent") != 0;
    }
    cJSON_Delete(log);
    if (with_key)
        *with_key = keyed;
    return n;
}

/*
 * Holds every create the backend sent against the spec (request schema,
 * Prefer pattern) and returns the input of the last create (a copy the
 * caller deletes), or NULL when there was none.
 */
static cJSON *last_input(const char **path_out)
{
    static char path[256];
    cJSON *log = replicate_emulator_exchanges(emu), *input = NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, log)
    {
        const char *path_e = bc_str(e, "path");
        bool versioned = !strcmp(path_e, "/v1/predictions");
        if (!versioned && !strstr(path_e, "/models/"))
            continue;
        const cJSON *request = bc_item(e, "request");
        rt_expect_schema(request, versioned ? "schemas_version_prediction_request"
                                            : "schemas_prediction_request", path_e);
        const char *prefer = cJSON_GetStringValue(bc_item(e, "prefer"));
        cr_expect(prefer && rt_prefer_valid(prefer), "Prefer %s", prefer ? prefer : "absent");
        if ((int)bc_item(e, "status")->valuedouble / 100 == 2)
            rt_expect_schema(bc_item(e, "response"), "schemas_prediction_response", path_e);
        cJSON_Delete(input);
        input = cJSON_Duplicate(bc_item(request, "input"), true);
        snprintf(path, sizeof path, "%s", path_e);
    }
    cJSON_Delete(log);
    if (path_out)
        *path_out = path;
    return input;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = bc_item(o, key);
    cr_assert(cJSON_IsNumber(v), "%s is not a number", key);
    return v->valuedouble;
}

Test(replicate, generate_answers_within_the_wait_and_files_go_without_the_token)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a red fox\",\"aspectRatio\":\"16:9\","
                                      "\"seed\":7}");
    const cJSON *images = bc_expect_ok(r, "replicate", 1);
    bc_expect_stored(inst, images, 0, 1344, 768, "image/png", "replicate");
    cr_expect_str_eq(bc_str(r, "model"), "black-forest-labs/flux-schnell");
    const char *path;
    cJSON *input = last_input(&path);
    cr_expect_str_eq(path, SCHNELL);
    cr_expect_eq(num(input, "seed"), 7);
    cr_expect_str_eq(bc_str(input, "aspect_ratio"), "16:9");
    cr_expect_str_eq(bc_str(input, "output_format"), "png");
    cr_expect_eq(num(input, "num_outputs"), 1);
    cJSON_Delete(input);
    int keyed = 0;
    cr_expect_eq(logged("/v1/predictions/", NULL), 0, "an answered wait needs no poll");
    cr_expect_eq(logged("/delivery/", &keyed), 1);
    cr_expect_eq(keyed, 0, "the token went to the delivery host");
    cJSON *log = replicate_emulator_exchanges(emu);
    cr_expect_str_eq(cJSON_GetStringValue(bc_item(cJSON_GetArrayItem(log, 0), "prefer")),
                     "wait=60", "300 s left: the longest wait");
    cr_expect_str_eq(cJSON_GetStringValue(bc_item(cJSON_GetArrayItem(log, 0),
                                                  "cancelAfter")),
                     "300s", "Replicate stops it when the call's time is up");
    cJSON_Delete(log);
    cJSON_Delete(r);
}

Test(replicate, the_wait_follows_the_time_left)
{
    tc_close(inst);
    inst = tc_open(BC_NO_RETRY ",\"providers\":{\"replicate\":{\"pollIntervalMs\":10,"
                   "\"timeoutMs\":20000}}");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, "replicate", 1);
    cJSON *log = replicate_emulator_exchanges(emu);
    const char *prefer = cJSON_GetStringValue(bc_item(cJSON_GetArrayItem(log, 0), "prefer"));
    int seconds = prefer ? atoi(prefer + 5) : 0;
    cr_expect(seconds >= 13 && seconds <= 15, "20 s left minus the download reserve: %s",
              prefer ? prefer : "none");
    const char *cancel_after = cJSON_GetStringValue(bc_item(cJSON_GetArrayItem(log, 0),
                                                            "cancelAfter"));
    seconds = cancel_after ? atoi(cancel_after) : 0;
    cr_expect(seconds >= 19 && seconds <= 20, "the time left: %s",
              cancel_after ? cancel_after : "none");
    cJSON_Delete(log);
    cJSON_Delete(r);
}

Test(replicate, n_is_split_into_predictions_of_up_to_four)
{
    cJSON *r = call("generate_image",
                    "{\"prompt\":\"a fox\",\"n\":6,\"outputFormat\":\"jpeg\"}");
    const cJSON *images = bc_expect_ok(r, "replicate", 6);
    bc_expect_stored(inst, images, 5, 1024, 1024, "image/jpeg", "replicate");
    cr_expect_eq(replicate_emulator_predictions(emu, "black-forest-labs/flux-schnell"), 2);
    cJSON *input = last_input(NULL);
    cr_expect_eq(num(input, "num_outputs"), 2);
    cr_expect_str_eq(bc_str(input, "output_format"), "jpg");
    cJSON_Delete(input);
    cJSON_Delete(r);
}

Test(replicate, a_long_prediction_is_polled_on_urls_get)
{
    replicate_emulator_set_wait_completes(emu, false);
    replicate_emulator_set_ticks(emu, 3);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"model\":"
                                      "\"black-forest-labs/flux-1.1-pro\"}");
    bc_expect_stored(inst, bc_expect_ok(r, "replicate", 1), 0, 1024, 1024, "image/png",
                     "replicate");
    int keyed = 0;
    cr_expect_eq(logged("/v1/predictions/", &keyed), 3, "three reads to finish");
    cr_expect_eq(keyed, 3);
    cr_expect_eq(logged("/delivery/", &keyed), 1);
    cr_expect_eq(keyed, 0);
    cJSON_Delete(r);
}

Test(replicate, outputs_as_data_urls_are_stored)
{
    replicate_emulator_set_data_urls(emu, true);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"n\":2,\"aspectRatio\":\"3:4\"}");
    bc_expect_stored(inst, bc_expect_ok(r, "replicate", 2), 1, 896, 1152, "image/png",
                     "replicate");
    cr_expect_eq(logged("/delivery/", NULL), 0);
    cJSON_Delete(r);
}

/* A generate call with a 256x256 reference in mode. */
static cJSON *with_reference(const char *mode, const char *extra)
{
    char fmt[512];
    snprintf(fmt, sizeof fmt, "{\"prompt\":\"the same knight in a forest\","
             "\"referenceImageUrl\":\"%%s\",\"consistencyMode\":\"%s\"%s}", mode, extra);
    return call_with_png("generate_image", 256, 256, fmt);
}

Test(replicate, consistency_modes_map_to_pulid_weights_and_redux)
{
    const char *modes[] = {"strict", "balanced"};
    const double weights[] = {1.3, 0.8};
    for (int i = 0; i < 2; i++) {
        cJSON *r = with_reference(modes[i], ",\"size\":\"512x768\",\"seed\":11");
        bc_expect_stored(inst, bc_expect_ok(r, "replicate", 1), 0, 512, 768, "image/png",
                         "replicate");
        cr_expect_str_eq(bc_str(r, "model"), "zsxkib/flux-pulid");
        const char *path;
        cJSON *input = last_input(&path);
        cr_expect_str_eq(path, "/v1/predictions", "a community model runs by version");
        cr_expect_eq(num(input, "id_weight"), weights[i], "%s", modes[i]);
        cr_expect_eq(num(input, "seed"), 11);
        cr_expect(!strncmp(bc_str(input, "main_face_image"), "data:image/png;base64,", 22));
        cJSON_Delete(input);
        cJSON_Delete(r);
    }
    cJSON *log = replicate_emulator_exchanges(emu);
    cr_expect_str_eq(bc_str(bc_item(cJSON_GetArrayItem(log, 0), "request"), "version"),
                     "8baa7ef2255075b46f4d91cd238c21d31181b3e6a864463f967960bb0112525b");
    cJSON_Delete(log);
    cJSON *r = with_reference("loose", "");
    bc_expect_ok(r, "replicate", 1);
    cr_expect_str_eq(bc_str(r, "model"), "black-forest-labs/flux-1.1-pro");
    cr_expect_eq(tc_warning_count(r, "referenceImageUrl"), 0);
    cJSON *input = last_input(NULL);
    cr_expect(bc_str(input, "image_prompt") != NULL, "loose goes through image_prompt");
    cJSON_Delete(input);
    cJSON_Delete(r);
    /* Redux-dev varies the reference and takes no prompt: said in a warning. */
    r = with_reference("loose", ",\"model\":\"black-forest-labs/flux-redux-dev\"");
    bc_expect_ok(r, "replicate", 1);
    cr_expect_eq(tc_warning_count(r, "prompt"), 1);
    input = last_input(NULL);
    cr_expect(bc_str(input, "redux_image") && !bc_item(input, "prompt"));
    cJSON_Delete(input);
    cJSON_Delete(r);
}

Test(replicate, edits_img2img_inpaint_outpaint)
{
    cJSON *r = call_with_png("edit_image", 640, 480, "{\"image\":\"%s\",\"prompt\":"
                             "\"make it night\",\"strength\":0.3,\"seed\":3}");
    bc_expect_stored(inst, bc_expect_ok(r, "replicate", 1), 0, 640, 480, "image/png",
                     "replicate");
    cr_expect_str_eq(bc_str(r, "model"), "black-forest-labs/flux-dev");
    cJSON *input = last_input(NULL);
    cr_expect_eq(num(input, "prompt_strength"), 0.3);
    cr_expect_eq(num(input, "seed"), 3);
    cr_expect(bc_str(input, "image") != NULL);
    cJSON_Delete(input);
    cJSON_Delete(r);

    char *image = ti_write_png(dir, "src.png", 512, 384);
    size_t size = 0;
    unsigned char *mask = ti_mask_png(512, 384, 10, 10, 100, 100, &size);
    char *mask_url = ti_data_url("image/png", mask, size);
    char args[16384];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"mask\":\"%s\",\"prompt\":\"a hat\"}",
             image, mask_url);
    r = call("edit_image", args);
    bc_expect_stored(inst, bc_expect_ok(r, "replicate", 1), 0, 512, 384, "image/png",
                     "replicate");
    cr_expect_str_eq(bc_str(r, "model"), "black-forest-labs/flux-fill-pro");
    input = last_input(NULL);
    cr_expect_str_eq(bc_str(input, "mask"), mask_url, "the mask is sent as given");
    cJSON_Delete(input);
    cJSON_Delete(r);
    free(image), free(mask), free(mask_url);

    r = call_with_png("edit_image", 512, 512,
                      "{\"image\":\"%s\",\"margins\":{\"left\":64,\"bottom\":128}}");
    bc_expect_stored(inst, bc_expect_ok(r, "replicate", 1), 0, 576, 640, "image/png",
                     "replicate");
    cr_expect_str_eq(bc_str(r, "model"), "black-forest-labs/flux-fill-pro");
    input = last_input(NULL);
    cr_expect(bc_str(input, "mask") != NULL, "outpaint sends the mask it made");
    cJSON_Delete(input);
    cJSON_Delete(r);
}

Test(replicate, upscale_runs_real_esrgan_by_version)
{
    cJSON *r = call_with_png("upscale_image", 100, 60, "{\"image\":\"%s\",\"scale\":2}");
    bc_expect_stored(inst, bc_expect_ok(r, "replicate", 1), 0, 200, 120, "image/png",
                     "replicate");
    cr_expect_str_eq(bc_str(r, "model"), "nightmareai/real-esrgan");
    const char *path;
    cJSON *input = last_input(&path);
    cr_expect_str_eq(path, "/v1/predictions");
    cr_expect_eq(num(input, "scale"), 2);
    cJSON_Delete(input);
    cJSON_Delete(r);
}

/* Queues one fault of kind on path. */
static void fault(emu_fault_kind kind, const char *path, int retry_after)
{
    emu_fault f = {.kind = kind, .path = path, .count = 1, .retry_after = retry_after};
    cr_assert_eq(emu_fault_push(replicate_emulator_server(emu), &f), 0);
}

Test(replicate, nsfw_failures_are_refused_output)
{
    fault(EMU_FAULT_MODERATION, SCHNELL, -1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "output_refused", false, 0);
    replicate_emulator_set_wait_completes(emu, false);
    fault(EMU_FAULT_MODERATION, "/v1/predictions", -1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "output_refused", false, 0);
}

Test(replicate, failures_quota_rate_limit_and_server_errors)
{
    replicate_emulator_fail_next(emu, 1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "provider_error", true, 0);
    fault(EMU_FAULT_429, SCHNELL, 5);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    cr_expect_eq(bc_item(bc_item(r, "error"), "retryAfterSeconds")->valuedouble, 5);
    bc_expect_failure(inst, r, KEY, "provider_rate_limited", true, 429);
    fault(EMU_FAULT_429, SCHNELL, -1); /* no Retry-After: the detail's "~30s" */
    r = call("generate_image", "{\"prompt\":\"a fox\"}");
    cr_expect_eq(bc_item(bc_item(r, "error"), "retryAfterSeconds")->valuedouble, 30);
    bc_expect_failure(inst, r, KEY, "provider_rate_limited", true, 429);
    fault(EMU_FAULT_500, SCHNELL, -1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "provider_error", true, 500);
    fault(EMU_FAULT_QUOTA, SCHNELL, -1);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "provider_quota_exhausted", false, 402);
    cr_expect_eq(replicate_emulator_predictions(emu, NULL), 1, "only the failed one ran");
}

Test(replicate, an_invalid_input_names_the_field)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"providerOptions\":"
                                      "{\"replicate\":{\"num_inference_steps\":9}}}");
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "input.num_inference_steps"), "%s", text);
    cJSON_free(text);
    bc_expect_failure(inst, r, KEY, "provider_invalid_request", false, 422);
}

Test(replicate, a_removed_output_file)
{
    fault(EMU_FAULT_EXPIRED, "/delivery", -1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_error", "", "could not be downloaded", NULL);
    const cJSON *attempt = cJSON_GetArrayItem(bc_item(r, "attempts"), 0);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(attempt, "accepted")),
              "a made image is a paid job: it must never be created again");
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
    cJSON_Delete(r);
}

Test(replicate, a_failed_poll_is_asked_again_never_created_again)
{
    replicate_emulator_set_wait_completes(emu, false);
    fault(EMU_FAULT_503, "/v1/predictions", -1);
    fault(EMU_FAULT_RESET, "/v1/predictions", -1);
    fault(EMU_FAULT_MALFORMED, "/v1/predictions", -1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, "replicate", 1);
    cr_expect_eq(replicate_emulator_predictions(emu, NULL), 1, "created twice");
    cJSON_Delete(r);
}

Test(replicate, a_create_whose_answer_broke_off_is_never_created_again)
{
    tc_close(inst);
    inst = tc_open("\"routing\":{\"maxRetries\":2,\"backoffBaseMs\":0},"
                   "\"providers\":{\"replicate\":{\"pollIntervalMs\":10}}");
    fault(EMU_FAULT_RESET, SCHNELL, -1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    const cJSON *attempts = bc_item(r, "attempts");
    cr_expect_eq(cJSON_GetArraySize(attempts), 1, "the prediction was created again");
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(attempts, 0), "accepted")),
              "the prediction may exist and be charged");
    tc_expect_error(r, "provider_network_error", "", "may have been created and charged",
                    NULL);
    cJSON_Delete(r);
    cr_expect_eq(logged(SCHNELL, NULL), 1, "created twice");
}

Test(replicate, polls_that_keep_failing_cancel_the_prediction)
{
    replicate_emulator_set_wait_completes(emu, false);
    emu_fault f = {.kind = EMU_FAULT_503, .path = "/v1/predictions", .count = 4,
                   .retry_after = -1};
    cr_assert_eq(emu_fault_push(replicate_emulator_server(emu), &f), 0);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(bc_item(r, "attempts"), 0),
                                               "accepted")));
    bc_expect_failure(inst, r, KEY, "provider_error", true, 503);
    cr_expect_eq(replicate_emulator_cancels(emu), 1, "the prediction was left running");
}

/* BFL's models on Replicate refuse with their own words (E005). */
Test(replicate, a_prediction_flagged_as_sensitive_is_a_refusal)
{
    replicate_emulator_fail_next_with(emu, 1, "The input or output was flagged as sensitive. "
                                              "Please try again with different inputs. (E005)");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "output_refused", "", "flagged as sensitive", NULL);
    bc_expect_failure(inst, r, KEY, "output_refused", false, 0);
    replicate_emulator_fail_next_with(emu, 1, "Prompt flagged as sensitive (E005)");
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), KEY,
                      "prompt_refused", false, 0);
}

Test(replicate, wrong_token)
{
    setenv("REPLICATE_API_TOKEN", "r8_wrong_token_99999999", 1);
    tc_close(inst);
    inst = tc_open(BC_NO_RETRY);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"),
                      "r8_wrong_token_99999999", "provider_auth_failed", false, 401);
}

Test(replicate, cancel_reaches_urls_cancel)
{
    replicate_emulator_set_wait_completes(emu, false);
    replicate_emulator_set_ticks(emu, 1000000);
    int64_t id = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"a fox\"}");
    cr_assert(id > 0);
    cr_assert_eq(emu_wait_requests(replicate_emulator_server(emu), NULL, 3, 30000), 0);
    cr_expect_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_OK);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 20000), AGENTOS_EXT_JOB_CANCELED);
    char *text = ig_jobs_take_result(inst->jobs, id);
    cr_expect(strstr(text, "\"canceled\""), "%s", text);
    free(text);
    cr_expect_eq(replicate_emulator_cancels(emu), 1, "the cancel never reached Replicate");
    int keyed = 0;
    cr_expect_eq(logged("/v1/predictions/", &keyed) > 0, 1);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
}

Test(replicate, concurrent_calls_share_the_instance)
{
    int images = bc_generate_concurrently(inst, 6, "{\"prompt\":\"a fox\",\"n\":2}",
                                          "{\"prompt\":\"an owl\",\"aspectRatio\":\"1:1\"}");
    cr_expect_eq(images, 9);
    cr_expect_eq(replicate_emulator_predictions(emu, NULL), 6);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
}

Test(replicate, the_token_never_goes_to_a_urls_get_on_another_host)
{
    replicate_emulator_set_wait_completes(emu, false);
    replicate_emulator_set_url_host(emu, "localhost"); /* not the base URL's 127.0.0.1 */
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_bad_response", "", "token was not sent", NULL);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(bc_item(r, "attempts"), 0),
                                               "accepted")), "the prediction exists");
    cr_expect_eq(logged("/v1/predictions/", NULL), 0, "a poll went to the untrusted host");
    cJSON_Delete(r);
    /* Output files on another host are fetched, without the token. */
    replicate_emulator_set_wait_completes(emu, true);
    r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, "replicate", 1);
    int keyed = 0;
    cr_expect_eq(logged("/delivery/", &keyed), 1);
    cr_expect_eq(keyed, 0);
    cJSON_Delete(r);
}

/* The classification of final statuses and HTTP answers, on their own. */
Test(replicate, outcomes_and_answers_are_classified)
{
    static const struct {
        const char *status, *error;
        ig_error_code code;
    } cases[] = {
        {"failed", "NSFW content detected. Try running it again, or try a different prompt.",
         IG_ERR_PROVIDER_OUTPUT_REFUSED},
        {"failed", "Your prompt was flagged as sensitive (E005)",
         IG_ERR_PROVIDER_PROMPT_REFUSED},
        {"failed", "The input or output was flagged as sensitive. Please try again with "
                   "different inputs. (E005)", IG_ERR_PROVIDER_OUTPUT_REFUSED},
        {"failed", "Error (E005)", IG_ERR_PROVIDER_OUTPUT_REFUSED},
        {"failed", "Input image flagged as sensitive", IG_ERR_PROVIDER_PROMPT_REFUSED},
        {"failed", "CUDA out of memory", IG_ERR_PROVIDER_ERROR},
        {"aborted", NULL, IG_ERR_PROVIDER_ERROR},
        {"canceled", NULL, IG_ERR_CANCELED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ig_error err;
        ig_error_clear(&err);
        ig_replicate_prediction_error("p1", cases[i].status, cases[i].error, &err);
        cr_expect_eq(err.code, cases[i].code, "%s %s", cases[i].status,
                     cases[i].error ? cases[i].error : "");
    }
    ig_error err;
    ig_error_clear(&err);
    ig_replicate_error(429, 0, "{\"detail\":\"Request was throttled. Your rate limit resets "
                       "in ~12s.\",\"status\":429}", &err);
    cr_expect_eq(err.code, IG_ERR_PROVIDER_RATE_LIMITED);
    cr_expect_eq(err.retry_after_s, 12);
    ig_error_clear(&err);
    ig_replicate_error(402, 0, "{\"title\":\"Insufficient credit\",\"detail\":\"x\","
                       "\"status\":402}", &err);
    cr_expect_eq(err.code, IG_ERR_PROVIDER_QUOTA);
    ig_error_clear(&err);
    ig_replicate_error(401, 0, "{\"detail\":\"bad token r8_abc\"}", &err);
    cr_expect_eq(err.code, IG_ERR_PROVIDER_AUTH);
    cr_expect(!strstr(err.message, "r8_abc"), "the provider's words on the token stay out");
}

Test(replicate, running_out_of_time_cancels_the_prediction)
{
    tc_close(inst);
    inst = tc_open(BC_NO_RETRY ",\"providers\":{\"replicate\":{\"pollIntervalMs\":10,"
                   "\"timeoutMs\":1500}}");
    replicate_emulator_set_wait_completes(emu, false);
    replicate_emulator_set_ticks(emu, 1000000);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(bc_item(r, "attempts"), 0),
                                               "accepted")), "the prediction exists");
    bc_expect_failure(inst, r, KEY, "provider_timeout", false, 0); /* accepted: no retry */
    cr_expect_eq(replicate_emulator_cancels(emu), 1, "the prediction was left running");
    cr_expect_eq(replicate_emulator_predictions(emu, NULL), 1);
}

Test(replicate, a_strict_reference_on_redux_says_it_keeps_only_the_look)
{
    cJSON *r = with_reference("strict", ",\"model\":\"black-forest-labs/flux-1.1-pro\"");
    bc_expect_ok(r, "replicate", 1);
    cr_expect_eq(tc_warning_count(r, "consistencyMode"), 1);
    cJSON_Delete(r);
}
