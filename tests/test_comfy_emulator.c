/*
 * test_comfy_emulator.c - the ComfyUI emulator over raw HTTP: server info,
 * /object_info, uploads, validate_prompt's 400 shapes, the queue (one
 * prompt at a time, advanced by reads), history, /view image sizes,
 * delete and interrupt, execution errors, faults and Basic auth.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/comfy_test_util.h"
#include "emulators/emu_held.h"
#include "emulators/emu_images.h"

TestSuite(comfy_emu, .init = ct_start, .fini = ct_stop, .timeout = 60);

static const char *s(const cJSON *obj, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
    return v ? v : "";
}

static cJSON *at(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

Test(comfy_emu, system_stats_and_object_info)
{
    ec_result r = ec_get(ct_url("/system_stats"), NULL, 10000);
    cr_assert_eq(r.status, 200);
    cr_expect_str_eq(s(at(r.json, "system"), "comfyui_version"), "0.3.40");
    cr_expect_eq(cJSON_GetArraySize(at(r.json, "devices")), 1);
    ec_result_free(&r);

    r = ec_get(ct_url("/object_info/CheckpointLoaderSimple"), NULL, 10000);
    const cJSON *spec = at(at(at(at(r.json, "CheckpointLoaderSimple"), "input"), "required"),
                           "ckpt_name");
    cr_expect_str_eq(cJSON_GetArrayItem(cJSON_GetArrayItem(spec, 0), 0)->valuestring,
                     "v1-5-pruned-emaonly.safetensors");
    ec_result_free(&r);

    r = ec_get(ct_url("/object_info/UpscaleModelLoader"), NULL, 10000);
    spec = at(at(at(at(r.json, "UpscaleModelLoader"), "input"), "required"), "model_name");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetArrayItem(spec, 0)), 2);
    ec_result_free(&r);
    comfy_emulator_set_upscalers(ct_emu, false);
    r = ec_get(ct_url("/object_info/UpscaleModelLoader"), NULL, 10000);
    spec = at(at(at(at(r.json, "UpscaleModelLoader"), "input"), "required"), "model_name");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetArrayItem(spec, 0)), 0);
    ec_result_free(&r);

    r = ec_get(ct_url("/object_info/IPAdapterAdvanced"), NULL, 10000);
    cr_expect_eq(r.status, 200);
    cr_expect_eq(cJSON_GetArraySize(r.json), 0, "unknown nodes answer {}");
    ec_result_free(&r);
    comfy_emulator_set_ipadapter(ct_emu, true);
    r = ec_get(ct_url("/object_info"), NULL, 10000);
    cr_expect(at(r.json, "IPAdapterAdvanced") && at(r.json, "KSampler") &&
              at(r.json, "ImagePadForOutpaint"));
    cr_expect(cJSON_IsTrue(at(at(r.json, "SaveImage"), "output_node")));
    ec_result_free(&r);
}

Test(comfy_emu, upload_keeps_or_renames)
{
    ec_result r = ct_upload("a.png", 64, 48, "true");
    cr_assert_eq(r.status, 200);
    cr_expect_str_eq(s(r.json, "name"), "a.png");
    cr_expect_str_eq(s(r.json, "type"), "input");
    ec_result_free(&r);
    r = ct_upload("a.png", 64, 48, NULL); /* no overwrite: a new name */
    cr_expect_str_eq(s(r.json, "name"), "a (1).png");
    ec_result_free(&r);
    r = ct_upload("../evil.png", 8, 8, "true");
    cr_expect_eq(r.status, 400);
    ec_result_free(&r);
    r = ec_get(ct_url("/view?filename=a.png&type=input&subfolder="), NULL, 10000);
    emu_probe p;
    cr_assert(emu_image_probe((unsigned char *)r.body, r.size, &p));
    cr_expect_eq(p.width, 64);
    ec_result_free(&r);
    cr_expect_eq(comfy_emulator_uploads(ct_emu), 2);
}

/* Queues graph and expects a 400 whose error.type is type and, when
 * node is given, node_errors[node].errors[0].type is node_type. */
static void expect_invalid(cJSON *graph, const char *type, const char *node,
                           const char *node_type)
{
    ec_result r = ct_queue(graph, "c");
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_expect_str_eq(s(at(r.json, "error"), "type"), type);
    cr_expect(cJSON_IsObject(at(at(r.json, "error"), "extra_info")));
    if (node) {
        const cJSON *ne = at(at(r.json, "node_errors"), node);
        cr_assert(ne, "%s", r.body);
        cr_expect_str_eq(s(cJSON_GetArrayItem(at(ne, "errors"), 0), "type"), node_type);
        cr_expect(cJSON_GetArraySize(at(ne, "dependent_outputs")) == 1);
        cr_expect(*s(ne, "class_type"));
    }
    ec_result_free(&r);
    cJSON_Delete(graph);
}

Test(comfy_emu, validation_like_validate_prompt)
{
    ec_result r = ec_post_json(ct_url("/prompt"), NULL, "{\"client_id\":\"x\"}", 10000);
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(s(at(r.json, "error"), "type"), "no_prompt");
    ec_result_free(&r);

    cJSON *g = ct_txt2img(512, 512, 1, "t");
    cJSON_ReplaceItemInObject(at(g, "3"), "class_type", cJSON_CreateString("KSamplerX"));
    expect_invalid(g, "missing_node_type", NULL, NULL);

    g = ct_txt2img(512, 512, 1, "t");
    cJSON_DeleteItemFromObject(at(g, "3"), "class_type");
    expect_invalid(g, "invalid_prompt", NULL, NULL);

    g = ct_txt2img(512, 512, 1, "t");
    cJSON_DeleteItemFromObject(g, "9");
    expect_invalid(g, "prompt_no_outputs", NULL, NULL);

    g = ct_txt2img(512, 512, 1, "t");
    cJSON_DeleteItemFromObject(at(at(g, "3"), "inputs"), "steps");
    expect_invalid(g, "prompt_outputs_failed_validation", "3", "required_input_missing");

    g = ct_txt2img(512, 512, 1, "t");
    cJSON_ReplaceItemInObject(at(at(g, "4"), "inputs"), "ckpt_name",
                              cJSON_CreateString("nope.safetensors"));
    expect_invalid(g, "prompt_outputs_failed_validation", "4", "value_not_in_list");

    g = ct_txt2img(512, 512, 1, "t");
    cJSON *bad = cJSON_CreateArray();
    cJSON_AddItemToArray(bad, cJSON_CreateString("99"));
    cJSON_AddItemToArray(bad, cJSON_CreateNumber(0));
    cJSON_ReplaceItemInObject(at(at(g, "3"), "inputs"), "model", bad);
    expect_invalid(g, "prompt_outputs_failed_validation", "3", "bad_linked_input");

    g = ct_txt2img(512, 512, 1, "t"); /* CLIP where MODEL is wanted */
    bad = cJSON_CreateArray();
    cJSON_AddItemToArray(bad, cJSON_CreateString("4"));
    cJSON_AddItemToArray(bad, cJSON_CreateNumber(1));
    cJSON_ReplaceItemInObject(at(at(g, "3"), "inputs"), "model", bad);
    expect_invalid(g, "prompt_outputs_failed_validation", "3", "return_type_mismatch");

    g = ct_txt2img(512, 512, 1, "t");
    cJSON_ReplaceItemInObject(at(at(g, "3"), "inputs"), "denoise", cJSON_CreateNumber(1.5));
    expect_invalid(g, "prompt_outputs_failed_validation", "3", "value_bigger_than_max");

    g = ct_txt2img(512, 512, 1, "t");
    cJSON_ReplaceItemInObject(at(at(g, "5"), "inputs"), "width", cJSON_CreateString("wide"));
    expect_invalid(g, "prompt_outputs_failed_validation", "5", "invalid_input_type");
    cr_expect_eq(comfy_emulator_prompts(ct_emu), 0);
}

Test(comfy_emu, a_prompt_runs_steps_then_has_history_and_images)
{
    cJSON *g = ct_txt2img(640, 448, 2, "ig-test");
    ec_result r = ct_queue(g, "me");
    cJSON_Delete(g);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char id[64];
    snprintf(id, sizeof id, "%s", s(r.json, "prompt_id"));
    cr_expect_eq(cJSON_GetNumberValue(at(r.json, "number")), 0);
    cr_expect_eq(cJSON_GetArraySize(at(r.json, "node_errors")), 0);
    ec_result_free(&r);

    char path[128];
    snprintf(path, sizeof path, "/history/%s", id);
    r = ec_get(ct_url(path), NULL, 10000); /* step 1 of 3 */
    cr_expect_str_eq(r.body, "{}");
    ec_result_free(&r);
    r = ec_get(ct_url("/queue"), NULL, 10000); /* step 2 */
    cr_expect_eq(cJSON_GetArraySize(at(r.json, "queue_running")), 1);
    const cJSON *entry = cJSON_GetArrayItem(at(r.json, "queue_running"), 0);
    cr_expect_str_eq(cJSON_GetArrayItem(entry, 1)->valuestring, id);
    cr_expect_str_eq(s(cJSON_GetArrayItem(entry, 3), "client_id"), "me");
    ec_result_free(&r);
    r = ec_get(ct_url("/prompt"), NULL, 10000); /* step 3: done */
    cr_expect_eq(cJSON_GetNumberValue(at(at(r.json, "exec_info"), "queue_remaining")), 0);
    ec_result_free(&r);

    r = ec_get(ct_url(path), NULL, 10000);
    const cJSON *h = at(r.json, id);
    cr_assert(h, "%s", r.body);
    cr_expect_str_eq(s(at(h, "status"), "status_str"), "success");
    cr_expect(cJSON_IsTrue(at(at(h, "status"), "completed")));
    const cJSON *images = at(at(at(h, "outputs"), "9"), "images");
    cr_assert_eq(cJSON_GetArraySize(images), 2);
    const cJSON *img = cJSON_GetArrayItem(images, 1);
    cr_expect(!strncmp(s(img, "filename"), "ig-test_", 8));
    cr_expect_str_eq(s(img, "type"), "output");
    char view[300];
    snprintf(view, sizeof view, "/view?filename=%s&subfolder=&type=output", s(img, "filename"));
    ec_result_free(&r);
    r = ec_get(ct_url(view), NULL, 10000);
    cr_assert_eq(r.status, 200);
    emu_probe p;
    cr_assert(emu_image_probe((unsigned char *)r.body, r.size, &p));
    cr_expect_eq(p.width, 640);
    cr_expect_eq(p.height, 448);
    cr_expect_str_eq(p.format, "png");
    ec_result_free(&r);
    r = ec_get(ct_url("/view?filename=missing.png&type=output"), NULL, 10000);
    cr_expect_eq(r.status, 404);
    ec_result_free(&r);
}

/* A graph LoadImage(name) -> [middle] -> SaveImage, built from JSON text
 * where %s is the uploaded name. */
static cJSON *graph_from(const char *fmt, const char *name)
{
    char text[4096];
    snprintf(text, sizeof text, fmt, name, name);
    cJSON *g = cJSON_Parse(text);
    cr_assert(g, "%s", text);
    return g;
}

/* Runs graph and returns the first output image's size. */
static void run_size(cJSON *graph, int *w, int *h)
{
    ec_result r = ct_queue(graph, "me");
    cJSON_Delete(graph);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *entry = ct_wait_history(s(r.json, "prompt_id"));
    ec_result_free(&r);
    cr_assert(entry);
    const cJSON *outs = at(entry, "outputs");
    const cJSON *img = cJSON_GetArrayItem(at(outs->child, "images"), 0);
    char view[300];
    snprintf(view, sizeof view, "/view?filename=%s&type=output", s(img, "filename"));
    cJSON_Delete(entry);
    r = ec_get(ct_url(view), NULL, 10000);
    emu_probe p;
    cr_assert(emu_image_probe((unsigned char *)r.body, r.size, &p));
    *w = p.width, *h = p.height;
    ec_result_free(&r);
}

Test(comfy_emu, output_sizes_follow_the_graph)
{
    ec_result u = ct_upload("src.png", 300, 200, "true");
    ec_result_free(&u);
    int w, h;
    run_size(graph_from(
                 "{\"1\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":\"%s\"}},"
                 "\"2\":{\"class_type\":\"UpscaleModelLoader\",\"inputs\":{\"model_name\":"
                 "\"RealESRGAN_x2plus.pth\"}},\"3\":{\"class_type\":\"ImageUpscaleWithModel\","
                 "\"inputs\":{\"upscale_model\":[\"2\",0],\"image\":[\"1\",0]}},"
                 "\"4\":{\"class_type\":\"SaveImage\",\"inputs\":{\"images\":[\"3\",0],"
                 "\"filename_prefix\":\"up\"}}}", "src.png"), &w, &h);
    cr_expect(w == 600 && h == 400, "%dx%d", w, h);
    run_size(graph_from(
                 "{\"1\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":\"%s\"}},"
                 "\"2\":{\"class_type\":\"ImageScaleBy\",\"inputs\":{\"image\":[\"1\",0],"
                 "\"upscale_method\":\"lanczos\",\"scale_by\":4}},"
                 "\"4\":{\"class_type\":\"SaveImage\",\"inputs\":{\"images\":[\"2\",0],"
                 "\"filename_prefix\":\"by\"}}}", "src.png"), &w, &h);
    cr_expect(w == 1200 && h == 800, "%dx%d", w, h);
    /* Outpaint: padded, then cropped to multiples of 8 by the VAE. */
    cJSON *g = ct_txt2img(8, 8, 1, "out");
    cJSON *pad = cJSON_Parse("{\"class_type\":\"ImagePadForOutpaint\",\"inputs\":{\"image\":"
                             "[\"10\",0],\"left\":64,\"top\":0,\"right\":30,\"bottom\":10,"
                             "\"feathering\":40}}");
    cJSON_AddItemToObject(g, "11", pad);
    cJSON_AddItemToObject(g, "10", cJSON_Parse("{\"class_type\":\"LoadImage\",\"inputs\":"
                                               "{\"image\":\"src.png\"}}"));
    cJSON_ReplaceItemInObject(g, "5", cJSON_Parse(
        "{\"class_type\":\"VAEEncodeForInpaint\",\"inputs\":{\"pixels\":[\"11\",0],"
        "\"vae\":[\"4\",2],\"mask\":[\"11\",1],\"grow_mask_by\":8}}"));
    run_size(g, &w, &h);
    cr_expect(w == 392 && h == 208, "%dx%d", w, h);
}

Test(comfy_emu, pending_prompts_are_deleted_running_ones_interrupted)
{
    comfy_emulator_queue_foreign(ct_emu, 1000);
    cJSON *g = ct_txt2img(512, 512, 1, "q");
    ec_result r = ct_queue(g, "me");
    cJSON_Delete(g);
    char id[64], body[160];
    snprintf(id, sizeof id, "%s", s(r.json, "prompt_id"));
    cr_expect_eq(cJSON_GetNumberValue(at(r.json, "number")), 1);
    ec_result_free(&r);
    r = ec_get(ct_url("/queue"), NULL, 10000);
    cr_expect_eq(cJSON_GetArraySize(at(r.json, "queue_running")), 1);
    cr_expect_eq(cJSON_GetArraySize(at(r.json, "queue_pending")), 1);
    ec_result_free(&r);
    snprintf(body, sizeof body, "{\"delete\":[\"%s\"]}", id);
    r = ec_post_json(ct_url("/queue"), NULL, body, 10000);
    cr_expect_eq(r.status, 200);
    ec_result_free(&r);
    cr_expect_eq(comfy_emulator_deleted(ct_emu), 1);
    /* The foreign prompt runs: an interrupt naming another prompt leaves it. */
    r = ec_post_json(ct_url("/interrupt"), NULL, "{\"prompt_id\":\"other\"}", 10000);
    ec_result_free(&r);
    cr_expect_eq(comfy_emulator_interrupted(ct_emu), 0);
    r = ec_post_json(ct_url("/interrupt"), NULL, "{}", 10000);
    ec_result_free(&r);
    cr_expect_eq(comfy_emulator_interrupted(ct_emu), 1);
    r = ec_get(ct_url("/history"), NULL, 10000);
    const cJSON *entry = cJSON_GetArrayItem(r.json, 0);
    cr_assert(entry, "%s", r.body);
    cr_expect_str_eq(s(at(entry, "status"), "status_str"), "error");
    const cJSON *last = cJSON_GetArrayItem(at(at(entry, "status"), "messages"), 1);
    cr_expect_str_eq(cJSON_GetArrayItem(last, 0)->valuestring, "execution_interrupted");
    ec_result_free(&r);
}

Test(comfy_emu, execution_error_and_faults)
{
    comfy_emulator_fail_next(ct_emu, 1);
    cJSON *g = ct_txt2img(512, 512, 1, "f");
    ec_result r = ct_queue(g, "me");
    cJSON *entry = ct_wait_history(s(r.json, "prompt_id"));
    ec_result_free(&r);
    cr_assert(entry);
    cr_expect_str_eq(s(at(entry, "status"), "status_str"), "error");
    const cJSON *m = cJSON_GetArrayItem(at(at(entry, "status"), "messages"), 1);
    cr_expect_str_eq(cJSON_GetArrayItem(m, 0)->valuestring, "execution_error");
    cr_expect(strstr(s(cJSON_GetArrayItem(m, 1), "exception_message"), "out of memory"));
    cr_expect_str_eq(s(cJSON_GetArrayItem(m, 1), "node_type"), "KSampler");
    cJSON_Delete(entry);

    emu_fault f = {.kind = EMU_FAULT_INVALID, .path = "/prompt", .count = 1};
    emu_fault_push(comfy_emulator_server(ct_emu), &f);
    r = ct_queue(g, "me");
    cr_expect_eq(r.status, 200);
    entry = ct_wait_history(s(r.json, "prompt_id"));
    ec_result_free(&r);
    cr_expect_str_eq(s(at(entry, "status"), "status_str"), "error");
    cJSON_Delete(entry);

    f = (emu_fault){.kind = EMU_FAULT_500, .path = "/prompt", .count = 1};
    emu_fault_push(comfy_emulator_server(ct_emu), &f);
    r = ct_queue(g, "me");
    cr_expect_eq(r.status, 500);
    cr_expect(strstr(r.body, "Server got itself in trouble"));
    ec_result_free(&r);
    f = (emu_fault){.kind = EMU_FAULT_MALFORMED, .path = "/queue", .count = 1};
    emu_fault_push(comfy_emulator_server(ct_emu), &f);
    r = ec_get(ct_url("/queue"), NULL, 10000);
    cr_expect_eq(r.status, 200);
    cr_expect_null(r.json);
    ec_result_free(&r);
    f = (emu_fault){.kind = EMU_FAULT_RESET, .path = "/history", .count = 1};
    emu_fault_push(comfy_emulator_server(ct_emu), &f);
    r = ec_get(ct_url("/history"), NULL, 10000);
    cr_expect_neq(r.curl_code, 0);
    ec_result_free(&r);
    cJSON_Delete(g);
    cr_expect_eq(comfy_emulator_prompts(ct_emu), 2);
}

Test(comfy_emu, basic_auth_when_asked)
{
    ct_stop();
    ct_emu = comfy_emulator_start(0, "alice:secret");
    ec_result r = ec_get(ct_url("/system_stats"), NULL, 10000);
    cr_expect_eq(r.status, 401);
    ec_result_free(&r);
    const char *headers[] = {"Authorization: Basic YWxpY2U6c2VjcmV0", NULL};
    ec_call call = {.method = "GET", .url = ct_url("/system_stats"), .headers = headers,
                    .timeout_ms = 10000};
    r = ec_send(&call);
    cr_expect_eq(r.status, 200);
    ec_result_free(&r);
}

Test(comfy_emu, a_held_request_does_not_keep_stop_waiting)
{
    emu_fault f = {.kind = EMU_FAULT_TIMEOUT, .path = "/history", .count = 1};
    emu_fault_push(comfy_emulator_server(ct_emu), &f);
    emu_held held;
    ec_call call = {.method = "GET", .url = ct_url("/history"), .timeout_ms = 30000};
    cr_assert_eq(emu_held_start(&held, comfy_emulator_server(ct_emu), "/history", &call), 0);
    long long t0 = emu_now_ms();
    ct_stop();
    cr_expect_lt(emu_now_ms() - t0, 5000, "stop waited for the held request");
    ec_result r = emu_held_finish(&held);
    cr_expect_eq(r.status, 0, "a held request gets no answer");
    ec_result_free(&r);
    ct_start(); /* for the suite's fini */
}
