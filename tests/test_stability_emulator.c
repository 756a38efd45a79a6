/*
 * test_stability_emulator.c - the Stability emulator's success paths for the
 * generate and edit endpoints: decoded output sizes and formats, accept
 * negotiation and seeds. Upscale/control/async are in
 * test_stability_emulator_async.c, validation in
 * test_stability_emulator_validation.c, auth/faults/playground in
 * test_stability_emulator_faults.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/test_images.h"
#include "test_stability_emulator_util.h"

#define N(a) (sizeof(a) / sizeof *(a))

Test(generate, core_default_is_a_1024_png_with_seed_and_reason)
{
    stab_emulator *emu = st_start();
    ec_part parts[] = {{.name = "prompt", .value = "a lighthouse"}};
    ec_result r = st_post(emu, ST_GEN "core", "image/*", parts, 1);
    st_expect_image(&r, "png", 1024, 1024, NULL);
    ec_result_free(&r);
    /* No accept header at all means raw bytes too, as does curl's wildcard */
    r = st_post(emu, ST_GEN "core", NULL, parts, 1);
    st_expect_image(&r, "png", 1024, 1024, NULL);
    ec_result_free(&r);
    r = st_post(emu, ST_GEN "core", "*/*", parts, 1);
    st_expect_image(&r, "png", 1024, 1024, NULL);
    ec_result_free(&r);
    cr_expect_eq(stab_emulator_images_made(emu, "generate/core"), 3);
    cr_expect_eq(stab_emulator_images_made(emu, "generate/ultra"), 0);
    cr_expect_eq(stab_emulator_images_made(emu, NULL), 3);
    stab_emulator_stop(emu);
}

Test(generate, every_aspect_ratio_has_its_megapixel_bucket)
{
    static const struct {
        const char *ratio;
        int w, h;
    } sizes[] = {{"1:1", 1024, 1024}, {"16:9", 1344, 768}, {"9:16", 768, 1344},
                 {"21:9", 1536, 640}, {"9:21", 640, 1536}, {"3:2", 1216, 832},
                 {"2:3", 832, 1216},  {"5:4", 1152, 896},  {"4:5", 896, 1152}};
    stab_emulator *emu = st_start();
    for (size_t i = 0; i < N(sizes); i++) {
        ec_part parts[] = {{.name = "prompt", .value = "a fox"},
                           {.name = "aspect_ratio", .value = sizes[i].ratio},
                           {.name = "output_format", .value = "jpeg"}};
        ec_result r = st_post(emu, ST_GEN "ultra", "image/*", parts, N(parts));
        st_expect_image(&r, "jpeg", sizes[i].w, sizes[i].h, NULL);
        ec_result_free(&r);
    }
    cr_expect_eq(stab_emulator_images_made(emu, "generate/ultra"), (int)N(sizes));
    stab_emulator_stop(emu);
}

Test(generate, json_accept_returns_base64_and_echoes_the_seed)
{
    stab_emulator *emu = st_start();
    ec_part parts[] = {{.name = "prompt", .value = "a red fox"},
                       {.name = "model", .value = "sd3.5-large-turbo"},
                       {.name = "output_format", .value = "jpeg"},
                       {.name = "seed", .value = "42"},
                       {.name = "cfg_scale", .value = "5.5"}};
    ec_result r = st_post(emu, ST_GEN "sd3", "application/json", parts, N(parts));
    st_expect_json_image(&r, "jpeg", 1024, 1024);
    cr_expect_eq(cJSON_GetObjectItem(r.json, "seed")->valuedouble, 42);
    cr_expect_eq(st_seed_header(&r), 42);
    ec_result_free(&r);
    /* webp from core, in JSON */
    ec_part webp[] = {{.name = "prompt", .value = "x"},
                      {.name = "output_format", .value = "webp"},
                      {.name = "style_preset", .value = "pixel-art"},
                      {.name = "aspect_ratio", .value = "16:9"}};
    r = st_post(emu, ST_GEN "core", "application/json", webp, N(webp));
    st_expect_json_image(&r, "webp", 1344, 768);
    ec_result_free(&r);
    stab_emulator_stop(emu);
}

Test(generate, seeds_are_reproducible_and_picked_when_zero)
{
    stab_emulator *emu = st_start();
    ec_part parts[] = {{.name = "prompt", .value = "p"}, {.name = "seed", .value = "7"}};
    ec_result a = st_post(emu, ST_GEN "core", "image/*", parts, N(parts));
    ec_result b = st_post(emu, ST_GEN "core", "image/*", parts, N(parts));
    st_expect_image(&a, "png", 1024, 1024, NULL);
    cr_expect_eq(st_seed_header(&a), 7);
    cr_expect(a.size == b.size && !memcmp(a.body, b.body, a.size),
              "the same seed drew a different image");
    ec_result_free(&a);
    ec_result_free(&b);
    ec_part zero[] = {{.name = "prompt", .value = "p"}, {.name = "seed", .value = "0"}};
    a = st_post(emu, ST_GEN "core", "image/*", zero, N(zero));
    b = st_post(emu, ST_GEN "core", "image/*", zero, 1);
    long long sa = st_seed_header(&a), sb = st_seed_header(&b);
    cr_expect(sa > 0 && sb > 0 && sa != sb && sa != 7, "picked seeds %lld %lld", sa, sb);
    cr_expect(a.size != b.size || memcmp(a.body, b.body, a.size), "two random seeds drew "
                                                                  "the same image");
    ec_result_free(&a);
    ec_result_free(&b);
    stab_emulator_stop(emu);
}

Test(generate, image_to_image_keeps_the_input_aspect)
{
    stab_emulator *emu = st_start();
    size_t n;
    unsigned char *img = ti_encode("png", 600, 400, 3, &n);
    ec_part ultra[] = {{.name = "prompt", .value = "winter"}, st_file("image", img, n),
                       {.name = "strength", .value = "0.6"},
                       {.name = "aspect_ratio", .value = "9:16"}};
    ec_result r = st_post(emu, ST_GEN "ultra", "image/*", ultra, N(ultra));
    st_expect_image(&r, "png", 1280, 832, NULL); /* 3:2 at ~1 MP, sides multiples of 64 */
    ec_result_free(&r);
    free(img);
    img = ti_encode("jpeg", 300, 600, 3, &n);
    ec_part sd3[] = {{.name = "prompt", .value = "winter"},
                     {.name = "mode", .value = "image-to-image"}, st_file("image", img, n),
                     {.name = "strength", .value = "1"}};
    r = st_post(emu, ST_GEN "sd3", "image/*", sd3, N(sd3));
    st_expect_image(&r, "png", 704, 1472, NULL); /* 1:2 at ~1 MP */
    ec_result_free(&r);
    free(img);
    stab_emulator_stop(emu);
}

Test(edit, inpaint_with_a_mask_of_any_size_or_the_image_alpha)
{
    stab_emulator *emu = st_start();
    size_t n, m;
    unsigned char *img = ti_encode("jpeg", 320, 240, 3, &n);
    unsigned char *mask = ti_mask_png(320, 240, 10, 10, 100, 100, &m);
    ec_part parts[] = {st_file("image", img, n), st_file("mask", mask, m),
                       {.name = "prompt", .value = "a cat"},
                       {.name = "grow_mask", .value = "100"},
                       {.name = "style_preset", .value = "anime"},
                       {.name = "output_format", .value = "webp"}};
    ec_result r = st_post(emu, ST_EDIT "inpaint", "image/*", parts, N(parts));
    st_expect_image(&r, "webp", 320, 240, NULL);
    ec_result_free(&r);
    free(mask);
    /* The API resizes a mask of another size instead of refusing it. */
    mask = ti_mask_png(64, 64, 0, 0, 32, 32, &m);
    parts[1] = st_file("mask", mask, m);
    r = st_post(emu, ST_EDIT "inpaint", "application/json", parts, N(parts));
    st_expect_json_image(&r, "webp", 320, 240);
    ec_result_free(&r);
    free(mask);
    free(img);
    /* No mask: the transparent pixels of the image are the mask. */
    img = ti_encode("png", 256, 128, 4, &n);
    ec_part alpha[] = {st_file("image", img, n), {.name = "prompt", .value = "a cat"}};
    r = st_post(emu, ST_EDIT "inpaint", "image/*", alpha, N(alpha));
    st_expect_image(&r, "png", 256, 128, NULL);
    ec_result_free(&r);
    free(img);
    cr_expect_eq(stab_emulator_images_made(emu, "edit/inpaint"), 3);
    stab_emulator_stop(emu);
}

Test(edit, outpaint_enlarges_by_the_margins)
{
    stab_emulator *emu = st_start();
    size_t n;
    unsigned char *img = ti_encode("png", 200, 100, 3, &n);
    ec_part parts[] = {st_file("image", img, n), {.name = "left", .value = "50"},
                       {.name = "right", .value = "30"}, {.name = "down", .value = "100"},
                       {.name = "creativity", .value = "0.9"},
                       {.name = "output_format", .value = "jpeg"}};
    ec_result r = st_post(emu, ST_EDIT "outpaint", "image/*", parts, N(parts));
    st_expect_image(&r, "jpeg", 280, 200, NULL);
    ec_result_free(&r);
    ec_part up[] = {st_file("image", img, n), {.name = "up", .value = "2000"},
                    {.name = "prompt", .value = ""}};
    r = st_post(emu, ST_EDIT "outpaint", "image/*", up, N(up));
    st_expect_image(&r, "png", 200, 2100, NULL);
    ec_result_free(&r);
    free(img);
    stab_emulator_stop(emu);
}

Test(edit, erase_search_and_replace_and_remove_background)
{
    stab_emulator *emu = st_start();
    size_t n, m;
    unsigned char *img = ti_encode("png", 160, 120, 3, &n);
    unsigned char *mask = ti_mask_png(160, 120, 0, 0, 40, 40, &m);
    ec_part erase[] = {st_file("image", img, n), st_file("mask", mask, m),
                       {.name = "grow_mask", .value = "20"}};
    ec_result r = st_post(emu, ST_EDIT "erase", "image/*", erase, N(erase));
    st_expect_image(&r, "png", 160, 120, NULL);
    ec_result_free(&r);
    ec_part sr[] = {st_file("image", img, n), {.name = "prompt", .value = "a dog"},
                    {.name = "search_prompt", .value = "cat"},
                    {.name = "output_format", .value = "jpeg"}};
    r = st_post(emu, ST_EDIT "search-and-replace", "image/*", sr, N(sr));
    st_expect_image(&r, "jpeg", 160, 120, NULL);
    ec_result_free(&r);
    ec_part rb[] = {st_file("image", img, n)};
    r = st_post(emu, ST_EDIT "remove-background", "image/*", rb, N(rb));
    st_image out = st_expect_image(&r, "png", 160, 120, NULL);
    cr_expect_eq(out.bands, 4, "remove-background keeps an alpha channel");
    ec_result_free(&r);
    ec_part rbw[] = {st_file("image", img, n), {.name = "output_format", .value = "webp"}};
    r = st_post(emu, ST_EDIT "remove-background", "image/*", rbw, N(rbw));
    out = st_expect_image(&r, "webp", 160, 120, NULL);
    cr_expect_eq(out.bands, 4);
    ec_result_free(&r);
    free(img);
    free(mask);
    cr_expect_eq(stab_emulator_images_made(emu, "edit/remove-background"), 2);
    cr_expect_eq(stab_emulator_images_made(emu, NULL), 4);
    stab_emulator_stop(emu);
}
