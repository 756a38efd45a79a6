/*
 * test_sd_a1111_backend.c - the local Stable Diffusion backend's
 * AUTOMATIC1111 client end to end through the tool call, against the
 * loopback A1111 emulator: server detection (A1111, something else,
 * nothing), txt2img with n, seed and negative prompt, checkpoints, img2img,
 * inpaint, outpaint, upscale 2x/4x, ControlNet IP-Adapter references per
 * mode (and without ControlNet), progress, cancellation reaching
 * /sdapi/v1/interrupt, Basic auth, error classification and an empty store
 * after failures.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulators/a1111_emulator.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_http_server.h"
#include "support/test_images.h"
#include "support/test_util.h"
#include "tools/tool_call.h"

#define PROVIDER "stable-diffusion-local"
#define CONFIG BC_NO_RETRY ",\"providers\":{\"" PROVIDER "\":{\"pollIntervalMs\":10%s}}"
#define AUTH "painter:s3cret-pass-0123456789"

static a1111_emulator *emu;
static ig_instance *inst;
static char *dir;

/* Opens the instance with extra provider settings (",\"apiKey\":..."). */
static void open_instance(const char *extra)
{
    char config[1024];
    snprintf(config, sizeof config, CONFIG, extra ? extra : "");
    inst = tc_open(config);
}

static void setup(void)
{
    tc_clear_provider_env();
    emu = a1111_emulator_start(0, NULL);
    cr_assert(emu, "emulator did not start");
    setenv("STABLE_DIFFUSION_LOCAL_BASE_URL", a1111_emulator_base_url(emu), 1);
    open_instance(NULL);
    dir = tu_make_temp_dir("ig-a1111");
}

static void teardown(void)
{
    tc_close(inst);
    a1111_emulator_stop(emu);
    tu_remove_tree(dir);
    free(dir);
}

TestSuite(a1111, .init = setup, .fini = teardown, .timeout = 120);

static cJSON *call(const char *tool, const char *args)
{
    return tc_call(inst, tool, args);
}

static cJSON *call_with_png(const char *tool, int w, int h, const char *args_fmt)
{
    return tc_call_with_png(inst, dir, tool, w, h, args_fmt);
}

/* The last body the emulator took for kind (freed by the caller). */
static cJSON *last(const char *kind)
{
    cJSON *body = a1111_emulator_last_body(emu, kind);
    cr_assert(body, "no %s request was made", kind);
    return body;
}

static double num(const cJSON *obj, const char *key)
{
    const cJSON *v = bc_item(obj, key);
    cr_assert(cJSON_IsNumber(v), "%s is not a number", key);
    return v->valuedouble;
}

/* The ControlNet unit of a body, or NULL. */
static const cJSON *unit_of(const cJSON *body)
{
    const cJSON *scripts = cJSON_GetObjectItem(body, "alwayson_scripts");
    const cJSON *cn = cJSON_GetObjectItem(scripts, "controlnet");
    return cJSON_GetArrayItem(cJSON_GetObjectItem(cn, "args"), 0);
}

static int stored_images(void)
{
    return tu_count_entries(inst->config.image_dir, "img_");
}

/* --- generation --- */

Test(a1111, generate_n2_with_seed_and_negative_prompt)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a red fox\",\"negativePrompt\":\"blurry\","
                                      "\"n\":2,\"seed\":42,\"size\":\"640x512\"}");
    const cJSON *images = bc_expect_ok(r, PROVIDER, 2);
    bc_expect_stored(inst, images, 0, 640, 512, "image/png", PROVIDER);
    bc_expect_stored(inst, images, 1, 640, 512, "image/png", PROVIDER);
    cr_expect_eq(num(cJSON_GetArrayItem(images, 0), "seed"), 42);
    cr_expect_eq(num(cJSON_GetArrayItem(images, 1), "seed"), 43);
    cr_expect_str_eq(bc_str(r, "model"), "v1-5-pruned-emaonly", "the checkpoint used");
    cr_expect_str_eq(bc_str(bc_item(r, "applied"), "server"), "automatic1111");
    cJSON *body = last("txt2img");
    cr_expect_eq(num(body, "seed"), 42);
    cr_expect_eq(num(body, "batch_size"), 2);
    cr_expect_eq(num(body, "width"), 640);
    cr_expect_eq(num(body, "height"), 512);
    cr_expect_str_eq(bc_str(body, "negative_prompt"), "blurry");
    cr_expect_str_eq(bc_str(body, "sampler_name"), "Euler a");
    cr_expect_null(cJSON_GetObjectItem(body, "override_settings"), "no checkpoint asked");
    cJSON_Delete(body);
    cJSON_Delete(r);
}

Test(a1111, random_seed_reports_the_seeds_used_and_sizes_snap_to_64)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"size\":\"1000x700\"}");
    const cJSON *images = bc_expect_ok(r, PROVIDER, 1);
    bc_expect_stored(inst, images, 0, 1024, 704, "image/png", PROVIDER);
    cr_expect_eq(tc_warning_count(r, "size"), 1);
    cJSON *body = last("txt2img");
    cr_expect_eq(num(body, "seed"), -1);
    cr_expect_eq(num(cJSON_GetArrayItem(images, 0), "seed"), 1234567, "info.all_seeds");
    cJSON_Delete(body);
    cJSON_Delete(r);
}

Test(a1111, n_above_8_runs_in_batches_with_running_seeds)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"n\":10,\"seed\":7,"
                                      "\"size\":\"256x256\"}");
    const cJSON *images = bc_expect_ok(r, PROVIDER, 10);
    cr_expect_eq(a1111_emulator_jobs(emu, "txt2img"), 2);
    cr_expect_eq(num(cJSON_GetArrayItem(images, 9), "seed"), 16);
    cJSON *body = last("txt2img");
    cr_expect_eq(num(body, "batch_size"), 2);
    cr_expect_eq(num(body, "seed"), 15);
    cJSON_Delete(body);
    cJSON_Delete(r);
}

Test(a1111, a_named_checkpoint_is_asked_for_and_reported)
{
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"model\":\"sd_xl_base_1.0\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cr_expect_str_eq(bc_str(r, "model"), "sd_xl_base_1.0");
    cJSON *body = last("txt2img");
    cr_expect_str_eq(bc_str(bc_item(body, "override_settings"), "sd_model_checkpoint"),
                     "sd_xl_base_1.0");
    cJSON_Delete(body);
    cJSON_Delete(r);
    /* A1111 falls back to its loaded checkpoint silently: the result says so. */
    r = call("generate_image", "{\"prompt\":\"a fox\",\"model\":\"no-such-model\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cr_expect_str_eq(bc_str(r, "model"), "v1-5-pruned-emaonly");
    char *text = cJSON_PrintUnformatted(bc_item(r, "warnings"));
    cr_expect(strstr(text, "no checkpoint \\\"no-such-model\\\""), "%s", text);
    cJSON_free(text);
    cJSON_Delete(r);
}

/* --- edits --- */

Test(a1111, img2img_sends_the_strength_and_keeps_the_size)
{
    cJSON *r = call_with_png("edit_image", 640, 480, "{\"image\":\"%s\",\"prompt\":\"night\","
                                                     "\"strength\":0.3,\"seed\":9}");
    bc_expect_stored(inst, bc_expect_ok(r, PROVIDER, 1), 0, 640, 480, "image/png", PROVIDER);
    cJSON *body = last("img2img");
    cr_expect_eq(num(body, "denoising_strength"), 0.3);
    cr_expect_eq(cJSON_GetArraySize(bc_item(body, "init_images")), 1);
    cr_expect_eq(num(body, "seed"), 9);
    cr_expect_null(cJSON_GetObjectItem(body, "mask"));
    cJSON_Delete(body);
    cJSON_Delete(r);
    r = call_with_png("edit_image", 500, 300, "{\"image\":\"%s\",\"prompt\":\"night\"}");
    bc_expect_stored(inst, bc_expect_ok(r, PROVIDER, 1), 0, 496, 296, "image/png", PROVIDER);
    cr_expect_eq(tc_warning_count(r, "size"), 1, "the grid of 8 is reported");
    cJSON_Delete(r);
}

Test(a1111, inpaint_sends_the_white_mask_with_original_fill)
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
    cJSON *body = last("img2img");
    cr_expect(cJSON_IsString(bc_item(body, "mask")));
    cr_expect_eq(num(body, "inpainting_fill"), 1);
    cr_expect_eq(num(body, "mask_blur"), 4);
    cr_expect(cJSON_IsFalse(bc_item(body, "inpaint_full_res")));
    cJSON_Delete(body);
    cJSON_Delete(r);
    free(image), free(mask), free(mask_url);
}

Test(a1111, outpaint_is_an_inpaint_of_the_padded_canvas)
{
    cJSON *r = call_with_png("edit_image", 512, 512,
                             "{\"image\":\"%s\",\"margins\":{\"left\":64,\"bottom\":128},"
                             "\"prompt\":\"more forest\"}");
    bc_expect_stored(inst, bc_expect_ok(r, PROVIDER, 1), 0, 576, 640, "image/png", PROVIDER);
    cJSON *body = last("img2img");
    cr_expect_eq(num(body, "width"), 576);
    cr_expect_eq(num(body, "height"), 640);
    cr_expect_eq(num(body, "inpainting_fill"), 2, "latent noise for new areas");
    cr_expect_eq(num(body, "denoising_strength"), 1);
    cr_expect(cJSON_IsString(bc_item(body, "mask")));
    cJSON_Delete(body);
    cJSON_Delete(r);
}

/* --- upscale --- */

Test(a1111, upscale_2x_and_4x_with_the_default_upscaler)
{
    cJSON *r = call_with_png("upscale_image", 200, 150, "{\"image\":\"%s\",\"scale\":2}");
    bc_expect_stored(inst, bc_expect_ok(r, PROVIDER, 1), 0, 400, 300, "image/png", PROVIDER);
    cr_expect_str_eq(bc_str(r, "model"), "R-ESRGAN 4x+");
    cJSON *body = last("extras");
    cr_expect_eq(num(body, "upscaling_resize"), 2);
    cr_expect_eq(num(body, "resize_mode"), 0);
    cr_expect_str_eq(bc_str(body, "upscaler_1"), "R-ESRGAN 4x+");
    cJSON_Delete(body);
    cJSON_Delete(r);
    r = call_with_png("upscale_image", 200, 150, "{\"image\":\"%s\",\"scale\":4}");
    bc_expect_stored(inst, bc_expect_ok(r, PROVIDER, 1), 0, 800, 600, "image/png", PROVIDER);
    cJSON_Delete(r);
    cr_expect_eq(emu_request_count(a1111_emulator_server(emu), "/sdapi/v1/upscalers"), 2);
}

Test(a1111, upscale_with_a_named_upscaler_or_an_unknown_one)
{
    cJSON *r = call_with_png("upscale_image", 64, 64, "{\"image\":\"%s\",\"scale\":2,"
                                                      "\"provider\":\"" PROVIDER "\","
                                                      "\"model\":\"SwinIR 4x\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cr_expect_str_eq(bc_str(r, "model"), "SwinIR 4x");
    cJSON_Delete(r);
    r = call_with_png("upscale_image", 64, 64, "{\"image\":\"%s\",\"scale\":2,"
                                               "\"provider\":\"" PROVIDER "\","
                                               "\"model\":\"Bogus 8x\"}");
    tc_expect_error(r, "provider_invalid_request", "model", "Bogus 8x", "R-ESRGAN 4x+", NULL);
    cJSON_Delete(r);
    cr_expect_eq(a1111_emulator_jobs(emu, "extras"), 1, "the unknown one was not sent");
}

/* --- references --- */

/* generate with a 256x256 reference in mode; returns the result. */
static cJSON *with_reference(const char *mode)
{
    char *ref = ti_write_png(dir, "ref.png", 256, 256);
    char args[4400];
    snprintf(args, sizeof args, "{\"prompt\":\"the same knight\",\"referenceImageUrl\":\"%s\","
                                "\"consistencyMode\":\"%s\"}", ref, mode);
    free(ref);
    return call("generate_image", args);
}

Test(a1111, reference_per_mode_is_an_ip_adapter_unit)
{
    static const struct {
        const char *mode, *module, *model;
        double weight;
    } cases[] = {
        {"strict", "ip-adapter_face_id_plus", "ip-adapter-faceid-plus_sd15 [d86a490f]", 1.0},
        {"balanced", "ip-adapter_face_id_plus", "ip-adapter-faceid-plus_sd15 [d86a490f]", 0.7},
        {"loose", "ip-adapter_clip_sd15", "ip-adapter_sd15 [6a3f6166]", 0.4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cJSON *r = with_reference(cases[i].mode);
        bc_expect_ok(r, PROVIDER, 1);
        cr_expect_eq(tc_warning_count(r, "referenceImageUrl"), 0, "%s", cases[i].mode);
        cJSON *body = last("txt2img");
        const cJSON *unit = unit_of(body);
        cr_assert(unit, "%s: no ControlNet unit", cases[i].mode);
        cr_expect(cJSON_IsTrue(bc_item(unit, "enabled")));
        cr_expect_str_eq(bc_str(unit, "module"), cases[i].module);
        cr_expect_str_eq(bc_str(unit, "model"), cases[i].model);
        cr_expect_eq(num(unit, "weight"), cases[i].weight, "%s", cases[i].mode);
        cr_expect(cJSON_IsString(bc_item(unit, "image")));
        cJSON_Delete(body);
        cJSON_Delete(r);
    }
    cr_expect_eq(emu_request_count(a1111_emulator_server(emu), "/controlnet/model_list"), 3);
}

Test(a1111, an_xl_checkpoint_takes_the_xl_ip_adapter)
{
    char *ref = ti_write_png(dir, "ref.png", 256, 256);
    char args[4400];
    snprintf(args, sizeof args, "{\"prompt\":\"a knight\",\"referenceImageUrl\":\"%s\","
                                "\"consistencyMode\":\"loose\",\"model\":\"sd_xl_base_1.0\"}",
             ref);
    free(ref);
    cJSON *r = call("generate_image", args);
    bc_expect_ok(r, PROVIDER, 1);
    cJSON *body = last("txt2img");
    const cJSON *unit = unit_of(body);
    cr_assert(unit);
    cr_expect_str_eq(bc_str(unit, "module"), "ip-adapter_clip_sdxl");
    cr_expect_str_eq(bc_str(unit, "model"), "ip-adapter_xl [4209e9f7]");
    cJSON_Delete(body);
    cJSON_Delete(r);
}

Test(a1111, reference_without_controlnet_is_reported_not_dropped)
{
    a1111_emulator_set_controlnet(emu, false);
    cJSON *r = with_reference("strict");
    bc_expect_ok(r, PROVIDER, 1);
    cr_expect_eq(tc_warning_count(r, "referenceImageUrl"), 1);
    char *text = cJSON_PrintUnformatted(bc_item(r, "warnings"));
    cr_expect(strstr(text, "ControlNet"), "%s", text);
    cJSON_free(text);
    cJSON *body = last("txt2img");
    cr_expect_null(unit_of(body));
    cJSON_Delete(body);
    cJSON_Delete(r);
}

/* Queues one fault of kind on path. */
static void fault(emu_fault_kind kind, const char *path);

/* --- progress and cancellation --- */

static atomic_int a1111_reports;

static void count_progress(void *user_data, const char *json)
{
    (void)user_data;
    if (strstr(json, "automatic1111"))
        atomic_fetch_add(&a1111_reports, 1);
}

/* Reopens the instance with count_progress as the progress callback. */
static void open_with_progress(void)
{
    tc_close(inst);
    char config[1024];
    snprintf(config, sizeof config, "{\"imageGeneration\":{\"imageDir\":\"%s/images\","
             CONFIG "}}", dir, "");
    ig_error err;
    ig_error_clear(&err);
    inst = ig_instance_open(config, NULL, count_progress, NULL, NULL, &err);
    cr_assert(inst, "%s", err.message);
}

Test(a1111, progress_is_read_while_the_job_runs)
{
    open_with_progress();
    a1111_emulator_set_progress_reads(emu, 4); /* the job ends after 4 reads */
    int64_t id = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"a fox\"}");
    cr_assert(id > 0);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 60000), AGENTOS_EXT_JOB_SUCCEEDED);
    char *text = ig_jobs_take_result(inst->jobs, id);
    cr_expect(strstr(text, "\"ok\":true"), "%s", text);
    free(text);
    cr_expect_geq(atomic_load(&a1111_reports), 4, "progress reports: %d",
                  atomic_load(&a1111_reports));
    cr_expect_geq(emu_request_count(a1111_emulator_server(emu), "/sdapi/v1/progress"), 5,
                  "detection + 4 reads");
}

Test(a1111, a_failed_progress_read_is_skipped_never_resubmitting_the_job)
{
    a1111_emulator_set_progress_reads(emu, 2);
    /* a first call detects the server, so the faults below hit the reads made
     * while the second job runs */
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cJSON_Delete(r);
    fault(EMU_FAULT_503, "/sdapi/v1/progress");
    fault(EMU_FAULT_RESET, "/sdapi/v1/progress");
    r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cJSON_Delete(r);
    cr_expect_eq(a1111_emulator_jobs(emu, "txt2img"), 2, "a job was submitted twice");
}

Test(a1111, cancel_interrupts_the_job_and_stores_nothing)
{
    a1111_emulator_set_progress_reads(emu, 1000000);
    int64_t id = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"a fox\",\"n\":2}");
    cr_assert(id > 0);
    cr_assert_eq(a1111_emulator_wait_running(emu, 30000), 0);
    cr_assert_eq(emu_wait_requests(a1111_emulator_server(emu), "/sdapi/v1/progress", 3,
                                   30000), 0, "no progress read while the job ran");
    cr_expect_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_OK);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 30000), AGENTOS_EXT_JOB_CANCELED);
    char *text = ig_jobs_take_result(inst->jobs, id);
    cr_expect(strstr(text, "\"canceled\""), "%s", text);
    free(text);
    cr_expect_eq(a1111_emulator_interrupts(emu), 1, "/sdapi/v1/interrupt was not called");
    cr_expect_eq(stored_images(), 0, "the interrupted job's images were stored");
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
}

/* --- auth --- */

/* Restarts the emulator with Basic auth AUTH and the instance with key. */
static void restart_with_auth(const char *key)
{
    tc_close(inst);
    a1111_emulator_stop(emu);
    emu = a1111_emulator_start(0, AUTH);
    cr_assert(emu);
    setenv("STABLE_DIFFUSION_LOCAL_BASE_URL", a1111_emulator_base_url(emu), 1);
    char extra[256];
    snprintf(extra, sizeof extra, ",\"apiKey\":\"%s\"", key);
    open_instance(key ? extra : NULL);
}

Test(a1111, basic_auth_is_sent_to_every_sdapi_path)
{
    restart_with_auth(AUTH);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cJSON_Delete(r);
    cJSON *log = emu_request_log(a1111_emulator_server(emu));
    const cJSON *entry;
    int n = 0;
    cJSON_ArrayForEach(entry, log)
    {
        n++;
        cr_expect_str_eq(bc_str(entry, "auth"), "matched", "%s", bc_str(entry, "path"));
    }
    cr_expect_geq(n, 2);
    char *text = cJSON_PrintUnformatted(log);
    cr_expect_null(strstr(text, "s3cret"), "the password is in the log");
    cJSON_free(text);
    cJSON_Delete(log);
}

Test(a1111, wrong_or_missing_credentials_are_an_auth_failure)
{
    restart_with_auth("painter:wrong-pass-999999999");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "--api-auth"), "%s", text);
    cJSON_free(text);
    bc_expect_failure(inst, r, "wrong-pass-999999999", "provider_auth_failed", false, 401);
    tc_close(inst);
    open_instance(NULL);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), AUTH,
                      "provider_auth_failed", false, 401);
    cr_expect_eq(a1111_emulator_jobs(emu, NULL), 0);
}

/* --- detection --- */

Test(a1111, something_else_answering_is_not_taken_for_a1111)
{
    static const ts_route routes[] = {
        {.path = "/", .behaviour = TS_RESPOND, .status = 200, .content_type = "text/html",
         .body = "<html>hello</html>", .body_size = 18},
    };
    ts_server *other = ts_server_start(routes, 1);
    setenv("STABLE_DIFFUSION_LOCAL_BASE_URL", ts_server_base_url(other), 1);
    tc_close(inst);
    open_instance(NULL);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_unavailable", "", "neither as AUTOMATIC1111", NULL);
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "--api"), "no hint to start a server: %s", text);
    cJSON_free(text);
    cJSON_Delete(r);
    cr_expect_eq(ts_server_hits(other, NULL), 2, "/sdapi/v1/progress and /system_stats "
                 "only, never a job");
    ts_server_stop(other);
}

Test(a1111, nothing_listening_is_a_network_error_with_a_hint)
{
    int port = 0;
    int fd = tu_hang_endpoint(&port); /* a port we own, then closed: nothing listens */
    close(fd);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    setenv("STABLE_DIFFUSION_LOCAL_BASE_URL", url, 1);
    tc_close(inst);
    open_instance(NULL);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "Start AUTOMATIC1111 with --api"), "%s", text);
    cJSON_free(text);
    bc_expect_failure(inst, r, AUTH, "provider_network_error", true, 0);
}

/* --- errors --- */

/* Queues one fault of kind on path. */
static void fault(emu_fault_kind kind, const char *path)
{
    emu_fault f = {.kind = kind, .path = path, .count = 1, .retry_after = -1};
    cr_assert_eq(emu_fault_push(a1111_emulator_server(emu), &f), 0);
}

Test(a1111, out_of_memory_says_to_lower_size_or_batch)
{
    fault(EMU_FAULT_500, "/sdapi/v1/txt2img");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "out of memory") && strstr(text, "smaller size"), "%s", text);
    cJSON_free(text);
    bc_expect_failure(inst, r, AUTH, "provider_error", false, 500);
    /* and a job that really is too large for the (pretend) GPU */
    r = call("generate_image", "{\"prompt\":\"a fox\",\"size\":\"2048x2048\",\"n\":5}");
    tc_expect_error(r, "provider_error", "", "CUDA out of memory", NULL);
    cJSON_Delete(r);
    cr_expect_eq(stored_images(), 0);
}

Test(a1111, server_errors_and_invalid_requests_are_classified)
{
    fault(EMU_FAULT_503, "/sdapi/v1/txt2img");
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), AUTH,
                      "provider_error", true, 503);
    fault(EMU_FAULT_429, "/sdapi/v1/txt2img"); /* a proxy in front of A1111 */
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), AUTH,
                      "provider_rate_limited", true, 429);
    fault(EMU_FAULT_INVALID, "/sdapi/v1/txt2img");
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), AUTH,
                      "provider_invalid_request", false, 422);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\",\"providerOptions\":{\""
                                      PROVIDER "\":{\"sampler_name\":\"Nope\"}}}");
    char *text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "Sampler not found"), "%s", text);
    cJSON_free(text);
    cr_expect_eq(tc_warning_count(r, "providerOptions." PROVIDER), 1,
                 "the replaced field is reported");
    bc_expect_failure(inst, r, AUTH, "provider_invalid_request", false, 400);
    r = call("generate_image", "{\"prompt\":\"a fox\",\"providerOptions\":{\""
                               PROVIDER "\":{\"steps\":\"many\"}}}");
    text = cJSON_PrintUnformatted(r);
    cr_expect(strstr(text, "steps: value is not a valid integer"), "%s", text);
    cJSON_free(text);
    bc_expect_failure(inst, r, AUTH, "provider_invalid_request", false, 422);
    cr_expect_eq(stored_images(), 0);
}

Test(a1111, broken_answers_leave_nothing_half_written)
{
    /* twice: curl retries once on a fresh connection when a reused one dies */
    emu_fault reset = {.kind = EMU_FAULT_RESET, .path = "/sdapi/v1/txt2img", .count = 2};
    cr_assert_eq(emu_fault_push(a1111_emulator_server(emu), &reset), 0);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), AUTH,
                      "provider_network_error", true, 0);
    fault(EMU_FAULT_MALFORMED, "/sdapi/v1/txt2img");
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), AUTH,
                      "provider_bad_response", false, 0);
    fault(EMU_FAULT_TRUNCATE, "/sdapi/v1/img2img");
    cJSON *r = call_with_png("edit_image", 256, 256, "{\"image\":\"%s\",\"prompt\":\"x\"}");
    tc_expect_error(r, "provider_network_error", "", NULL);
    cJSON_Delete(r);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0);
    cr_expect_eq(stored_images(), 0);
}

Test(a1111, a_server_that_hangs_times_out)
{
    tc_close(inst);
    open_instance(",\"timeoutMs\":1500");
    emu_fault f = {.kind = EMU_FAULT_TIMEOUT, .path = "/sdapi/v1/txt2img", .count = 1};
    cr_assert_eq(emu_fault_push(a1111_emulator_server(emu), &f), 0);
    bc_expect_failure(inst, call("generate_image", "{\"prompt\":\"a fox\"}"), AUTH,
                      "provider_timeout", true, 0);
}

/* --- one job per call, only ever interrupted by its own call --- */

/* Reopens the instance with up to 2 retries per provider and no backoff,
 * so that a failure the fallback layer would retry shows as a second job;
 * extra as for open_instance. */
static void open_retrying(const char *extra)
{
    tc_close(inst);
    char config[1024];
    snprintf(config, sizeof config, "\"routing\":{\"maxRetries\":2,\"backoffBaseMs\":1,"
             "\"backoffMaxMs\":1,\"cooldownSeconds\":{\"auth\":0,\"quota\":0,"
             "\"rateLimited\":0,\"transient\":0}},\"providers\":{\"" PROVIDER "\":{"
             "\"pollIntervalMs\":10%s}}", extra);
    inst = tc_open(config);
}

/* The attempts of a failed result: how many, and whether the first was
 * marked accepted (a job that ran or may have). */
static int attempts(const cJSON *r, bool *accepted)
{
    const cJSON *list = bc_item(r, "attempts");
    *accepted = cJSON_IsTrue(bc_item(cJSON_GetArrayItem(list, 0), "accepted"));
    return cJSON_GetArraySize(list);
}

Test(a1111, cancelling_a_call_queued_behind_another_never_interrupts_it)
{
    a1111_emulator_set_progress_reads(emu, 100); /* A runs for 100 of its reads */
    int64_t a = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"call A\"}");
    cr_assert(a > 0);
    cr_assert_eq(a1111_emulator_wait_running(emu, 30000), 0);
    int64_t b = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"call B\"}");
    cr_assert(b > 0);
    usleep(200000); /* B waits behind A */
    cr_expect_eq(ig_jobs_cancel(inst->jobs, b), AGENTOS_EXT_OK);
    cr_expect_eq(ig_jobs_wait(inst->jobs, b, 30000), AGENTOS_EXT_JOB_CANCELED);
    free(ig_jobs_take_result(inst->jobs, b));
    cr_expect_eq(a1111_emulator_interrupts(emu), 0, "B's cancel interrupted A's job");
    cr_expect_eq(ig_jobs_wait(inst->jobs, a, 60000), AGENTOS_EXT_JOB_SUCCEEDED);
    char *text = ig_jobs_take_result(inst->jobs, a);
    cJSON *r = cJSON_Parse(text);
    free(text);
    bc_expect_ok(r, PROVIDER, 1);
    cJSON_Delete(r);
    cJSON *body = last("txt2img");
    cr_expect_str_eq(bc_str(body, "prompt"), "call A", "B's job ran");
    cJSON_Delete(body);
    cr_expect_eq(a1111_emulator_jobs(emu, "txt2img"), 1, "B's job ran after A's");
    cr_expect_eq(a1111_emulator_interrupts(emu), 0);
}

Test(a1111, a_job_that_times_out_is_interrupted_and_never_submitted_again)
{
    open_retrying(",\"timeoutMs\":1500");
    emu_fault f = {.kind = EMU_FAULT_TIMEOUT, .path = "/sdapi/v1/txt2img", .count = 1,
                   .retry_after = -1};
    cr_assert_eq(emu_fault_push(a1111_emulator_server(emu), &f), 0);
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_timeout", "", NULL);
    bool accepted;
    cr_expect_eq(attempts(r, &accepted), 1, "the job was submitted again");
    cr_expect(accepted, "a job A1111 may still be making was not marked accepted");
    cJSON_Delete(r);
    cr_expect_eq(emu_request_count(a1111_emulator_server(emu), "/sdapi/v1/txt2img"), 1);
    cr_expect_eq(a1111_emulator_interrupts(emu), 1, "the abandoned job was left running");
}

Test(a1111, a_job_whose_connection_is_reset_is_never_submitted_again)
{
    open_retrying("");
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}"); /* detection first */
    bc_expect_ok(r, PROVIDER, 1);
    cJSON_Delete(r);
    /* twice: curl retries once by itself when a reused connection dies */
    emu_fault f = {.kind = EMU_FAULT_RESET, .path = "/sdapi/v1/txt2img", .count = 2,
                   .retry_after = -1};
    cr_assert_eq(emu_fault_push(a1111_emulator_server(emu), &f), 0);
    r = call("generate_image", "{\"prompt\":\"a fox\"}");
    tc_expect_error(r, "provider_network_error", "", NULL);
    bool accepted;
    cr_expect_eq(attempts(r, &accepted), 1, "the job was submitted again");
    cr_expect(accepted);
    cJSON_Delete(r);
    cr_expect_leq(emu_request_count(a1111_emulator_server(emu), "/sdapi/v1/txt2img"), 3,
                  "the fallback layer sent the job again");
}

/* --- privacy: never through a proxy --- */

Test(a1111, requests_never_go_through_a_configured_proxy)
{
    ts_server *proxy = ts_proxy_env_start();
    tc_close(inst);
    open_instance(NULL); /* detection too, with the proxy set */
    cJSON *r = call("generate_image", "{\"prompt\":\"a fox\"}");
    bc_expect_ok(r, PROVIDER, 1);
    cJSON_Delete(r);
    cr_expect_eq(ts_server_hits(proxy, NULL), 0, "a local SD request went to the proxy");
    cr_expect_eq(ts_server_connections(proxy), 0);
    ts_proxy_env_stop(proxy);
}
