/*
 * test_fal_emulator.c - the fal queue emulator on its own, over raw HTTP:
 * the submit answer and its URLs, the IN_QUEUE -> IN_PROGRESS -> COMPLETED
 * progression counted in polls, results and CDN files, cancellation, the
 * key check (and the CDN refusing it), per-model validation, faults in
 * fal's shapes, and the playground binary.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "emulators/emu_client.h"
#include "emulators/emu_images.h"
#include "emulators/emu_test_util.h"
#include "emulators/fal_emulator.h"
#include "support/playground_process.h"
#include "support/test_images.h"

#define KEY "fal-test-key-0123456789abcdef"

static fal_emulator *emu;

static void setup(void)
{
    emu = fal_emulator_start(0, KEY);
    cr_assert(emu, "emulator did not start");
}

static void teardown(void)
{
    fal_emulator_stop(emu);
}

TestSuite(fal_emulator, .init = setup, .fini = teardown, .timeout = 60);

/* Any request with `Authorization: Key <key>` (key NULL = none). */
static ec_result send(const char *method, const char *url, const char *key, const char *body)
{
    char auth[256];
    snprintf(auth, sizeof auth, "Authorization: Key %s", key ? key : "");
    const char *headers[] = {auth, NULL};
    ec_call c = {.method = method, .url = url, .headers = key ? headers : NULL, .body = body,
                 .timeout_ms = 20000};
    return ec_send(&c);
}

static const char *url(const char *suffix)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s%s", fal_emulator_base_url(emu), suffix);
    return buf;
}

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static const cJSON *item(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* Submits body to model (asserting 200); returns the answer (free it). */
static cJSON *submit(const char *model, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "/%s", model);
    ec_result r = send("POST", url(path), KEY, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *doc = r.json;
    r.json = NULL;
    ec_result_free(&r);
    return doc;
}

/* One status poll (asserting 200); returns the answer (free it). */
static cJSON *poll(const cJSON *sub, bool logs)
{
    char u[600];
    snprintf(u, sizeof u, "%s%s", str(sub, "status_url"), logs ? "?logs=1" : "");
    ec_result r = send("GET", u, KEY, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *doc = r.json;
    r.json = NULL;
    ec_result_free(&r);
    return doc;
}

/* Asserts a 422 whose detail list has loc ["body", field] with type. */
static void expect_422(const ec_result *r, const char *field, const char *type)
{
    cr_assert_eq(r->status, 422, "%s", r->body);
    const cJSON *e;
    bool found = false;
    cJSON_ArrayForEach(e, item(r->json, "detail"))
    {
        const cJSON *loc = item(e, "loc");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(loc, 0)), "body");
        cr_expect(str(e, "msg") != NULL);
        const char *f = cJSON_GetStringValue(cJSON_GetArrayItem(loc, 1));
        found |= f && !strcmp(f, field) && !strcmp(str(e, "type"), type);
    }
    cr_expect(found, "no %s error for %s in %s", type, field, r->body);
}

Test(fal_emulator, submit_answers_queue_urls_without_the_model_subpath)
{
    cJSON *sub = submit("fal-ai/flux/dev", "{\"prompt\":\"a fox\"}");
    const char *id = str(sub, "request_id");
    cr_assert(id && strlen(id) == 36);
    char want[300];
    snprintf(want, sizeof want, "%s/fal-ai/flux/requests/%s", fal_emulator_base_url(emu), id);
    cr_expect_str_eq(str(sub, "response_url"), want);
    strcat(want, "/status");
    cr_expect_str_eq(str(sub, "status_url"), want);
    cr_expect(strstr(str(sub, "cancel_url"), "/requests/") != NULL);
    cr_expect_eq(item(sub, "queue_position")->valueint, 0);
    cr_expect_eq(fal_emulator_requests(emu, "fal-ai/flux/dev"), 1);
    cJSON_Delete(sub);
}

Test(fal_emulator, status_progresses_by_polls_then_the_result_and_files)
{
    fal_emulator_set_polls(emu, 2, 2);
    cJSON *sub = submit("fal-ai/flux/dev", "{\"prompt\":\"a fox\",\"num_images\":2,"
                                           "\"seed\":42,\"image_size\":\"portrait_16_9\","
                                           "\"output_format\":\"png\"}");
    ec_result early = send("GET", str(sub, "response_url"), KEY, NULL);
    cr_expect_eq(early.status, 400);
    cr_expect_str_eq(str(early.json, "detail"), "Request is still in progress");
    ec_result_free(&early);
    const char *want[] = {"IN_QUEUE", "IN_QUEUE", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED"};
    for (int i = 0; i < 5; i++) {
        cJSON *st = poll(sub, i != 2);
        cr_expect_str_eq(str(st, "status"), want[i], "poll %d", i);
        if (i < 2)
            cr_expect_eq(item(st, "queue_position")->valueint, 1 - i);
        if (i == 2)
            cr_expect(cJSON_IsNull(item(st, "logs")), "logs without ?logs=1");
        if (i == 3)
            cr_expect(cJSON_GetArraySize(item(st, "logs")) > 0);
        if (i == 4)
            cr_expect(cJSON_IsNumber(item(item(st, "metrics"), "inference_time")));
        cJSON_Delete(st);
    }
    ec_result r = send("GET", str(sub, "response_url"), KEY, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    const cJSON *images = item(r.json, "images");
    cr_assert_eq(cJSON_GetArraySize(images), 2);
    cr_expect_eq(item(r.json, "seed")->valuedouble, 42);
    cr_expect(cJSON_IsFalse(cJSON_GetArrayItem(item(r.json, "has_nsfw_concepts"), 1)));
    const cJSON *img = cJSON_GetArrayItem(images, 1);
    cr_expect_eq(item(img, "width")->valueint, 576);
    cr_expect_eq(item(img, "height")->valueint, 1024);
    cr_expect_str_eq(str(img, "content_type"), "image/png");
    ec_result file = send("GET", str(img, "url"), NULL, NULL);
    cr_assert_eq(file.status, 200);
    et_image decoded;
    cr_assert(et_decode((const unsigned char *)file.body, file.size, &decoded));
    cr_expect(decoded.width == 576 && decoded.height == 1024);
    cr_expect_str_eq(decoded.format, "png");
    ec_result_free(&file);
    /* The CDN refuses a request carrying the key (fal.media takes none). */
    file = send("GET", str(img, "url"), KEY, NULL);
    cr_expect_eq(file.status, 400);
    ec_result_free(&file);
    ec_result_free(&r);
    cJSON_Delete(sub);
}

Test(fal_emulator, the_key_is_checked_on_every_queue_path)
{
    ec_result r = send("POST", url("/fal-ai/flux/dev"), NULL, "{\"prompt\":\"a\"}");
    cr_expect_eq(r.status, 401);
    cr_expect_str_eq(str(r.json, "detail"), "Unauthorized");
    ec_result_free(&r);
    r = send("POST", url("/fal-ai/flux/dev"), "wrong-key", "{\"prompt\":\"a\"}");
    cr_expect_eq(r.status, 401);
    ec_result_free(&r);
    cJSON *sub = submit("fal-ai/flux/dev", "{\"prompt\":\"a\"}");
    r = send("GET", str(sub, "status_url"), NULL, NULL);
    cr_expect_eq(r.status, 401);
    ec_result_free(&r);
    cJSON_Delete(sub);
    r = send("GET", url("/fal-ai/flux/requests/00000000-0000-4000-8000-000000000000"), KEY,
             NULL);
    cr_expect_eq(r.status, 404);
    ec_result_free(&r);
    r = send("POST", url("/fal-ai/no-such-model"), KEY, "{}");
    cr_expect_eq(r.status, 404);
    ec_result_free(&r);
}

Test(fal_emulator, cancel_while_queued_then_after_completion)
{
    fal_emulator_set_polls(emu, 5, 1);
    cJSON *sub = submit("fal-ai/flux/dev", "{\"prompt\":\"a\"}");
    ec_result r = send("GET", str(sub, "cancel_url"), KEY, NULL);
    cr_expect_eq(r.status, 405, "cancel is a PUT");
    ec_result_free(&r);
    r = send("PUT", str(sub, "cancel_url"), KEY, NULL);
    cr_expect_eq(r.status, 202);
    cr_expect_str_eq(str(r.json, "status"), "CANCELLATION_REQUESTED");
    ec_result_free(&r);
    cJSON *st = poll(sub, true);
    cr_expect_str_eq(str(st, "status"), "COMPLETED");
    cJSON_Delete(st);
    r = send("GET", str(sub, "response_url"), KEY, NULL);
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(str(r.json, "detail"), "Request is cancelled");
    ec_result_free(&r);
    r = send("PUT", str(sub, "cancel_url"), KEY, NULL);
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(str(r.json, "status"), "ALREADY_COMPLETED");
    ec_result_free(&r);
    cr_expect_eq(fal_emulator_cancellations(emu), 1);
    cJSON_Delete(sub);
}

Test(fal_emulator, validation_reports_every_bad_field)
{
    ec_result r = send("POST", url("/fal-ai/flux/dev"), KEY,
                       "{\"num_images\":9,\"image_size\":\"huge\",\"output_format\":\"webp\","
                       "\"seed\":1.5,\"enable_safety_checker\":\"yes\"}");
    expect_422(&r, "prompt", "missing");
    expect_422(&r, "num_images", "less_than_equal");
    expect_422(&r, "image_size", "literal_error");
    expect_422(&r, "output_format", "literal_error");
    expect_422(&r, "seed", "int_from_float");
    expect_422(&r, "enable_safety_checker", "bool_type");
    cr_expect_eq(cJSON_GetArraySize(item(r.json, "detail")), 6);
    ec_result_free(&r);
    r = send("POST", url("/fal-ai/flux/dev/image-to-image"), KEY,
             "{\"prompt\":\"a\",\"image_url\":\"data:image/png;base64,AAAA\",\"strength\":2}");
    expect_422(&r, "image_url", "image_load_error");
    expect_422(&r, "strength", "less_than_equal");
    ec_result_free(&r);
    r = send("POST", url("/fal-ai/flux-lora/inpainting"), KEY, "{\"prompt\":\"a\"}");
    expect_422(&r, "image_url", "missing");
    expect_422(&r, "mask_url", "missing");
    ec_result_free(&r);
    r = send("POST", url("/fal-ai/flux-pulid"), KEY, "{\"prompt\":\"a\",\"id_weight\":\"x\"}");
    expect_422(&r, "reference_image_url", "missing");
    expect_422(&r, "id_weight", "float_type");
    ec_result_free(&r);
    r = send("POST", url("/fal-ai/ip-adapter-face-id"), KEY, "{\"prompt\":\"a\"}");
    expect_422(&r, "face_image_url", "missing");
    ec_result_free(&r);
    r = send("POST", url("/fal-ai/flux/dev"), KEY, "[1]");
    cr_expect_eq(r.status, 422);
    ec_result_free(&r);
    cr_expect_eq(fal_emulator_requests(emu, NULL), 0);
}

/* A data URI of a w x h PNG; malloc'd. */
static char *png_uri(int w, int h)
{
    size_t size = 0;
    unsigned char *png = ti_encode("png", w, h, 3, &size);
    char *uri = ti_data_url("image/png", png, size);
    free(png);
    return uri;
}

/* Runs a submitted request to COMPLETED and returns its result (free it). */
static cJSON *run(const char *model, const char *body)
{
    fal_emulator_set_polls(emu, 0, 0);
    cJSON *sub = submit(model, body);
    cJSON *st = poll(sub, false);
    cr_assert_str_eq(str(st, "status"), "COMPLETED");
    cJSON_Delete(st);
    ec_result r = send("GET", str(sub, "response_url"), KEY, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *doc = r.json;
    r.json = NULL;
    ec_result_free(&r);
    cJSON_Delete(sub);
    return doc;
}

Test(fal_emulator, models_size_their_output_like_the_real_ones)
{
    char *uri = png_uri(200, 120);
    size_t cap = 2 * strlen(uri) + 200;
    char *body = malloc(cap);
    cr_assert(body);
    snprintf(body, cap, "{\"image_url\":\"%s\",\"scale\":4}", uri);
    cJSON *doc = run("fal-ai/esrgan", body);
    const cJSON *img = item(doc, "image");
    cr_assert(cJSON_IsObject(img), "esrgan answers {\"image\": {...}}");
    cr_expect(item(img, "width")->valueint == 800 && item(img, "height")->valueint == 480);
    cr_expect_str_eq(str(img, "content_type"), "image/png");
    cJSON_Delete(doc);
    snprintf(body, cap, "{\"prompt\":\"p\",\"image_url\":\"%s\",\"mask_url\":\"%s\"}", uri,
             uri);
    doc = run("fal-ai/flux-lora/inpainting", body);
    img = cJSON_GetArrayItem(item(doc, "images"), 0);
    cr_expect(item(img, "width")->valueint == 200 && item(img, "height")->valueint == 120);
    cJSON_Delete(doc);
    doc = run("fal-ai/flux/dev", "{\"prompt\":\"p\",\"image_size\":{\"width\":1000,"
                                 "\"height\":700}}");
    img = cJSON_GetArrayItem(item(doc, "images"), 0);
    cr_expect(item(img, "width")->valueint == 992 && item(img, "height")->valueint == 688,
              "custom sizes floor to 16");
    cr_expect_str_eq(str(img, "content_type"), "image/jpeg");
    cJSON_Delete(doc);
    free(uri), free(body);
}

/* Queues one fault. */
static void fault(emu_fault_kind kind, const char *path, int retry_after)
{
    emu_fault f = {.kind = kind, .path = path, .count = 1, .retry_after = retry_after};
    cr_assert_eq(emu_fault_push(fal_emulator_server(emu), &f), 0);
}

Test(fal_emulator, faults_in_fals_shapes)
{
    fault(EMU_FAULT_429, "/fal-ai/flux/dev", 7);
    ec_result r = send("POST", url("/fal-ai/flux/dev"), KEY, "{\"prompt\":\"a\"}");
    cr_expect_eq(r.status, 429);
    char *retry = ec_header(&r, "X-Fal-Retryable"), *after = ec_header(&r, "Retry-After");
    cr_expect(retry && !strcmp(retry, "true"));
    cr_expect(after && !strcmp(after, "7"));
    free(retry), free(after);
    ec_result_free(&r);
    fault(EMU_FAULT_QUOTA, "/fal-ai/flux/dev", -1);
    r = send("POST", url("/fal-ai/flux/dev"), KEY, "{\"prompt\":\"a\"}");
    cr_expect_eq(r.status, 403);
    cr_expect(strstr(str(r.json, "detail"), "Exhausted balance"));
    ec_result_free(&r);
    fault(EMU_FAULT_MODERATION, "/fal-ai/flux/dev", -1);
    r = send("POST", url("/fal-ai/flux/dev"), KEY, "{\"prompt\":\"a\"}");
    expect_422(&r, "prompt", "content_policy_violation");
    ec_result_free(&r);
    fault(EMU_FAULT_INVALID, "/fal-ai/flux/dev", -1);
    r = send("POST", url("/fal-ai/flux/dev"), KEY, "{\"prompt\":\"a\"}");
    expect_422(&r, "num_images", "less_than_equal");
    ec_result_free(&r);
    cr_expect_eq(fal_emulator_requests(emu, NULL), 0, "faulted submits were accepted");
}

Test(fal_emulator, flagged_images_and_failed_jobs)
{
    fault(EMU_FAULT_MODERATION, "/fal-ai/flux/requests", -1);
    cJSON *doc = run("fal-ai/flux/dev", "{\"prompt\":\"a\",\"num_images\":2}");
    const cJSON *nsfw = item(doc, "has_nsfw_concepts");
    cr_expect(cJSON_IsTrue(cJSON_GetArrayItem(nsfw, 0)));
    cr_expect(cJSON_IsTrue(cJSON_GetArrayItem(nsfw, 1)));
    cJSON_Delete(doc);
    fal_emulator_flag_next(emu, 1);
    doc = run("fal-ai/flux/dev", "{\"prompt\":\"a\",\"num_images\":2}");
    nsfw = item(doc, "has_nsfw_concepts");
    cr_expect(cJSON_IsTrue(cJSON_GetArrayItem(nsfw, 0)));
    cr_expect(cJSON_IsFalse(cJSON_GetArrayItem(nsfw, 1)));
    for (int i = 0; i < 2; i++) { /* the flagged file is black, the other is not */
        const char *u = str(cJSON_GetArrayItem(item(doc, "images"), i), "url");
        ec_result file = send("GET", u, NULL, NULL);
        cr_assert_eq(file.status, 200);
        VipsImage *img = vips_image_new_from_buffer(file.body, file.size, "", NULL);
        double avg = -1;
        cr_assert(img && vips_avg(img, &avg, NULL) == 0);
        cr_expect(i == 0 ? avg == 0 : avg > 0, "image %d averages %g", i, avg);
        g_object_unref(img);
        ec_result_free(&file);
    }
    cJSON_Delete(doc);
    fal_emulator_fail_next(emu, 1);
    fal_emulator_set_polls(emu, 0, 0);
    cJSON *sub = submit("fal-ai/flux/dev", "{\"prompt\":\"a\"}");
    cJSON *st = poll(sub, false);
    cr_expect_str_eq(str(st, "status"), "COMPLETED");
    cJSON_Delete(st);
    ec_result r = send("GET", str(sub, "response_url"), KEY, NULL);
    cr_expect_eq(r.status, 500);
    char *retry = ec_header(&r, "X-Fal-Retryable");
    cr_expect(retry && !strcmp(retry, "false"));
    free(retry);
    ec_result_free(&r);
    cJSON_Delete(sub);
    fault(EMU_FAULT_EXPIRED, "/cdn", -1);
    r = send("GET", url("/cdn/files/x/0.png"), NULL, NULL);
    cr_expect_eq(r.status, 404);
    ec_result_free(&r);
}

Test(fal_emulator, playground_binary_serves_and_exits_on_sigterm)
{
    playground_process p = pp_start(IG_TEST_BINARY_DIR "/emulators/fal-emulator", "fal-play");
    char u[300];
    snprintf(u, sizeof u, "%s/fal-ai/flux/dev", p.base_url);
    ec_result r = send("POST", u, "fal-play", "{\"prompt\":\"a fox\"}");
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect(str(r.json, "status_url") != NULL);
    ec_result_free(&r);
    pp_stop(&p);
}
