/*
 * test_sd_comfy_backend.c - the local Stable Diffusion backend's ComfyUI
 * client end to end through the tool call, against the loopback ComfyUI
 * emulator: detection through /system_stats, every operation's graph and
 * output size, uploads, seeds, references with and without IP-Adapter
 * nodes, progress and queue depth, cancellation reaching /queue delete or
 * /interrupt, error classification, polls asked again without queueing the
 * prompt twice, and nothing left in the store on failure.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jobs.h"
#include "emulators/comfy_emulator.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_http_server.h"
#include "support/test_images.h"
#include "support/test_util.h"
#include "tools/tool_call.h"

#define PROVIDER "stable-diffusion-local"
#define CONFIG BC_NO_RETRY ",\"providers\":{\"" PROVIDER "\":{\"pollIntervalMs\":10%s}}"
#define CKPT "v1-5-pruned-emaonly.safetensors"

static comfy_emulator *emu;
static ig_instance *inst;
static char *dir;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char seen[8192]; /* progress messages, one a line */

static void on_progress(void *user_data, const char *json)
{
    (void)user_data;
    cJSON *p = cJSON_Parse(json);
    const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "message"));
    pthread_mutex_lock(&seen_lock);
    if (m && strlen(seen) + strlen(m) + 2 < sizeof seen)
        strcat(strcat(seen, m), "\n");
    pthread_mutex_unlock(&seen_lock);
    cJSON_Delete(p);
}

/* Opens the instance with extra provider settings (",\"apiKey\":..."). */
static void open_inst(const char *extra)
{
    char *tmp = tu_make_temp_dir("ig-comfy-inst");
    char config[2048];
    char fragment[512];
    snprintf(fragment, sizeof fragment, CONFIG, extra);
    snprintf(config, sizeof config, "{\"imageGeneration\":{\"imageDir\":\"%s/images\",%s}}",
             tmp, fragment);
    free(tmp);
    ig_error err;
    ig_error_clear(&err);
    inst = ig_instance_open(config, NULL, on_progress, NULL, NULL, &err);
    cr_assert(inst, "%s", err.message);
}

static void setup(void)
{
    tc_clear_provider_env();
    emu = comfy_emulator_start(0, NULL);
    cr_assert(emu, "emulator did not start");
    setenv("STABLE_DIFFUSION_LOCAL_BASE_URL", comfy_emulator_base_url(emu), 1);
    open_inst("");
    dir = tu_make_temp_dir("ig-comfy");
    seen[0] = '\0';
}

static void teardown(void)
{
    tc_close(inst);
    comfy_emulator_stop(emu);
    tu_remove_tree(dir);
    free(dir);
}

TestSuite(comfy, .init = setup, .fini = teardown, .timeout = 120);

static cJSON *call(const char *tool, const char *args)
{
    return tc_call(inst, tool, args);
}

static cJSON *call_with_png(const char *tool, int w, int h, const char *args_fmt)
{
    return tc_call_with_png(inst, dir, tool, w, h, args_fmt);
}

/* The last graph's node of class_type (the first one), its inputs. */
static cJSON *graph;
static const cJSON *inputs_of(const char *class_type)
{
    cJSON_Delete(graph);
    graph = comfy_emulator_last_graph(emu);
    const cJSON *n;
    cJSON_ArrayForEach(n, graph)
    {
        if (!strcmp(bc_str(n, "class_type"), class_type))
            return bc_item(n, "inputs");
    }
    return NULL;
}

static double num(const cJSON *obj, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static const char *str(const cJSON *obj, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
    return s ? s : "";
}

/* Requests logged for exactly path. */
static size_t logged(const char *path)
{
    return emu_request_count(comfy_emulator_server(emu), path);
}

/* Whether some uploaded input's name ends with suffix ("-mask.png"). */
static bool uploaded(const char *suffix)
{
    cJSON *names = comfy_emulator_uploaded(emu);
    bool found = false;
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        size_t a = strlen(n->valuestring), b = strlen(suffix);
        found |= a > b && !strcmp(n->valuestring + a - b, suffix) &&
                 !strncmp(n->valuestring, "ig-", 3);
    }
    cJSON_Delete(names);
    return found;
}

Test(comfy, generate_two_with_seed_and_negative_prompt)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a lighthouse\",\"negativePrompt\":"
                    "\"blurry\",\"n\":2,\"seed\":7,\"size\":\"640x448\"}");
    const cJSON *images = bc_expect_ok(r, PROVIDER, 2);
    bc_expect_stored(inst, images, 0, 640, 448, "image/png", PROVIDER);
    bc_expect_stored(inst, images, 1, 640, 448, "image/png", PROVIDER);
    cr_expect_str_eq(bc_str(r, "model"), CKPT, "the real checkpoint is reported");
    const cJSON *applied = bc_item(r, "applied");
    cr_expect_str_eq(bc_str(applied, "server"), "comfyui");
    cr_expect_str_eq(bc_str(applied, "model"), CKPT);
    cr_expect_eq(num(applied, "seed"), 7);
    cr_expect_eq(num(applied, "queueDepth"), 1);
    const cJSON *ks = inputs_of("KSampler");
    cr_assert(ks);
    cr_expect_eq(num(ks, "seed"), 7);
    cr_expect_eq(num(ks, "denoise"), 1);
    cr_expect_str_eq(str(ks, "sampler_name"), "euler_ancestral");
    cr_expect_eq(num(inputs_of("EmptyLatentImage"), "batch_size"), 2);
    cr_expect_eq(num(inputs_of("EmptyLatentImage"), "width"), 640);
    cr_expect_str_eq(str(inputs_of("CheckpointLoaderSimple"), "ckpt_name"), CKPT);
    const cJSON *neg = cJSON_GetObjectItemCaseSensitive(graph, "3");
    cr_expect_str_eq(str(bc_item(neg, "inputs"), "text"), "blurry");
    cr_expect(!strncmp(str(inputs_of("SaveImage"), "filename_prefix"), "ig-", 3));
    cr_expect_eq(comfy_emulator_prompts(emu), 1, "one prompt for both images");
    cr_expect_eq(logged("/system_stats"), 1, "ComfyUI is detected through /system_stats");
    cr_expect_eq(logged("/sdapi/v1/progress"), 1);
    cJSON_Delete(r);
    /* The server is remembered: no second detection; the prefix is new. */
    char first_prefix[64];
    snprintf(first_prefix, sizeof first_prefix, "%s", str(inputs_of("SaveImage"),
                                                           "filename_prefix"));
    r = call("generate_image", "{\"prompt\":\"a lighthouse\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cr_expect_eq(logged("/system_stats"), 1);
    cr_expect_str_neq(str(inputs_of("SaveImage"), "filename_prefix"), first_prefix);
    /* No seed given: a random one is used and reported. */
    cr_expect_eq(num(bc_item(r, "applied"), "seed"), num(inputs_of("KSampler"), "seed"));
    cJSON_Delete(r);
    cJSON_Delete(graph);
    graph = NULL;
}

Test(comfy, img2img_uploads_the_image_and_sends_the_strength)
{
    cJSON *r = call_with_png("edit_image", 640, 480, "{\"image\":\"%s\",\"prompt\":\"at night\","
                             "\"strength\":0.3,\"provider\":\"" PROVIDER "\"}");
    bc_expect_stored(inst, bc_expect_ok(r, PROVIDER, 1), 0, 640, 480, "image/png", PROVIDER);
    cr_expect(fabs(num(inputs_of("KSampler"), "denoise") - 0.3) < 1e-9);
    cr_expect(inputs_of("VAEEncode"));
    const char *name = str(inputs_of("LoadImage"), "image");
    cr_expect(!strncmp(name, "ig-", 3) && strstr(name, "-image.png"), "%s", name);
    cr_expect(uploaded("-image.png"));
    cr_expect_eq(logged("/upload/image"), 1);
    cr_expect_eq(tc_warning_count(r, "image"), 0);
    cJSON_Delete(r);
    cJSON_Delete(graph);
    graph = NULL;
}

Test(comfy, inpaint_sends_the_white_mask_through_load_image_mask)
{
    char *image = ti_write_png(dir, "src.png", 512, 384);
    size_t size = 0;
    unsigned char *mask = ti_mask_png(512, 384, 10, 10, 100, 100, &size);
    char *mask_url = ti_data_url("image/png", mask, size);
    char args[16384];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"mask\":\"%s\",\"prompt\":\"a hat\"}",
             image, mask_url);
    cJSON *r = call("edit_image", args);
    bc_expect_stored(inst, bc_expect_ok(r, PROVIDER, 1), 0, 512, 384, "image/png", PROVIDER);
    const cJSON *m = inputs_of("LoadImageMask");
    cr_assert(m);
    cr_expect_str_eq(str(m, "channel"), "red");
    cr_expect(strstr(str(m, "image"), "-mask.png"));
    cr_expect_eq(num(inputs_of("VAEEncodeForInpaint"), "grow_mask_by"), 8);
    cr_expect(uploaded("-mask.png") && uploaded("-image.png"));
    cJSON_Delete(r);
    free(image), free(mask), free(mask_url);
    cJSON_Delete(graph);
    graph = NULL;
}

Test(comfy, outpaint_pads_with_the_margins)
{
    cJSON *r = call_with_png("edit_image", 512, 512, "{\"image\":\"%s\",\"margins\":"
                             "{\"left\":64,\"bottom\":128}}");
    bc_expect_stored(inst, bc_expect_ok(r, PROVIDER, 1), 0, 576, 640, "image/png", PROVIDER);
    const cJSON *pad = inputs_of("ImagePadForOutpaint");
    cr_assert(pad);
    cr_expect(num(pad, "left") == 64 && num(pad, "bottom") == 128 && num(pad, "top") == 0);
    cr_expect_eq(num(pad, "feathering"), 40);
    cr_expect(inputs_of("VAEEncodeForInpaint"));
    cJSON_Delete(r);
    /* n = 2 repeats the encoded latent. */
    r = call_with_png("edit_image", 512, 512, "{\"image\":\"%s\",\"prompt\":\"x\",\"n\":2,"
                      "\"provider\":\"" PROVIDER "\"}");
    bc_expect_ok(r, PROVIDER, 2);
    cr_expect_eq(num(inputs_of("RepeatLatentBatch"), "amount"), 2);
    cJSON_Delete(r);
    cJSON_Delete(graph);
    graph = NULL;
}

Test(comfy, upscale_2x_and_4x_with_an_upscale_model)
{
    cJSON *r = call_with_png("upscale_image", 200, 150, "{\"image\":\"%s\",\"scale\":2,"
                             "\"provider\":\"" PROVIDER "\"}");
    bc_expect_stored(inst, bc_expect_ok(r, PROVIDER, 1), 0, 400, 300, "image/png", PROVIDER);
    cr_expect_str_eq(bc_str(r, "model"), "RealESRGAN_x2plus.pth");
    cr_expect_str_eq(str(inputs_of("UpscaleModelLoader"), "model_name"),
                     "RealESRGAN_x2plus.pth");
    cr_expect_eq(num(inputs_of("ImageScale"), "width"), 400);
    cJSON_Delete(r);
    r = call_with_png("upscale_image", 200, 150, "{\"image\":\"%s\",\"scale\":4,"
                      "\"provider\":\"" PROVIDER "\"}");
    bc_expect_stored(inst, bc_expect_ok(r, PROVIDER, 1), 0, 800, 600, "image/png", PROVIDER);
    cr_expect_str_eq(bc_str(r, "model"), "4x-UltraSharp.pth");
    cJSON_Delete(r);
    /* A 2x model brought to 4x by ImageScale. */
    r = call_with_png("upscale_image", 100, 60, "{\"image\":\"%s\",\"scale\":4,\"model\":"
                      "\"RealESRGAN_x2plus.pth\",\"provider\":\"" PROVIDER "\"}");
    bc_expect_stored(inst, bc_expect_ok(r, PROVIDER, 1), 0, 400, 240, "image/png", PROVIDER);
    cJSON_Delete(r);
    cJSON_Delete(graph);
    graph = NULL;
}

Test(comfy, upscale_without_an_upscale_model_fails_clearly)
{
    comfy_emulator_set_upscalers(emu, false);
    cJSON *r = call_with_png("upscale_image", 200, 150, "{\"image\":\"%s\",\"scale\":2,"
                             "\"provider\":\"" PROVIDER "\"}");
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "no upscale model installed"), "%s", text);
    cr_expect(strstr(text, "upscale_models"), "%s", text);
    cJSON_free(text);
    bc_expect_failure(inst, r, "nokey", "provider_unavailable", false, 0);
    cr_expect_eq(comfy_emulator_prompts(emu), 0);
}

Test(comfy, reference_without_ip_adapter_is_reported)
{
    cJSON *r = call_with_png("generate_image", 256, 256,
                             "{\"prompt\":\"the same knight\",\"referenceImageUrl\":\"%s\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cr_expect_eq(tc_warning_count(r, "referenceImageUrl"), 1);
    cr_expect_null(inputs_of("IPAdapterAdvanced"));
    cr_expect_eq(comfy_emulator_uploads(emu), 0, "the reference was uploaded for nothing");
    cJSON_Delete(r);
    cJSON_Delete(graph);
    graph = NULL;
}

Test(comfy, reference_with_ip_adapter_weights_per_mode)
{
    comfy_emulator_set_ipadapter(emu, true);
    static const char *const modes[] = {"strict", "balanced", "loose"};
    static const double weights[] = {1.0, 0.7, 0.4};
    for (int i = 0; i < 3; i++) {
        char fmt[256];
        snprintf(fmt, sizeof fmt, "{\"prompt\":\"the same knight\",\"referenceImageUrl\":"
                 "\"%%s\",\"consistencyMode\":\"%s\"}", modes[i]);
        cJSON *r = call_with_png("generate_image", 256, 256, fmt);
        bc_expect_ok(r, PROVIDER, 1);
        cr_expect_eq(tc_warning_count(r, "referenceImageUrl"), 0);
        const cJSON *ipa = inputs_of("IPAdapterAdvanced");
        cr_assert(ipa);
        cr_expect(fabs(num(ipa, "weight") - weights[i]) < 1e-9, "%s", modes[i]);
        cr_expect_str_eq(str(inputs_of("IPAdapterUnifiedLoader"), "preset"),
                         "PLUS (high strength)");
        cr_expect(uploaded("-reference.png"));
        cJSON_Delete(r);
    }
    cJSON_Delete(graph);
    graph = NULL;
}

Test(comfy, progress_reports_the_queue)
{
    comfy_emulator_queue_foreign(emu, 4); /* each history or queue read is a step */
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cr_expect_eq(num(bc_item(r, "applied"), "queueDepth"), 2);
    cr_expect(strstr(seen, "ComfyUI: queued, 1 prompt(s) ahead (queue 2)"), "%s", seen);
    cr_expect(strstr(seen, "ComfyUI: running (queue 1)"), "%s", seen);
    cr_expect(strstr(seen, "ComfyUI: step 2 of 3 (queue 1)"), "websocket steps: %s", seen);
    cr_expect_eq(logged("/ws"), 1, "one progress socket per call");
    cr_expect(strstr(seen, "ComfyUI: fetching images"), "%s", seen);
    cJSON_Delete(r);
}

/* Submits a generation as a job, waits until pollsrequests reached
 * /history, cancels it and checks the result says canceled. */
static void cancel_after_polls(size_t polls)
{
    int64_t id = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"a fox\"}");
    cr_assert(id > 0);
    while (comfy_emulator_prompts(emu) < 1)
        cr_assert_eq(ig_jobs_wait(inst->jobs, id, 10), AGENTOS_EXT_E_TIMEOUT,
                     "the job ended before its prompt was queued");
    size_t base = emu_request_count(comfy_emulator_server(emu), NULL);
    cr_assert_eq(emu_wait_requests(comfy_emulator_server(emu), NULL, base + polls, 30000), 0);
    cr_expect_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_OK);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 20000), AGENTOS_EXT_JOB_CANCELED);
    char *text = ig_jobs_take_result(inst->jobs, id);
    cr_expect(strstr(text, "\"canceled\""), "%s", text);
    free(text);
}

Test(comfy, cancel_deletes_a_waiting_prompt)
{
    comfy_emulator_queue_foreign(emu, 1000000);
    cancel_after_polls(4);
    cr_expect_eq(comfy_emulator_deleted(emu), 1, "POST /queue delete was not sent");
    cr_expect_eq(comfy_emulator_interrupted(emu), 0, "the other client's prompt was stopped");
}

Test(comfy, cancel_interrupts_a_running_prompt)
{
    comfy_emulator_set_steps(emu, 1000000);
    cancel_after_polls(4);
    cr_expect_eq(comfy_emulator_interrupted(emu), 1, "POST /interrupt was not sent");
    cr_expect_eq(comfy_emulator_deleted(emu), 0);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
}

Test(comfy, a_prompt_that_outlives_timeout_ms_is_interrupted)
{
    tc_close(inst);
    open_inst(",\"timeoutMs\":1000");
    comfy_emulator_set_steps(emu, 1000000);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_timeout", "", "timeoutMs 1000", NULL);
    cr_expect(cJSON_IsTrue(bc_item(cJSON_GetArrayItem(bc_item(r, "attempts"), 0), "accepted")));
    cJSON_Delete(r);
    cr_expect_eq(comfy_emulator_interrupted(emu), 1);
    cr_expect_eq(comfy_emulator_prompts(emu), 1);
}

Test(comfy, execution_error_is_a_provider_error_with_the_message)
{
    comfy_emulator_fail_next(emu, 1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"size\":\"2048x2048\"}");
    tc_expect_error(r, "provider_error", "", "KSampler", "out of memory", NULL);
    bc_expect_failure(inst, r, "nokey", "provider_error", true, 0);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, "img_"), 0);
}

Test(comfy, refused_graph_is_an_invalid_request_naming_the_node)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"model\":\"nope.safetensors\","
                    "\"provider\":\"" PROVIDER "\"}");
    tc_expect_error(r, "provider_invalid_request", "", "CheckpointLoaderSimple", "ckpt_name",
                    "nope.safetensors", NULL);
    bc_expect_failure(inst, r, "nokey", "provider_invalid_request", false, 400);
    cr_expect_eq(comfy_emulator_prompts(emu), 0);
}

/* Queues one fault of kind on path. */
static void fault(emu_fault_kind kind, const char *path)
{
    emu_fault f = {.kind = kind, .path = path, .count = 1, .retry_after = -1};
    cr_assert_eq(emu_fault_push(comfy_emulator_server(emu), &f), 0);
}

Test(comfy, failed_polls_are_asked_again_never_queued_twice)
{
    fault(EMU_FAULT_503, "/history");
    fault(EMU_FAULT_RESET, "/history");
    fault(EMU_FAULT_MALFORMED, "/queue");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cr_expect_eq(comfy_emulator_prompts(emu), 1, "the prompt was queued twice");
    cJSON_Delete(r);
}

Test(comfy, a_failing_progress_socket_leaves_polling)
{
    fault(EMU_FAULT_500, "/ws"); /* refused handshake */
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cJSON_Delete(r);
    fault(EMU_FAULT_RESET, "/ws"); /* connection dropped */
    r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cJSON_Delete(r);
    cr_expect_null(strstr(seen, "ComfyUI: step"), "%s", seen);
    cr_expect_eq(comfy_emulator_prompts(emu), 2);
}

Test(comfy, server_errors_and_a_lost_image)
{
    fault(EMU_FAULT_500, "/prompt");
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), "nokey",
                      "provider_error", true, 500);
    fault(EMU_FAULT_EXPIRED, "/view");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_error", "", "GET /view", NULL);
    bc_expect_failure(inst, r, "nokey", "provider_error", false, 404);
    fault(EMU_FAULT_TRUNCATE, "/view");
    r = call("generate_image", "{\"prompt\":\"a fox\"}");
    cr_expect_eq(tu_count_entries(inst->config.image_dir, "img_"), 0);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
    cJSON_Delete(r);
}

Test(comfy, a_server_that_is_down_is_a_network_error_with_a_hint)
{
    comfy_emulator_stop(emu);
    emu = comfy_emulator_start(0, NULL); /* a fresh one for teardown */
    tc_close(inst);
    setenv("STABLE_DIFFUSION_LOCAL_BASE_URL", "http://127.0.0.1:1", 1);
    open_inst("");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"provider\":\"" PROVIDER "\"}");
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "ComfyUI (default http://127.0.0.1:8188)"), "%s", text);
    cJSON_free(text);
    bc_expect_failure(inst, r, "nokey", "provider_network_error", true, 0);
}

Test(comfy, basic_auth_behind_a_proxy)
{
    comfy_emulator_stop(emu);
    emu = comfy_emulator_start(0, "alice:s3cret-pass");
    setenv("STABLE_DIFFUSION_LOCAL_BASE_URL", comfy_emulator_base_url(emu), 1);
    tc_close(inst);
    open_inst(",\"apiKey\":\"alice:s3cret-pass\"");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, PROVIDER, 1);
    char *text = cJSON_PrintUnformatted(r);
    cr_expect_null(strstr(text, "s3cret"));
    cJSON_free(text);
    cJSON_Delete(r);
}

/* --- a prompt is never queued twice; outputs and polls --- */

/* Reopens the instance with up to max_retries retries per provider (no
 * backoff: a failure the fallback layer would retry shows up as a second
 * prompt), polling every poll_ms; extra as for open_inst. */
static void open_config(int max_retries, int poll_ms, const char *extra)
{
    tc_close(inst);
    char *tmp = tu_make_temp_dir("ig-comfy-inst");
    char config[2048];
    snprintf(config, sizeof config, "{\"imageGeneration\":{\"imageDir\":\"%s/images\","
             "\"routing\":{\"maxRetries\":%d,\"backoffBaseMs\":1,\"backoffMaxMs\":1,"
             "\"cooldownSeconds\":{\"auth\":0,\"quota\":0,\"rateLimited\":0,"
             "\"transient\":0}},\"providers\":{\"" PROVIDER "\":{\"pollIntervalMs\":%d%s}}}}",
             tmp, max_retries, poll_ms, extra);
    free(tmp);
    ig_error err;
    ig_error_clear(&err);
    inst = ig_instance_open(config, NULL, on_progress, NULL, NULL, &err);
    cr_assert(inst, "%s", err.message);
}

static void open_retrying(const char *extra)
{
    open_config(2, 10, extra);
}

/* Whether the first attempt of a failed result is marked accepted. */
static bool first_attempt_accepted(const cJSON *r)
{
    return cJSON_IsTrue(bc_item(cJSON_GetArrayItem(bc_item(r, "attempts"), 0), "accepted"));
}

Test(comfy, a_post_prompt_that_times_out_is_never_queued_twice)
{
    open_retrying(",\"timeoutMs\":1500");
    /* the server takes 2 s to queue it: the call has given up by then */
    emu_fault f = {.kind = EMU_FAULT_TIMEOUT, .path = "/prompt", .count = 1,
                   .retry_after = -1, .delay_ms = 2000};
    cr_assert_eq(emu_fault_push(comfy_emulator_server(emu), &f), 0);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_timeout", "", NULL);
    cr_expect(first_attempt_accepted(r), "a prompt that may be queued was not accepted");
    cr_expect_eq(cJSON_GetArraySize(bc_item(r, "attempts")), 1);
    cJSON_Delete(r);
    cr_expect_eq(logged("/prompt"), 1, "POST /prompt was sent again");
    cr_expect_leq(comfy_emulator_prompts(emu), 1, "the prompt was queued twice");
}

Test(comfy, a_post_prompt_that_is_reset_is_never_sent_again)
{
    open_retrying("");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}"); /* detection first */
    bc_expect_ok(r, PROVIDER, 1);
    cJSON_Delete(r);
    /* twice: curl retries once by itself when a reused connection dies */
    emu_fault f = {.kind = EMU_FAULT_RESET, .path = "/prompt", .count = 2, .retry_after = -1};
    cr_assert_eq(emu_fault_push(comfy_emulator_server(emu), &f), 0);
    r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_network_error", "", NULL);
    cr_expect(first_attempt_accepted(r));
    cr_expect_eq(cJSON_GetArraySize(bc_item(r, "attempts")), 1, "the call was retried");
    cJSON_Delete(r);
    cr_expect_leq(logged("/prompt"), 3, "POST /prompt was retried by the fallback layer");
}

Test(comfy, a_prompt_queued_behind_a_cancelled_post_is_found_and_deleted)
{
    comfy_emulator_queue_foreign(emu, 1000000); /* ours waits in queue_pending */
    emu_fault f = {.kind = EMU_FAULT_TIMEOUT, .path = "/prompt", .count = 1,
                   .retry_after = -1, .delay_ms = 400};
    cr_assert_eq(emu_fault_push(comfy_emulator_server(emu), &f), 0);
    int64_t id = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"a fox\"}");
    cr_assert(id > 0);
    cr_assert_eq(emu_wait_requests(comfy_emulator_server(emu), "/prompt", 1, 30000), 0);
    cr_expect_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_OK);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 20000), AGENTOS_EXT_JOB_CANCELED);
    free(ig_jobs_take_result(inst->jobs, id));
    cr_expect_eq(comfy_emulator_prompts(emu), 1, "queued once, late");
    cr_expect_eq(comfy_emulator_deleted(emu), 1, "the late prompt was left in the queue");
    cr_expect_eq(comfy_emulator_interrupted(emu), 0);
}

Test(comfy, an_execution_error_is_accepted_and_never_queued_again)
{
    open_retrying("");
    comfy_emulator_fail_next(emu, 1);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_error", "", "out of memory", NULL);
    cr_expect(first_attempt_accepted(r));
    cJSON_Delete(r);
    cr_expect_eq(comfy_emulator_prompts(emu), 1, "the prompt that ran was queued again");
}

Test(comfy, one_lost_output_costs_a_warning_not_the_others)
{
    fault(EMU_FAULT_EXPIRED, "/view");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"n\":3}");
    bc_expect_ok(r, PROVIDER, 2);
    cr_expect_eq(tc_warning_count(r, "n"), 1);
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "1 of the 3 output images"), "%s", text);
    cJSON_free(text);
    cJSON_Delete(r);
    cr_expect_eq(logged("/view"), 3, "every output was tried");
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
}

/* Requests logged so far whose path starts with prefix. */
static int logged_under(const char *prefix)
{
    cJSON *log = emu_request_log(comfy_emulator_server(emu));
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, log) n += !strncmp(str(e, "path"), prefix, strlen(prefix));
    cJSON_Delete(log);
    return n;
}

Test(comfy, history_reads_after_the_socket_saw_the_end_are_paced)
{
    open_config(0, 2000, "");
    comfy_emulator_set_steps(emu, 1); /* the socket reports the end at once */
    emu_fault f = {.kind = EMU_FAULT_503, .path = "/history", .count = 100,
                   .retry_after = -1};
    cr_assert_eq(emu_fault_push(comfy_emulator_server(emu), &f), 0);
    int64_t id = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"a fox\"}");
    cr_assert(id > 0);
    while (logged_under("/history/") < 1)
        cr_assert_eq(ig_jobs_wait(inst->jobs, id, 10), AGENTOS_EXT_E_TIMEOUT);
    /* Every read fails. Paced, the next one waits for the poll interval (2 s);
     * spinning, all IG_BACKEND_POLL_RETRIES + 1 reads are spent within a few
     * ms of the end. A second is far from either. */
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 1000), AGENTOS_EXT_E_TIMEOUT,
                 "the retries were spent at once");
    cr_expect_leq(logged_under("/history/"), 2, "/history reads in the first second");
    cr_expect_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_OK);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 20000), AGENTOS_EXT_JOB_CANCELED);
    free(ig_jobs_take_result(inst->jobs, id));
}

Test(comfy, requests_never_go_through_a_configured_proxy)
{
    ts_server *proxy = ts_proxy_env_start();
    tc_close(inst);
    open_inst(""); /* detection too, with the proxy set */
    cJSON *r = call_with_png("edit_image", 256, 256, "{\"image\":\"%s\",\"prompt\":\"x\"}");
    bc_expect_ok(r, PROVIDER, 1); /* upload, prompt, history, view */
    cJSON_Delete(r);
    cr_expect_eq(ts_server_hits(proxy, NULL), 0, "a local SD request went to the proxy");
    cr_expect_eq(ts_server_connections(proxy), 0);
    ts_proxy_env_stop(proxy);
}
