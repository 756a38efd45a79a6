/*
 * test_replicate_emulator.c - the Replicate emulator on its own, over raw
 * HTTP: official and versioned predictions, Prefer: wait, ticks before
 * completion, cancel, the stream, output files on the delivery path (no
 * token), model/version lookup, input validation in the API's 422 shape,
 * and every answer held against the spec's prediction response schema.
 * Faults are in test_replicate_emulator_faults.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_images.h"
#include "emulators/replicate_test_util.h"
#include "support/test_images.h"

static replicate_emulator *emu;

static void setup(void)
{
    emu = rt_start();
}

static void teardown(void)
{
    replicate_emulator_stop(emu);
}

TestSuite(replicate_emulator, .init = setup, .fini = teardown, .timeout = 60);

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static const char *url_of(const cJSON *prediction, const char *which)
{
    return str(cJSON_GetObjectItem(prediction, "urls"), which);
}

/* GETs an output URL without a token and decodes it. */
static emu_probe fetch_output(const char *url)
{
    ec_result r = rt_call("GET", url, NULL, NULL, NULL);
    cr_assert_eq(r.status, 200, "%s: %ld %.200s", url, r.status, r.body);
    emu_probe probe;
    cr_assert(emu_image_probe((unsigned char *)r.body, r.size, &probe), "not an image");
    ec_result_free(&r);
    return probe;
}

/* Asserts a problem-details answer with status (and invalid field, if given). */
static void expect_problem(const ec_result *r, long status, const char *field)
{
    cr_assert_eq(r->status, status, "%ld: %.400s", r->status, r->body);
    cr_expect(str(r->json, "title") && str(r->json, "detail"), "%s", r->body);
    cr_expect_eq(cJSON_GetObjectItem(r->json, "status")->valuedouble, status);
    char *type = ec_header(r, "Content-Type");
    cr_expect(type && strstr(type, "application/problem+json"), "%s", type ? type : "none");
    free(type);
    if (!field)
        return;
    const cJSON *e, *fields = cJSON_GetObjectItem(r->json, "invalid_fields");
    bool found = false;
    cJSON_ArrayForEach(e, fields)
    found |= !strcmp(str(e, "field"), field) && str(e, "type") && str(e, "description");
    cr_expect(found, "no invalid field %s in %s", field, r->body);
}

Test(replicate_emulator, prefer_wait_answers_finished_and_files_need_no_token)
{
    ec_result r = rt_create(emu, RT_FLUX, "{\"prompt\":\"a fox\",\"num_outputs\":2,"
                            "\"aspect_ratio\":\"16:9\",\"seed\":5}", "wait=10");
    cr_assert_eq(r.status, 201, "%s", r.body);
    rt_expect_schema(r.json, "schemas_prediction_response", "sync create");
    cr_expect_str_eq(str(r.json, "status"), "succeeded");
    cr_expect_str_eq(str(r.json, "version"), "hidden");
    cr_expect_str_eq(str(r.json, "model"), RT_FLUX);
    const cJSON *output = cJSON_GetObjectItem(r.json, "output");
    cr_assert_eq(cJSON_GetArraySize(output), 2);
    for (int i = 0; i < 2; i++) {
        emu_probe p = fetch_output(cJSON_GetArrayItem(output, i)->valuestring);
        cr_expect_eq(p.width, 1344);
        cr_expect_eq(p.height, 768);
        cr_expect_str_eq(p.format, "webp");
    }
    cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "metrics"),
                                                 "predict_time")));
    cJSON *log = emu_request_log(replicate_emulator_server(emu));
    const cJSON *entry;
    int deliveries = 0;
    cJSON_ArrayForEach(entry, log)
    if (!strncmp(str(entry, "path"), "/delivery/", 10)) {
        deliveries++;
        cr_expect_str_eq(str(entry, "auth"), "absent");
    }
    cr_expect_eq(deliveries, 2);
    cJSON_Delete(log);
    ec_result_free(&r);
}

Test(replicate_emulator, without_wait_a_prediction_takes_its_ticks)
{
    replicate_emulator_set_ticks(emu, 3);
    ec_result r = rt_create(emu, RT_FLUX, "{\"prompt\":\"a fox\",\"output_format\":\"png\"}",
                            NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(str(r.json, "status"), "starting");
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(r.json, "output")));
    rt_expect_schema(r.json, "schemas_prediction_response", "starting");
    char *get = strdup(url_of(r.json, "get"));
    ec_result_free(&r);
    const char *expected[] = {"processing", "processing", "succeeded", "succeeded"};
    for (int i = 0; i < 4; i++) {
        ec_result g = rt_call("GET", get, RT_TOKEN, NULL, NULL);
        cr_assert_eq(g.status, 200);
        rt_expect_schema(g.json, "schemas_prediction_response", "poll");
        cr_expect_str_eq(str(g.json, "status"), expected[i], "read %d", i + 1);
        if (i == 3) {
            emu_probe p = fetch_output(cJSON_GetArrayItem(cJSON_GetObjectItem(g.json, "output"),
                                                          0)->valuestring);
            cr_expect_str_eq(p.format, "png");
            cr_expect_eq(p.width, 1024);
        }
        ec_result_free(&g);
    }
    free(get);
}

Test(replicate_emulator, a_wait_that_runs_out_answers_202_starting)
{
    replicate_emulator_set_wait_completes(emu, false);
    ec_result r = rt_create(emu, RT_FLUX, "{\"prompt\":\"a fox\"}", "wait=5");
    cr_expect_eq(r.status, 202, "%s", r.body);
    cr_expect_str_eq(str(r.json, "status"), "starting");
    rt_expect_schema(r.json, "schemas_prediction_response", "202");
    ec_result_free(&r);
}

Test(replicate_emulator, prefer_follows_the_spec_pattern)
{
    const char *values[] = {"wait", "wait=1", "wait=60", "wait=61", "wait=0", "wait=5s",
                            "respond-async"};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        ec_result r = rt_create(emu, RT_FLUX, "{\"prompt\":\"a fox\"}", values[i]);
        bool spec_ok = rt_prefer_valid(values[i]);
        cr_expect_eq(r.status == 201, spec_ok, "Prefer %s: %ld", values[i], r.status);
        if (!spec_ok)
            expect_problem(&r, 400, NULL);
        ec_result_free(&r);
    }
}

/* The spec's Cancel-After: a duration (h, m, s parts, or plain seconds) of
 * at least 5 s. */
Test(replicate_emulator, cancel_after_follows_the_spec)
{
    static const struct {
        const char *value;
        bool ok;
    } cases[] = {{"5s", true},  {"300s", true},  {"5m", true},   {"1h30m45s", true},
                 {"30", true},  {"2h30m", true}, {"4s", false},  {"4", false},
                 {"5x", false}, {"30s5m", false}, {"-10s", false}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char header[64];
        snprintf(header, sizeof header, "Cancel-After: %s", cases[i].value);
        const char *headers[] = {"Authorization: Bearer " RT_TOKEN, "Prefer: wait=60", header,
                                 NULL};
        ec_call call = {.method = "POST", .url = rt_url(emu, "/models/" RT_FLUX "/predictions"),
                        .headers = headers, .body = "{\"input\":{\"prompt\":\"a fox\"}}",
                        .timeout_ms = 60000};
        ec_result r = ec_send(&call);
        cr_expect_eq(r.status == 201, cases[i].ok, "Cancel-After %s: %ld", cases[i].value,
                     r.status);
        if (!cases[i].ok)
            expect_problem(&r, 400, NULL);
        ec_result_free(&r);
    }
}

Test(replicate_emulator, versioned_real_esrgan_scales_and_answers_a_string)
{
    size_t size = 0;
    unsigned char *png = ti_encode("png", 60, 40, 3, &size);
    char *url = ti_data_url("image/png", png, size);
    size_t n = strlen(url) + 300;
    char *body = malloc(n);
    const char *forms[] = {RT_ESRGAN_VERSION, "nightmareai/real-esrgan:" RT_ESRGAN_VERSION};
    for (int i = 0; i < 2; i++) {
        snprintf(body, n, "{\"version\":\"%s\",\"input\":{\"image\":\"%s\",\"scale\":2.5,"
                 "\"face_enhance\":false}}", forms[i], url);
        ec_result r = rt_call("POST", rt_url(emu, "/predictions"), RT_TOKEN, "wait=30", body);
        cr_assert_eq(r.status, 201, "%s", r.body);
        rt_expect_schema(r.json, "schemas_prediction_response", "esrgan");
        cr_expect_str_eq(str(r.json, "version"), RT_ESRGAN_VERSION);
        const cJSON *output = cJSON_GetObjectItem(r.json, "output");
        cr_assert(cJSON_IsString(output), "output is not one URL: %s", r.body);
        emu_probe p = fetch_output(output->valuestring);
        cr_expect_eq(p.width, 150);
        cr_expect_eq(p.height, 100);
        cr_expect_str_eq(p.format, "png");
        ec_result_free(&r);
    }
    cr_expect_eq(replicate_emulator_predictions(emu, "nightmareai/real-esrgan"), 2);
    free(body), free(url), free(png);
}

Test(replicate_emulator, unknown_models_and_versions)
{
    ec_result r = rt_create(emu, "black-forest-labs/flux-nope", "{\"prompt\":\"x\"}", NULL);
    expect_problem(&r, 404, NULL);
    ec_result_free(&r);
    r = rt_create(emu, "nightmareai/real-esrgan", "{\"image\":\"https://x/y.png\"}", NULL);
    expect_problem(&r, 404, NULL); /* community models need a version */
    ec_result_free(&r);
    r = rt_call("POST", rt_url(emu, "/predictions"), RT_TOKEN, NULL,
                "{\"version\":\"0000000000000000000000000000000000000000000000000000000000000000\","
                "\"input\":{}}");
    expect_problem(&r, 422, NULL);
    cr_expect_str_eq(str(r.json, "title"), "Invalid version or not permitted");
    ec_result_free(&r);
    r = rt_call("GET", rt_url(emu, "/predictions/doesnotexist"), RT_TOKEN, NULL, NULL);
    expect_problem(&r, 404, NULL);
    ec_result_free(&r);
}

Test(replicate_emulator, inputs_are_validated_per_model)
{
    ec_result r = rt_create(emu, RT_FLUX, "{\"prompt\":\"a fox\",\"num_outputs\":5,"
                            "\"seed\":\"x\",\"aspect_ratio\":\"7:3\",\"steps\":4}", NULL);
    expect_problem(&r, 422, "input.num_outputs");
    expect_problem(&r, 422, "input.seed");
    expect_problem(&r, 422, "input.aspect_ratio");
    expect_problem(&r, 422, "input");
    cr_expect(strstr(str(r.json, "detail"), "Additional property steps is not allowed"), "%s",
              r.body);
    ec_result_free(&r);
    r = rt_create(emu, RT_FLUX, "{\"aspect_ratio\":\"1:1\"}", NULL);
    expect_problem(&r, 422, "input");
    cr_expect(strstr(str(r.json, "detail"), "prompt is required"), "%s", r.body);
    ec_result_free(&r);
    r = rt_create(emu, "black-forest-labs/flux-dev", "{\"prompt\":\"a\",\"image\":\"not a uri\","
                  "\"prompt_strength\":1.5}", NULL);
    expect_problem(&r, 422, "input.image");
    expect_problem(&r, 422, "input.prompt_strength");
    ec_result_free(&r);
    r = rt_create(emu, "black-forest-labs/flux-fill-pro", "{\"prompt\":\"a\",\"image\":"
                  "\"https://example.com/a.png\",\"output_format\":\"webp\"}", NULL);
    expect_problem(&r, 422, "input.output_format");
    ec_result_free(&r);
}

Test(replicate_emulator, the_body_follows_the_request_schemas)
{
    ec_result r = rt_call("POST", rt_url(emu, "/models/" RT_FLUX "/predictions"), RT_TOKEN,
                          NULL,
                          "{\"input\":{\"prompt\":\"a\"},\"version\":\"x\"}");
    expect_problem(&r, 422, "(root)"); /* version belongs to POST /predictions only */
    ec_result_free(&r);
    r = rt_call("POST", rt_url(emu, "/models/" RT_FLUX "/predictions"), RT_TOKEN, NULL,
                "{\"prompt\":\"a\"}");
    expect_problem(&r, 422, "(root)");
    ec_result_free(&r);
    r = rt_call("POST", rt_url(emu, "/predictions"), RT_TOKEN, NULL, "{\"input\":{}}");
    expect_problem(&r, 422, "(root)");
    cr_expect(strstr(str(r.json, "detail"), "version is required"), "%s", r.body);
    ec_result_free(&r);
    r = rt_call("POST", rt_url(emu, "/predictions"), RT_TOKEN, NULL, "{not json");
    expect_problem(&r, 400, NULL);
    ec_result_free(&r);
}

Test(replicate_emulator, the_token_is_checked_on_the_api)
{
    ec_result r = rt_call("POST", rt_url(emu, "/models/" RT_FLUX "/predictions"), NULL, NULL,
                          "{\"input\":{\"prompt\":\"a\"}}");
    expect_problem(&r, 401, NULL);
    ec_result_free(&r);
    r = rt_call("GET", rt_url(emu, "/predictions/x"), "r8_wrong", NULL, NULL);
    expect_problem(&r, 401, NULL);
    cr_expect(!strstr(r.body, "r8_wrong"), "the token was echoed");
    ec_result_free(&r);
    cr_expect_eq(replicate_emulator_predictions(emu, NULL), 0);
}

Test(replicate_emulator, cancel_stops_a_running_prediction)
{
    ec_result r = rt_create(emu, RT_FLUX, "{\"prompt\":\"a fox\"}", NULL);
    char *cancel = strdup(url_of(r.json, "cancel")), *get = strdup(url_of(r.json, "get"));
    ec_result_free(&r);
    r = rt_call("POST", cancel, RT_TOKEN, NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    rt_expect_schema(r.json, "schemas_prediction_response", "cancel");
    cr_expect_str_eq(str(r.json, "status"), "canceled");
    ec_result_free(&r);
    for (int i = 0; i < 3; i++) { /* it stays canceled however often it is read */
        r = rt_call("GET", get, RT_TOKEN, NULL, NULL);
        cr_expect_str_eq(str(r.json, "status"), "canceled");
        cr_expect(cJSON_IsNull(cJSON_GetObjectItem(r.json, "output")));
        ec_result_free(&r);
    }
    cr_expect_eq(replicate_emulator_cancels(emu), 1);
    free(cancel), free(get);
    /* A finished prediction stays as it ended. */
    r = rt_create(emu, RT_FLUX, "{\"prompt\":\"a fox\"}", "wait");
    cancel = strdup(url_of(r.json, "cancel"));
    ec_result_free(&r);
    r = rt_call("POST", cancel, RT_TOKEN, NULL, NULL);
    cr_expect_str_eq(str(r.json, "status"), "succeeded");
    ec_result_free(&r);
    free(cancel);
}

Test(replicate_emulator, the_stream_reports_outputs_then_done)
{
    ec_result r = rt_create(emu, RT_FLUX, "{\"prompt\":\"a fox\"}", NULL);
    char *stream = strdup(url_of(r.json, "stream")), *get = strdup(url_of(r.json, "get"));
    ec_result_free(&r);
    r = rt_call("GET", stream, RT_TOKEN, NULL, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect(!strstr(r.body, "event: done"), "%s", r.body);
    ec_result_free(&r);
    for (int i = 0; i < 2; i++) {
        r = rt_call("GET", get, RT_TOKEN, NULL, NULL);
        ec_result_free(&r);
    }
    r = rt_call("GET", stream, RT_TOKEN, NULL, NULL);
    char *type = ec_header(&r, "Content-Type");
    cr_expect(type && strstr(type, "text/event-stream"));
    cr_expect(strstr(r.body, "event: output") && strstr(r.body, "event: done"), "%s", r.body);
    free(type);
    ec_result_free(&r);
    free(stream), free(get);
}

Test(replicate_emulator, outputs_as_data_urls)
{
    replicate_emulator_set_data_urls(emu, true);
    ec_result r = rt_create(emu, RT_FLUX, "{\"prompt\":\"a fox\",\"output_format\":\"jpg\","
                            "\"megapixels\":\"0.25\"}", "wait=60");
    cr_assert_eq(r.status, 201, "%s", r.body);
    const char *url = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "output"), 0)->valuestring;
    cr_assert(!strncmp(url, "data:image/jpeg;base64,", 23), "%.60s", url);
    size_t size = 0;
    unsigned char *bytes = emu_base64_decode(url + 23, &size);
    emu_probe p;
    cr_assert(bytes && emu_image_probe(bytes, size, &p));
    cr_expect_eq(p.width, 512);
    cr_expect_str_eq(p.format, "jpeg");
    free(bytes);
    ec_result_free(&r);
}

/* {"version": pulid, "input": {...main_face_image...}} with the face as a data URL. */
static ec_result create_pulid(const char *extra)
{
    size_t size = 0;
    unsigned char *png = ti_encode("png", 64, 64, 3, &size);
    char *face = ti_data_url("image/png", png, size);
    size_t n = strlen(face) + 600;
    char *body = malloc(n);
    snprintf(body, n, "{\"version\":\"8baa7ef2255075b46f4d91cd238c21d31181b3e6a864463f967960bb01"
             "12525b\",\"input\":{\"prompt\":\"a knight\",\"main_face_image\":\"%s\"%s}}", face,
             extra);
    ec_result r = rt_call("POST", rt_url(emu, "/predictions"), RT_TOKEN, "wait=60", body);
    free(body), free(face), free(png);
    return r;
}

Test(replicate_emulator, pulid_takes_a_face_and_free_sizes)
{
    ec_result r = create_pulid(",\"width\":512,\"height\":768,\"id_weight\":1.3,"
                               "\"num_outputs\":2");
    cr_assert_eq(r.status, 201, "%s", r.body);
    const cJSON *output = cJSON_GetObjectItem(r.json, "output");
    cr_assert_eq(cJSON_GetArraySize(output), 2, "%s", r.body);
    emu_probe p = fetch_output(cJSON_GetArrayItem(output, 1)->valuestring);
    cr_expect_eq(p.width, 512);
    cr_expect_eq(p.height, 768);
    ec_result_free(&r);
    r = create_pulid(",\"id_weight\":3.5");
    expect_problem(&r, 422, "input.id_weight");
    ec_result_free(&r);
}

Test(replicate_emulator, model_time_failures_end_the_prediction_failed)
{
    size_t size = 0, msize = 0;
    unsigned char *png = ti_encode("png", 64, 48, 3, &size);
    unsigned char *mask = ti_mask_png(32, 32, 0, 0, 8, 8, &msize);
    char *image = ti_data_url("image/png", png, size);
    char *m = ti_data_url("image/png", mask, msize);
    size_t n = strlen(image) + strlen(m) + 200;
    char *input = malloc(n);
    snprintf(input, n, "{\"prompt\":\"a hat\",\"image\":\"%s\",\"mask\":\"%s\"}", image, m);
    ec_result r = rt_create(emu, "black-forest-labs/flux-fill-pro", input, "wait=60");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(str(r.json, "status"), "failed");
    cr_expect(strstr(str(r.json, "error"), "must be the size of the image"), "%s", r.body);
    rt_expect_schema(r.json, "schemas_prediction_response", "failed");
    ec_result_free(&r);
    r = rt_create(emu, "black-forest-labs/flux-fill-pro",
                  "{\"image\":\"data:image/png;base64,AAAA\"}", "wait=60");
    cr_expect_str_eq(str(r.json, "error"), "cannot identify image file");
    ec_result_free(&r);
    free(input), free(image), free(m), free(png), free(mask);
}
