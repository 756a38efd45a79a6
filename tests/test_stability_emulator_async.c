/*
 * test_stability_emulator_async.c - the Stability emulator's upscale and
 * control endpoints, and the creative upscale's async result: pending for
 * exactly the configured number of polls, then the image, kept afterwards.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/test_images.h"
#include "test_stability_emulator_util.h"

#define N(a) (sizeof(a) / sizeof *(a))

/* Asserts w x h is about 4 megapixels with the aspect of in_w x in_h. */
static void expect_four_megapixels(const st_image *img, int in_w, int in_h)
{
    double pixels = (double)img->width * img->height;
    cr_expect(fabs(pixels / 4194304.0 - 1) < 0.01, "%dx%d is not ~4 MP", img->width,
              img->height);
    double aspect = (double)img->width / img->height, want = (double)in_w / in_h;
    cr_expect(fabs(aspect / want - 1) < 0.01, "%dx%d lost the %dx%d aspect", img->width,
              img->height, in_w, in_h);
}

Test(upscale, fast_is_exactly_four_times)
{
    stab_emulator *emu = st_start();
    size_t n;
    unsigned char *img = ti_encode("png", 64, 48, 3, &n);
    ec_part parts[] = {st_file("image", img, n), {.name = "output_format", .value = "webp"}};
    ec_result r = st_post(emu, ST_UPSCALE "fast", "image/*", parts, N(parts));
    st_expect_image(&r, "webp", 256, 192, NULL);
    ec_result_free(&r);
    free(img);
    img = ti_encode("jpeg", 32, 40, 3, &n); /* 1,280 pixels: above the 1,024 floor */
    ec_part small[] = {st_file("image", img, n)};
    r = st_post(emu, ST_UPSCALE "fast", "application/json", small, 1);
    st_expect_json_image(&r, "png", 128, 160);
    ec_result_free(&r);
    free(img);
    cr_expect_eq(stab_emulator_images_made(emu, "upscale/fast"), 2);
    stab_emulator_stop(emu);
}

Test(upscale, conservative_reaches_four_megapixels_keeping_aspect)
{
    stab_emulator *emu = st_start();
    size_t n;
    unsigned char *img = ti_encode("png", 200, 100, 3, &n);
    ec_part parts[] = {st_file("image", img, n), {.name = "prompt", .value = "sharp"},
                       {.name = "creativity", .value = "0.5"},
                       {.name = "output_format", .value = "jpeg"}};
    ec_result r = st_post(emu, ST_UPSCALE "conservative", "image/*", parts, N(parts));
    st_image out = st_expect_image(&r, "jpeg", 2896, 1448, NULL);
    expect_four_megapixels(&out, 200, 100);
    ec_result_free(&r);
    free(img);
    stab_emulator_stop(emu);
}

/* Submits a creative upscale of a w x h png; returns the job id (malloc'd). */
static char *submit_creative(stab_emulator *emu, int w, int h, const char *format)
{
    size_t n;
    unsigned char *img = ti_encode("png", w, h, 3, &n);
    ec_part parts[] = {st_file("image", img, n), {.name = "prompt", .value = "detailed"},
                       {.name = "creativity", .value = "0.1"},
                       {.name = "style_preset", .value = "photographic"},
                       {.name = "output_format", .value = format}};
    ec_result r = st_post(emu, ST_UPSCALE "creative", "application/json", parts, N(parts));
    free(img);
    cr_assert_eq(r.status, 200, "status %ld: %s", r.status, r.body);
    cr_assert_eq(cJSON_GetArraySize(r.json), 1, "{\"id\"} only: %s", r.body);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id"));
    cr_assert_not_null(id);
    cr_expect_eq(strlen(id), 64, "id %s", id);
    for (const char *c = id; *c; c++)
        cr_expect(isxdigit((unsigned char)*c), "id %s", id);
    char *copy = strdup(id);
    ec_result_free(&r);
    return copy;
}

/* GETs /v2beta/results/<id>. */
static ec_result result(stab_emulator *emu, const char *id, const char *accept)
{
    char path[160];
    snprintf(path, sizeof path, "/v2beta/results/%s", id);
    return st_get(emu, path, accept);
}

Test(creative, pending_for_the_default_two_polls_then_ready_and_kept)
{
    stab_emulator *emu = st_start();
    char *id = submit_creative(emu, 128, 96, "png");
    for (int i = 0; i < 2; i++) {
        ec_result r = result(emu, id, "image/*");
        cr_expect_eq(r.status, 202, "poll %d: %ld %s", i, r.status, r.body);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id")), id);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "status")),
                         "in-progress");
        ec_result_free(&r);
    }
    for (int i = 0; i < 2; i++) { /* ready, and still there on the next GET */
        ec_result r = result(emu, id, "image/*");
        st_image out = st_expect_image(&r, "png", 2365, 1774, NULL);
        expect_four_megapixels(&out, 128, 96);
        ec_result_free(&r);
    }
    ec_result r = result(emu, id, "application/json");
    st_expect_json_image(&r, "png", 2365, 1774);
    ec_result_free(&r);
    cr_expect_eq(stab_emulator_images_made(emu, "upscale/creative"), 1);
    free(id);
    stab_emulator_stop(emu);
}

Test(creative, pending_polls_are_configurable_per_job)
{
    stab_emulator *emu = st_start();
    stab_emulator_set_pending_polls(emu, 0);
    char *now = submit_creative(emu, 64, 64, "jpeg");
    stab_emulator_set_pending_polls(emu, 5);
    char *later = submit_creative(emu, 64, 64, "webp");
    ec_result r = result(emu, now, NULL);
    st_expect_image(&r, "jpeg", 2048, 2048, NULL);
    ec_result_free(&r);
    for (int i = 0; i < 5; i++) {
        r = result(emu, later, "image/*");
        cr_expect_eq(r.status, 202, "poll %d", i);
        ec_result_free(&r);
    }
    /* the legacy result path serves the same store */
    char path[200];
    snprintf(path, sizeof path, "/v2beta/stable-image/upscale/creative/result/%s", later);
    r = st_get(emu, path, "image/*");
    st_expect_image(&r, "webp", 2048, 2048, NULL);
    ec_result_free(&r);
    free(now);
    free(later);
    stab_emulator_stop(emu);
}

Test(creative, unknown_ids_and_bad_accept)
{
    stab_emulator *emu = st_start();
    ec_result r = result(emu, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                         "image/*");
    st_expect_error(&r, 404, "not_found", "id", "unknown id");
    ec_result_free(&r);
    char *id = submit_creative(emu, 64, 64, "png");
    r = result(emu, id, "text/html");
    st_expect_error(&r, 400, "bad_request", "accept", "bad accept");
    ec_result_free(&r);
    /* the refused GET used no poll: two pendings remain */
    for (int i = 0; i < 2; i++) {
        r = result(emu, id, NULL);
        cr_expect_eq(r.status, 202);
        ec_result_free(&r);
    }
    r = result(emu, id, NULL);
    cr_expect_eq(r.status, 200);
    ec_result_free(&r);
    free(id);
    stab_emulator_stop(emu);
}

Test(control, style_uses_the_aspect_ratio_and_transfer_the_init_size)
{
    stab_emulator *emu = st_start();
    size_t n, s;
    unsigned char *img = ti_encode("png", 300, 200, 3, &n);
    unsigned char *style = ti_encode("jpeg", 128, 128, 3, &s);
    ec_part st[] = {st_file("image", style, s), {.name = "prompt", .value = "a castle"},
                    {.name = "aspect_ratio", .value = "21:9"},
                    {.name = "fidelity", .value = "0.8"}};
    ec_result r = st_post(emu, ST_CONTROL "style", "image/*", st, N(st));
    st_expect_image(&r, "png", 1536, 640, NULL);
    ec_result_free(&r);
    ec_part tr[] = {st_file("init_image", img, n), st_file("style_image", style, s),
                    {.name = "style_strength", .value = "0.4"},
                    {.name = "composition_fidelity", .value = "1"},
                    {.name = "change_strength", .value = "0.1"},
                    {.name = "output_format", .value = "jpeg"}};
    r = st_post(emu, ST_CONTROL "style-transfer", "image/*", tr, N(tr));
    st_expect_image(&r, "jpeg", 300, 200, NULL);
    ec_result_free(&r);
    free(img);
    free(style);
    cr_expect_eq(stab_emulator_images_made(emu, "control/style"), 1);
    cr_expect_eq(stab_emulator_images_made(emu, "control/style-transfer"), 1);
    stab_emulator_stop(emu);
}
