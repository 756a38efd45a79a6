/*
 * test_a1111_emulator.c - the AUTOMATIC1111 emulator over raw HTTP: job
 * answers (real PNGs, the info string, parameters), A1111's own checks and
 * pydantic-1 validation, lists, ControlNet on and off, progress held by
 * reads, one job at a time, interrupt, Basic auth, faults, and the
 * playground binary.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/a1111_emulator.h"
#include "emulators/emu_client.h"
#include "emulators/emu_held.h"
#include "emulators/emu_images.h"
#include "emulators/emu_test_util.h"
#include "support/playground_process.h"

#define AUTH "painter:s3cret"
#define BASIC "Authorization: Basic cGFpbnRlcjpzM2NyZXQ=" /* base64 of AUTH */

static a1111_emulator *emu;

static void setup(void)
{
    emu = a1111_emulator_start(0, NULL);
    cr_assert(emu, "emulator did not start");
}

static void teardown(void)
{
    a1111_emulator_stop(emu);
}

TestSuite(a1111_emu, .init = setup, .fini = teardown, .timeout = 120);

static const char *url(const char *path)
{
    static _Thread_local char buf[512];
    snprintf(buf, sizeof buf, "%s%s", a1111_emulator_base_url(emu), path);
    return buf;
}

static ec_result post(const char *path, const char *json)
{
    return ec_post_json(url(path), NULL, json, 60000);
}

static ec_result get(const char *path)
{
    return ec_get(url(path), NULL, 60000);
}

/* base64 of a w x h PNG; malloc'd. */
static char *png_b64(int w, int h)
{
    size_t size = 0;
    unsigned char *png = emu_image_make(w, h, "png", 0, false, 3, &size);
    cr_assert(png);
    char *b64 = emu_base64(png, size);
    free(png);
    return b64;
}

/* Decodes images[i] of an answer and checks its size. */
static void expect_image(const cJSON *b64, int w, int h)
{
    et_image img = et_decode_b64(cJSON_GetStringValue(b64));
    cr_expect_str_eq(img.format, "png");
    cr_expect_eq(img.width, w, "width %d != %d", img.width, w);
    cr_expect_eq(img.height, h, "height %d != %d", img.height, h);
}

/* The parsed info string of an answer (caller frees). */
static cJSON *info_of(const ec_result *r)
{
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(r->json, "info"));
    cr_assert(text, "no info string: %s", r->body);
    cJSON *info = cJSON_Parse(text);
    cr_assert(info, "info is not JSON: %s", text);
    return info;
}

/* Asserts A1111's error shape with status and detail/errors containing text. */
static void expect_error(const ec_result *r, long status, const char *type, const char *text)
{
    cr_assert_eq(r->status, status, "status %ld: %s", r->status, r->body);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r->json, "error")), type);
    cr_expect(cJSON_IsString(cJSON_GetObjectItem(r->json, "detail")));
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r->json, "body")), "");
    cr_expect(strstr(r->body, text), "%s lacks %s", r->body, text);
}

/* Asserts a 422 whose detail has an entry for ["body", field] of type. */
static void expect_422(const ec_result *r, const char *field, const char *type)
{
    cr_assert_eq(r->status, 422, "status %ld: %s", r->status, r->body);
    const cJSON *e;
    bool found = false;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(r->json, "detail"))
    {
        const cJSON *loc = cJSON_GetObjectItem(e, "loc");
        const cJSON *last = cJSON_GetArrayItem(loc, cJSON_GetArraySize(loc) - 1);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(loc, 0)), "body");
        cr_expect(cJSON_IsString(cJSON_GetObjectItem(e, "msg")));
        bool same_field = field ? cJSON_IsString(last) && !strcmp(last->valuestring, field)
                                : cJSON_GetArraySize(loc) == 1 || cJSON_IsNumber(last);
        if (same_field && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "type")), type))
            found = true;
    }
    cr_expect(found, "no %s error for %s in %s", type, field ? field : "body", r->body);
}

/* --- jobs --- */

Test(a1111_emu, txt2img_answers_pngs_info_and_parameters)
{
    ec_result r = post("/sdapi/v1/txt2img", "{\"prompt\":\"a fox\",\"negative_prompt\":\"ugly\","
                                            "\"seed\":100,\"width\":200,\"height\":130,"
                                            "\"batch_size\":2,\"n_iter\":2,\"steps\":\"12\","
                                            "\"unknown_field\":[1]}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    const cJSON *images = cJSON_GetObjectItem(r.json, "images");
    cr_assert_eq(cJSON_GetArraySize(images), 4);
    expect_image(cJSON_GetArrayItem(images, 3), 200, 128);
    cJSON *info = info_of(&r);
    const cJSON *seeds = cJSON_GetObjectItem(info, "all_seeds");
    cr_expect_eq(cJSON_GetArraySize(seeds), 4);
    cr_expect_eq(cJSON_GetArrayItem(seeds, 3)->valuedouble, 103);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(info, "sd_model_name")),
                     "v1-5-pruned-emaonly");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(info, "negative_prompt")), "ugly");
    cr_expect_eq(cJSON_GetObjectItem(info, "steps")->valuedouble, 12);
    cr_expect_eq(cJSON_GetObjectItem(info, "index_of_first_image")->valuedouble, 0);
    cJSON_Delete(info);
    const cJSON *params = cJSON_GetObjectItem(r.json, "parameters");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(params, "prompt")), "a fox");
    ec_result_free(&r);
    cr_expect_eq(a1111_emulator_jobs(emu, "txt2img"), 1);
}

Test(a1111_emu, random_seeds_and_checkpoint_override)
{
    ec_result r = post("/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"width\":64,\"height\":64,"
                                            "\"override_settings\":{\"sd_model_checkpoint\":"
                                            "\"sd_xl_base_1.0.safetensors\"}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *info = info_of(&r);
    cr_expect_neq(cJSON_GetObjectItem(info, "seed")->valuedouble, -1);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(info, "sd_model_name")),
                     "sd_xl_base_1.0");
    cJSON_Delete(info);
    ec_result_free(&r);
    /* an unknown checkpoint: the loaded one, silently (processing.py) */
    r = post("/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"width\":64,\"height\":64,"
                                  "\"override_settings\":{\"sd_model_checkpoint\":\"nope\"}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    info = info_of(&r);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(info, "sd_model_name")),
                     "v1-5-pruned-emaonly");
    cJSON_Delete(info);
    ec_result_free(&r);
}

Test(a1111_emu, img2img_needs_decodable_inputs)
{
    char *b64 = png_b64(100, 80);
    char *body = NULL;
    cr_assert(asprintf(&body, "{\"prompt\":\"x\",\"init_images\":[\"%s\"],\"mask\":\"%s\","
                              "\"width\":96,\"height\":80,\"denoising_strength\":0.4,"
                              "\"inpainting_fill\":1}", b64, b64) > 0);
    ec_result r = post("/sdapi/v1/img2img", body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    expect_image(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "images"), 0), 96, 80);
    const cJSON *params = cJSON_GetObjectItem(r.json, "parameters");
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(params, "init_images")), "inputs not echoed");
    ec_result_free(&r);
    free(body);
    r = post("/sdapi/v1/img2img", "{\"prompt\":\"x\"}");
    expect_error(&r, 404, "HTTPException", "Init image not found");
    ec_result_free(&r);
    r = post("/sdapi/v1/img2img", "{\"prompt\":\"x\",\"init_images\":[\"bm90IGFuIGltYWdl\"]}");
    expect_error(&r, 500, "HTTPException", "Invalid encoded image");
    ec_result_free(&r);
    free(b64);
    cr_expect_eq(a1111_emulator_jobs(emu, "img2img"), 1);
}

Test(a1111_emu, extras_upscale_by_factor_or_to_a_size)
{
    char *b64 = png_b64(50, 40);
    char *body = NULL;
    cr_assert(asprintf(&body, "{\"image\":\"%s\",\"upscaling_resize\":4,"
                              "\"upscaler_1\":\"R-ESRGAN 4x+\"}", b64) > 0);
    ec_result r = post("/sdapi/v1/extra-single-image", body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    expect_image(cJSON_GetObjectItem(r.json, "image"), 200, 160);
    cr_expect(cJSON_IsString(cJSON_GetObjectItem(r.json, "html_info")));
    ec_result_free(&r);
    free(body);
    cr_assert(asprintf(&body, "{\"image\":\"%s\",\"resize_mode\":1,\"upscaling_resize_w\":"
                              "120,\"upscaling_resize_h\":90,\"upscaler_1\":\"Lanczos\"}",
                       b64) > 0);
    r = post("/sdapi/v1/extra-single-image", body);
    expect_image(cJSON_GetObjectItem(r.json, "image"), 120, 90);
    ec_result_free(&r);
    free(body);
    cr_assert(asprintf(&body, "{\"image\":\"%s\",\"upscaler_1\":\"Bogus\"}", b64) > 0);
    r = post("/sdapi/v1/extra-single-image", body);
    expect_error(&r, 500, "AssertionError", "could not find upscaler named Bogus");
    ec_result_free(&r);
    free(body);
    r = post("/sdapi/v1/extra-single-image", "{\"resize_mode\":3,\"upscaling_resize\":0,"
                                             "\"gfpgan_visibility\":2,\"upscaler_1\":null}");
    expect_422(&r, "resize_mode", "value_error.const");
    expect_422(&r, "upscaling_resize", "value_error.number.not_gt");
    expect_422(&r, "gfpgan_visibility", "value_error.number.not_le");
    expect_422(&r, "upscaler_1", "type_error.none.not_allowed");
    ec_result_free(&r);
    free(b64);
}

/* --- validation --- */

Test(a1111_emu, bodies_are_validated_like_pydantic)
{
    ec_result r = post("/sdapi/v1/txt2img", "{\"steps\":\"many\",\"cfg_scale\":\"high\","
                                            "\"prompt\":{},\"restore_faces\":\"maybe\","
                                            "\"override_settings\":[],\"styles\":\"x\"}");
    expect_422(&r, "steps", "type_error.integer");
    expect_422(&r, "cfg_scale", "type_error.float");
    expect_422(&r, "prompt", "type_error.str");
    expect_422(&r, "restore_faces", "type_error.bool");
    expect_422(&r, "override_settings", "type_error.dict");
    expect_422(&r, "styles", "type_error.list");
    ec_result_free(&r);
    r = post("/sdapi/v1/txt2img", "{\"prompt\":");
    expect_422(&r, NULL, "value_error.jsondecode");
    ec_result_free(&r);
    r = post("/sdapi/v1/txt2img", "[1,2]");
    expect_422(&r, NULL, "type_error.dict");
    ec_result_free(&r);
    r = ec_request("POST", url("/sdapi/v1/txt2img"), NULL, NULL, 60000);
    expect_422(&r, NULL, "value_error.missing");
    ec_result_free(&r);
    r = post("/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"sampler_name\":\"Nope\"}");
    expect_error(&r, 400, "HTTPException", "Sampler not found");
    ec_result_free(&r);
    cr_expect_eq(a1111_emulator_jobs(emu, NULL), 0);
}

/* --- lists and ControlNet --- */

Test(a1111_emu, lists_and_options)
{
    ec_result r = get("/sdapi/v1/upscalers");
    cr_assert_eq(r.status, 200);
    cr_expect(strstr(r.body, "\"name\":\"R-ESRGAN 4x+\""), "%s", r.body);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(r.json, 0),
                                                              "name")), "None");
    ec_result_free(&r);
    r = get("/sdapi/v1/sd-models");
    cr_expect_eq(cJSON_GetArraySize(r.json), 2);
    cr_expect(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetArrayItem(r.json, 0), "title")));
    ec_result_free(&r);
    r = get("/sdapi/v1/samplers");
    cr_expect(strstr(r.body, "\"Euler a\""));
    ec_result_free(&r);
    r = post("/sdapi/v1/options", "{\"sd_model_checkpoint\":\"sd_xl_base_1.0\"}");
    cr_expect_eq(r.status, 200, "%s", r.body);
    ec_result_free(&r);
    r = get("/sdapi/v1/options");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "sd_model_checkpoint")),
                     "sd_xl_base_1.0.safetensors [31e35c80fc]");
    ec_result_free(&r);
    r = post("/sdapi/v1/options", "{\"sd_model_checkpoint\":\"nope\"}");
    expect_error(&r, 500, "RuntimeError", "model 'nope' not found");
    ec_result_free(&r);
    r = get("/sdapi/v1/nothing-here");
    cr_expect_eq(r.status, 404);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "detail")), "Not Found");
    ec_result_free(&r);
    r = post("/sdapi/v1/progress", "{}");
    cr_expect_eq(r.status, 405);
    ec_result_free(&r);
}

/* A txt2img body with one ControlNet unit using module and model. */
static char *with_unit(const char *module, const char *model)
{
    char *b64 = png_b64(64, 64), *body = NULL;
    cr_assert(asprintf(&body, "{\"prompt\":\"x\",\"width\":64,\"height\":64,"
                              "\"alwayson_scripts\":{\"controlnet\":{\"args\":[{\"enabled\":"
                              "true,\"module\":\"%s\",\"model\":\"%s\",\"weight\":0.7,"
                              "\"image\":\"%s\"}]}}}", module, model, b64) > 0);
    free(b64);
    return body;
}

Test(a1111_emu, controlnet_units_are_checked_and_can_be_absent)
{
    ec_result r = get("/controlnet/model_list");
    cr_assert_eq(r.status, 200);
    cr_expect(strstr(r.body, "ip-adapter-faceid-plus_sd15 [d86a490f]"), "%s", r.body);
    ec_result_free(&r);
    char *ok = with_unit("ip-adapter_face_id_plus", "ip-adapter-faceid-plus_sd15 [d86a490f]");
    r = post("/sdapi/v1/txt2img", ok);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *info = info_of(&r);
    cr_expect(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "extra_generation_params"),
                                  "ControlNet 0"));
    cJSON_Delete(info);
    ec_result_free(&r);
    char *bad = with_unit("ip-adapter_clip_sd15", "ip-adapter_missing [00000000]");
    r = post("/sdapi/v1/txt2img", bad);
    expect_error(&r, 500, "Exception", "not found");
    ec_result_free(&r);
    a1111_emulator_set_controlnet(emu, false);
    r = get("/controlnet/model_list");
    cr_expect_eq(r.status, 404);
    ec_result_free(&r);
    r = post("/sdapi/v1/txt2img", ok);
    expect_error(&r, 422, "HTTPException", "Script 'controlnet' not found");
    ec_result_free(&r);
    free(ok), free(bad);
}

/* --- progress, the queue, interrupt --- */

/* Starts a held txt2img (64x64, `steps` steps) on its own thread. */
static void start_held(emu_held *held, size_t nth)
{
    static const char body[] = "{\"prompt\":\"x\",\"width\":64,\"height\":64,\"steps\":20}";
    ec_call call = {.method = "POST", .url = url("/sdapi/v1/txt2img"), .body = body,
                    .timeout_ms = 60000};
    cr_assert_eq(emu_held_start(held, a1111_emulator_server(emu), "/sdapi/v1/txt2img",
                                &call), 0);
    cr_assert_eq(emu_wait_requests(a1111_emulator_server(emu), "/sdapi/v1/txt2img", nth,
                                   30000), 0);
}

/* The progress fraction of one read (and the answer's state in *state). */
static double read_progress(int *step)
{
    ec_result r = get("/sdapi/v1/progress");
    cr_assert_eq(r.status, 200);
    const cJSON *state = cJSON_GetObjectItem(r.json, "state");
    *step = (int)cJSON_GetObjectItem(state, "sampling_step")->valuedouble;
    cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(r.json, "eta_relative")));
    double p = cJSON_GetObjectItem(r.json, "progress")->valuedouble;
    ec_result_free(&r);
    return p;
}

Test(a1111_emu, progress_advances_one_read_at_a_time)
{
    int step;
    cr_expect_eq(read_progress(&step), 0, "idle");
    a1111_emulator_set_progress_reads(emu, 4);
    emu_held held;
    start_held(&held, 1);
    cr_assert_eq(a1111_emulator_wait_running(emu, 30000), 0);
    double last = 0;
    for (int i = 1; i <= 4; i++) {
        double p = read_progress(&step);
        cr_expect_gt(p, last, "read %d: %g after %g", i, p, last);
        cr_expect_eq(step, i * 5, "read %d", i);
        last = p;
    }
    ec_result r = emu_held_finish(&held);
    cr_expect_eq(r.status, 200, "%s", r.body);
    ec_result_free(&r);
}

Test(a1111_emu, one_job_at_a_time)
{
    a1111_emulator_set_progress_reads(emu, 2);
    emu_held first, second;
    start_held(&first, 1);
    cr_assert_eq(a1111_emulator_wait_running(emu, 30000), 0);
    start_held(&second, 2);
    cr_expect_eq(a1111_emulator_jobs(emu, "txt2img"), 1, "the second did not wait");
    int step;
    read_progress(&step);
    read_progress(&step);
    ec_result r = emu_held_finish(&first);
    cr_expect_eq(r.status, 200);
    ec_result_free(&r);
    /* the first ended (its answer came), so the second holds the queue now */
    cr_assert_eq(a1111_emulator_wait_running(emu, 30000), 0);
    cr_expect_eq(a1111_emulator_jobs(emu, "txt2img"), 2);
    read_progress(&step);
    read_progress(&step);
    r = emu_held_finish(&second);
    cr_expect_eq(r.status, 200);
    ec_result_free(&r);
}

Test(a1111_emu, interrupt_ends_a_held_job_early)
{
    a1111_emulator_set_progress_reads(emu, 1000000);
    emu_held held;
    start_held(&held, 1);
    cr_assert_eq(a1111_emulator_wait_running(emu, 30000), 0);
    ec_result r = post("/sdapi/v1/interrupt", "{}");
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(r.body, "{}");
    ec_result_free(&r);
    r = emu_held_finish(&held);
    cr_expect_eq(r.status, 200, "A1111 answers an interrupted job with what it has");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "images")), 1);
    ec_result_free(&r);
    cr_expect_eq(a1111_emulator_interrupts(emu), 1);
}

/* --- auth --- */

Test(a1111_emu, basic_auth_guards_the_sdapi_paths)
{
    a1111_emulator_stop(emu);
    emu = a1111_emulator_start(0, AUTH);
    cr_assert(emu);
    ec_result r = get("/sdapi/v1/progress");
    expect_error(&r, 401, "HTTPException", "Not authenticated");
    char *www = ec_header(&r, "WWW-Authenticate");
    cr_expect(www && !strcmp(www, "Basic"), "%s", www ? www : "(none)");
    free(www);
    ec_result_free(&r);
    const char *wrong[] = {"Authorization: Basic cGFpbnRlcjp3cm9uZw==", NULL};
    r = ec_send(&(ec_call){.method = "GET", .url = url("/sdapi/v1/progress"), .headers = wrong});
    expect_error(&r, 401, "HTTPException", "Incorrect username or password");
    ec_result_free(&r);
    const char *right[] = {BASIC, NULL};
    r = ec_send(&(ec_call){.method = "GET", .url = url("/sdapi/v1/progress"), .headers = right});
    cr_expect_eq(r.status, 200, "%s", r.body);
    ec_result_free(&r);
    r = get("/controlnet/model_list"); /* an extension's route: no --api-auth */
    cr_expect_eq(r.status, 200);
    ec_result_free(&r);
    cJSON *log = emu_request_log(a1111_emulator_server(emu));
    char *text = cJSON_PrintUnformatted(log);
    cr_expect_null(strstr(text, "cGFpbnRlcjpzM2NyZXQ="), "the credentials were logged");
    cJSON_free(text);
    cJSON_Delete(log);
}

/* --- faults --- */

Test(a1111_emu, faults_in_a1111s_shapes)
{
    emu_fault f = {.kind = EMU_FAULT_500, .path = "/sdapi/v1/txt2img", .count = 1};
    cr_assert_eq(emu_fault_push(a1111_emulator_server(emu), &f), 0);
    ec_result r = post("/sdapi/v1/txt2img", "{\"prompt\":\"x\"}");
    expect_error(&r, 500, "OutOfMemoryError", "CUDA out of memory");
    ec_result_free(&r);
    f.kind = EMU_FAULT_503;
    cr_assert_eq(emu_fault_push(a1111_emulator_server(emu), &f), 0);
    r = post("/sdapi/v1/txt2img", "{\"prompt\":\"x\"}");
    cr_expect_eq(r.status, 503);
    ec_result_free(&r);
    r = post("/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"width\":2048,\"height\":2048,"
                                  "\"batch_size\":5}");
    expect_error(&r, 500, "OutOfMemoryError", "CUDA out of memory");
    ec_result_free(&r);
    f.kind = EMU_FAULT_TIMEOUT;
    cr_assert_eq(emu_fault_push(a1111_emulator_server(emu), &f), 0);
    emu_held held;
    ec_call call = {.method = "POST", .url = url("/sdapi/v1/txt2img"), .body = "{}",
                    .timeout_ms = 60000};
    cr_assert_eq(emu_held_start(&held, a1111_emulator_server(emu), "/sdapi/v1/txt2img", &call),
                 0);
    long long t0 = emu_now_ms();
    a1111_emulator_stop(emu);
    emu = NULL;
    cr_expect_lt(emu_now_ms() - t0, 5000, "stop waited for the held request");
    r = emu_held_finish(&held);
    cr_expect_neq(r.curl_code, 0, "the held request got an answer");
    ec_result_free(&r);
}

Test(a1111_emu, stop_releases_a_held_job)
{
    a1111_emulator_set_progress_reads(emu, 1000000);
    emu_held held;
    start_held(&held, 1);
    cr_assert_eq(a1111_emulator_wait_running(emu, 30000), 0);
    long long t0 = emu_now_ms();
    a1111_emulator_stop(emu);
    emu = NULL;
    cr_expect_lt(emu_now_ms() - t0, 5000, "stop waited for the held job");
    ec_result r = emu_held_finish(&held);
    ec_result_free(&r);
}

/* --- the playground --- */

Test(a1111_emu, playground_binary_serves_with_auth)
{
    playground_process p = pp_start(IG_TEST_BINARY_DIR "/emulators/a1111-emulator", AUTH);
    char target[300];
    snprintf(target, sizeof target, "%s/sdapi/v1/progress", p.base_url);
    ec_result r = ec_get(target, NULL, 10000);
    cr_expect_eq(r.status, 401);
    ec_result_free(&r);
    const char *right[] = {BASIC, NULL};
    r = ec_send(&(ec_call){.method = "GET", .url = target, .headers = right,
                           .timeout_ms = 10000});
    cr_expect_eq(r.status, 200, "%s", r.body);
    ec_result_free(&r);
    pp_stop(&p);
}
