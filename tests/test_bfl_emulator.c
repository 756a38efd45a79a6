/*
 * test_bfl_emulator.c - the BFL FLUX emulator's success paths: every
 * endpoint submitted, polled Pending -> Ready through the returned
 * polling_url and downloaded from the signed sample URL as a real image of
 * the size the real API makes. Validation is in
 * test_bfl_emulator_validation.c, faults/auth/lifecycle in
 * test_bfl_emulator_faults.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/bfl_internal.h"
#include "emulators/bfl_test_util.h"

#define SMALL "{\"prompt\":\"x\",\"width\":256,\"height\":256}"

/* The body {"prompt":"p",<extra>} (extra may be ""); malloc'd. */
static char *body_with(const char *extra)
{
    char *b = NULL;
    cr_assert(asprintf(&b, "{\"prompt\":\"a red fox\"%s%s}", *extra ? "," : "", extra) > 0);
    return b;
}

/* Runs a task to Ready and asserts the downloaded image's format and size. */
static cJSON *expect_image(bfl_emulator *emu, const char *endpoint, const char *json,
                           const char *format, int width, int height)
{
    cJSON *ready = bfl_test_run(emu, endpoint, json, 2);
    et_image img = bfl_test_download(ready);
    cr_expect_str_eq(img.format, format, "%s", endpoint);
    cr_expect_eq(img.width, width, "%s: width %d, want %d", endpoint, img.width, width);
    cr_expect_eq(img.height, height, "%s: height %d, want %d", endpoint, img.height, height);
    return ready;
}

Test(generate, pro_1_1_defaults_to_1024x768_jpeg)
{
    bfl_emulator *emu = bfl_test_start();
    cJSON *ready = expect_image(emu, "flux-pro-1.1", "{\"prompt\":\"a red fox\"}", "jpeg",
                                1024, 768);
    const cJSON *result = cJSON_GetObjectItem(ready, "result");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(result, "prompt")), "a red fox");
    cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(result, "seed")));
    const char *keys[] = {"start_time", "end_time", "duration"};
    for (size_t i = 0; i < 3; i++)
        cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(result, keys[i])), "%s", keys[i]);
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(ready, "progress")));
    const char *sample = cJSON_GetStringValue(cJSON_GetObjectItem(result, "sample"));
    cr_expect(strstr(sample, "/sample.jpeg?se=") && strstr(sample, "&sig="), "%s", sample);
    cr_expect_eq(bfl_emulator_tasks(emu, "flux-pro-1.1"), 1);
    cJSON_Delete(ready);
    bfl_emulator_stop(emu);
}

Test(generate, pro_1_1_and_dev_sizes_and_formats)
{
    bfl_emulator *emu = bfl_test_start();
    char *b = body_with("\"width\":512,\"height\":256,\"output_format\":\"png\","
                        "\"safety_tolerance\":6,\"prompt_upsampling\":true,\"seed\":7");
    cJSON_Delete(expect_image(emu, "flux-pro-1.1", b, "png", 512, 256));
    free(b);
    b = body_with("\"width\":256,\"height\":1440,\"output_format\":\"webp\",\"steps\":50,"
                  "\"guidance\":1.5,\"seed\":null,\"webhook_secret\":null");
    cJSON_Delete(expect_image(emu, "flux-dev", b, "webp", 256, 1440));
    free(b);
    /* pydantic's lax mode: numeric strings and "yes" are accepted. */
    b = body_with("\"width\":\"320\",\"height\":288.0,\"prompt_upsampling\":\"yes\"");
    cJSON_Delete(expect_image(emu, "flux-dev", b, "jpeg", 320, 288));
    free(b);
    cr_expect_eq(bfl_emulator_tasks(emu, "flux-dev"), 2);
    cr_expect_eq(bfl_emulator_tasks(emu, NULL), 3);
    bfl_emulator_stop(emu);
}

Test(generate, redux_image_prompt_counts_input_megapixels)
{
    bfl_emulator *emu = bfl_test_start();
    char *img = bfl_test_b64_image("png", 200, 100, 3);
    char *extra = NULL, *b;
    cr_assert(asprintf(&extra, "\"image_prompt\":\"%s\",\"width\":256,\"height\":256", img) > 0);
    b = body_with(extra);
    ec_result r = bfl_test_submit(emu, "flux-pro-1.1", b);
    cr_assert_eq(r.status, 200, "%.300s", r.body);
    cr_expect_eq(cJSON_GetObjectItem(r.json, "input_mp")->valuedouble, 0.02);
    cr_expect_eq(cJSON_GetObjectItem(r.json, "output_mp")->valuedouble, 0.07);
    cr_expect_eq(cJSON_GetObjectItem(r.json, "cost")->valuedouble, 4);
    ec_result_free(&r);
    free(b), free(extra), free(img);
    bfl_emulator_stop(emu);
}

Test(ultra, aspect_ratios_at_four_megapixels)
{
    bfl_emulator *emu = bfl_test_start();
    cJSON_Delete(expect_image(emu, "flux-pro-1.1-ultra", "{\"prompt\":\"x\"}", "jpeg", 2752,
                              1536));
    cJSON_Delete(expect_image(emu, "flux-pro-1.1-ultra",
                              "{\"prompt\":\"x\",\"aspect_ratio\":\"9:21\",\"raw\":true,"
                              "\"output_format\":\"png\"}", "png", 1344, 3136));
    /* The rest of the table without rendering 4 MP images. */
    static const struct { double r; int w, h; } sizes[] = {
        {1.0, 2048, 2048}, {21.0 / 9, 3136, 1344}, {4.0 / 3, 2368, 1792},
        {3.0 / 2, 2496, 1664}, {9.0 / 16, 1536, 2752}, {2.0 / 3, 1664, 2496}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        int w, h;
        bfl_ultra_size(sizes[i].r, &w, &h);
        cr_expect(w == sizes[i].w && h == sizes[i].h, "ratio %g: %dx%d", sizes[i].r, w, h);
    }
    bfl_emulator_stop(emu);
}

Test(kontext, input_aspect_or_aspect_ratio_at_one_megapixel)
{
    bfl_emulator *emu = bfl_test_start();
    char *img = bfl_test_b64_image("jpeg", 300, 200, 3), *b = NULL;
    cr_assert(asprintf(&b, "{\"prompt\":\"add a hat\",\"input_image\":\"%s\"}", img) > 0);
    cJSON_Delete(expect_image(emu, "flux-kontext-pro", b, "png", 1248, 832));
    free(b);
    cr_assert(asprintf(&b, "{\"prompt\":\"hat\",\"input_image\":\"data:image/jpeg;base64,%s\","
                           "\"input_image_2\":\"%s\",\"aspect_ratio\":\"9:16\","
                           "\"output_format\":\"jpeg\"}", img, img) > 0);
    cJSON_Delete(expect_image(emu, "flux-kontext-max", b, "jpeg", 752, 1392));
    free(b);
    /* No input: a 1:1 text-to-image; a URL input is taken unfetched. */
    cJSON_Delete(expect_image(emu, "flux-kontext-pro", "{\"prompt\":\"a cat\"}", "png", 1024,
                              1024));
    cJSON_Delete(expect_image(emu, "flux-kontext-pro", "{\"prompt\":\"a cat\",\"input_image\":"
                              "\"https://example.com/cat.png\"}", "png", 1024, 1024));
    cr_expect_eq(bfl_emulator_tasks(emu, "flux-kontext-pro"), 3);
    cr_expect_eq(bfl_emulator_tasks(emu, "flux-kontext-max"), 1);
    free(img);
    int w, h;
    bfl_kontext_size(21.0 / 9, &w, &h);
    cr_expect(w == 1568 && h == 672, "21:9 -> %dx%d", w, h);
    bfl_kontext_size(16.0 / 9, &w, &h);
    cr_expect(w == 1392 && h == 752, "16:9 -> %dx%d", w, h);
    bfl_emulator_stop(emu);
}

Test(fill, mask_or_alpha_keeps_the_image_size)
{
    bfl_emulator *emu = bfl_test_start();
    char *img = bfl_test_b64_image("png", 320, 200, 3), *b = NULL;
    char *mask = bfl_test_b64_mask(320, 200);
    cr_assert(asprintf(&b, "{\"image\":\"%s\",\"mask\":\"%s\",\"prompt\":\"a hat\","
                           "\"steps\":15,\"guidance\":100}", img, mask) > 0);
    cJSON_Delete(expect_image(emu, "flux-pro-1.0-fill", b, "jpeg", 320, 200));
    free(b), free(img), free(mask);
    img = bfl_test_b64_image("png", 96, 64, 4); /* the alpha channel is the mask */
    cr_assert(asprintf(&b, "{\"image\":\"%s\",\"output_format\":\"png\"}", img) > 0);
    cJSON_Delete(expect_image(emu, "flux-pro-1.0-fill", b, "png", 96, 64));
    free(b), free(img);
    bfl_emulator_stop(emu);
}

Test(expand, adds_the_margins)
{
    bfl_emulator *emu = bfl_test_start();
    char *img = bfl_test_b64_image("webp", 100, 60, 3), *b = NULL;
    cr_assert(asprintf(&b, "{\"image\":\"%s\",\"top\":10,\"bottom\":20,\"left\":30,"
                           "\"right\":40,\"prompt\":\"more sky\"}", img) > 0);
    cJSON_Delete(expect_image(emu, "flux-pro-1.0-expand", b, "jpeg", 170, 90));
    free(b);
    cr_assert(asprintf(&b, "{\"image\":\"%s\",\"top\":null,\"right\":2048}", img) > 0);
    ec_result r = bfl_test_submit(emu, "flux-pro-1.0-expand", b);
    cr_expect_eq(r.status, 200, "%.300s", r.body);
    cr_expect_eq(cJSON_GetObjectItem(r.json, "output_mp")->valuedouble, 0.13); /* 2148x60 */
    ec_result_free(&r);
    free(b), free(img);
    bfl_emulator_stop(emu);
}

Test(polling, pending_for_the_configured_number_of_polls)
{
    bfl_emulator *emu = bfl_test_start();
    bfl_emulator_set_pending_polls(emu, 5);
    cJSON *ready = bfl_test_run(emu, "flux-dev", SMALL, 5);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(ready, "status")), "Ready");
    cJSON_Delete(ready);
    bfl_emulator_set_pending_polls(emu, 0);
    ready = bfl_test_run(emu, "flux-dev", SMALL, 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(ready, "status")), "Ready");
    cJSON_Delete(ready);
    bfl_emulator_stop(emu);
}

Test(polling, v1_get_result_works_too_and_ready_is_stable)
{
    bfl_emulator *emu = bfl_test_start();
    bfl_emulator_set_pending_polls(emu, 1);
    ec_result r = bfl_test_submit(emu, "flux-dev", SMALL);
    cr_assert_eq(r.status, 200);
    char url[256];
    snprintf(url, sizeof url, "/v1/get_result?id=%s",
             cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id")));
    ec_result_free(&r);
    char *sample = NULL;
    const char *want[] = {"Pending", "Ready", "Ready"};
    for (int i = 0; i < 3; i++) {
        ec_result p = bfl_test_poll(bfl_test_url(emu, url));
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(p.json, "status")), want[i]);
        const char *s = cJSON_GetStringValue(
            cJSON_GetObjectItem(cJSON_GetObjectItem(p.json, "result"), "sample"));
        if (i == 1)
            sample = strdup(s);
        else if (i == 2)
            cr_expect_str_eq(s, sample, "the sample URL changed between polls");
        ec_result_free(&p);
    }
    free(sample);
    bfl_emulator_stop(emu);
}

Test(polling, same_seed_same_image)
{
    bfl_emulator *emu = bfl_test_start();
    const char *body = "{\"prompt\":\"x\",\"seed\":1234,\"width\":256,\"height\":256}";
    char *bytes[2];
    size_t sizes[2];
    for (int i = 0; i < 2; i++) {
        cJSON *ready = bfl_test_run(emu, "flux-pro-1.1", body, 2);
        const cJSON *result = cJSON_GetObjectItem(ready, "result");
        cr_expect_eq(cJSON_GetObjectItem(result, "seed")->valuedouble, 1234);
        ec_result r = ec_get(cJSON_GetStringValue(cJSON_GetObjectItem(result, "sample")), NULL, 0);
        cr_assert_eq(r.status, 200);
        bytes[i] = r.body;
        sizes[i] = r.size;
        r.body = NULL;
        ec_result_free(&r);
        cJSON_Delete(ready);
    }
    cr_expect(sizes[0] == sizes[1] && !memcmp(bytes[0], bytes[1], sizes[0]));
    free(bytes[0]), free(bytes[1]);
    bfl_emulator_stop(emu);
}

Test(submit, webhook_url_answers_the_webhook_shape)
{
    bfl_emulator *emu = bfl_test_start();
    ec_result r = bfl_test_submit(emu, "flux-pro-1.1", "{\"prompt\":\"x\",\"webhook_url\":"
                            "\"https://hooks.example.com/bfl\",\"webhook_secret\":\"s\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    bfl_test_expect_schema(r.json, "AsyncWebhookResponse", "webhook submit");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "webhook_url")),
                     "https://hooks.example.com/bfl");
    cr_expect_null(cJSON_GetObjectItem(r.json, "polling_url"));
    ec_result_free(&r);
    bfl_emulator_stop(emu);
}

Test(credits, balance_drops_with_each_task)
{
    bfl_emulator *emu = bfl_test_start();
    ec_result r = bfl_test_call("GET", bfl_test_url(emu, "/v1/credits"), BFL_TEST_KEY, NULL);
    cr_assert_eq(r.status, 200);
    bfl_test_expect_schema(r.json, "CreditsResponse", "credits");
    double before = cJSON_GetObjectItem(r.json, "credits")->valuedouble;
    ec_result_free(&r);
    r = bfl_test_submit(emu, "flux-kontext-max", "{\"prompt\":\"x\"}");
    cr_assert_eq(r.status, 200);
    cr_expect_eq(cJSON_GetObjectItem(r.json, "cost")->valuedouble, 8);
    ec_result_free(&r);
    r = bfl_test_call("GET", bfl_test_url(emu, "/v1/credits"), BFL_TEST_KEY, NULL);
    cr_expect_eq(cJSON_GetObjectItem(r.json, "credits")->valuedouble, before - 8);
    ec_result_free(&r);
    bfl_emulator_stop(emu);
}
