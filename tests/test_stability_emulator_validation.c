/*
 * test_stability_emulator_validation.c - every validation rule of the
 * Stability emulator answers 400 bad_request in Stability's error shape,
 * naming the offending field; plus the multipart-only rule, accept values,
 * prompt length and the 10 MiB payload limit (413).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/test_images.h"
#include "test_stability_emulator_util.h"

#define N(a) (sizeof(a) / sizeof *(a))
#define MAX_PARTS 8

/* Input images the cases refer to as "@field=kind". */
typedef struct inputs {
    const char *kind[7];
    unsigned char *data[7];
    size_t size[7];
} inputs;

/* Makes the test images once per test. */
static void inputs_make(inputs *in)
{
    static const struct {
        const char *kind, *format;
        int w, h, bands;
    } specs[] = {{"ok", "png", 128, 128, 3},    {"alpha", "png", 96, 96, 4},
                 {"small", "png", 48, 128, 3},  {"wide", "png", 300, 100, 3},
                 {"tiny", "png", 16, 16, 3},    {"big", "jpeg", 2100, 2050, 3}};
    for (size_t i = 0; i < N(specs); i++) {
        in->kind[i] = specs[i].kind;
        in->data[i] = ti_encode(specs[i].format, specs[i].w, specs[i].h, specs[i].bands,
                                &in->size[i]);
    }
    in->kind[6] = "junk";
    in->data[6] = (unsigned char *)strdup("GIF89a not really");
    in->size[6] = strlen((char *)in->data[6]);
}

/* Frees the test images. */
static void inputs_free(inputs *in)
{
    for (size_t i = 0; i < N(in->data); i++)
        free(in->data[i]);
}

/* A validation case: path suffix, "name=value" / "@name=kind" parts, the field. */
typedef struct bad_case {
    const char *path;
    const char *parts[MAX_PARTS];
    const char *field;
} bad_case;

/* Builds ec_parts from a case's specs (names/values point into names). */
static size_t build_parts(const inputs *in, const char *const *specs, ec_part *parts,
                          char names[MAX_PARTS][64])
{
    size_t n = 0;
    for (; n < MAX_PARTS && specs[n]; n++) {
        const char *spec = specs[n];
        bool file = spec[0] == '@';
        const char *eq = strchr(spec, '=');
        cr_assert_not_null(eq, "bad spec %s", spec);
        snprintf(names[n], 64, "%.*s", (int)(eq - spec - file), spec + file);
        if (!file) {
            parts[n] = (ec_part){.name = names[n], .value = eq + 1};
            continue;
        }
        size_t k = 0;
        while (k < N(in->kind) && strcmp(in->kind[k], eq + 1))
            k++;
        cr_assert_lt(k, N(in->kind), "no input %s", eq + 1);
        parts[n] = (ec_part){.name = names[n], .data = in->data[k], .size = in->size[k],
                             .filename = "in.png", .type = "image/png"};
    }
    return n;
}

/* Sends each case and expects a 400 naming its field. */
static void run_cases(const bad_case *cases, size_t count)
{
    stab_emulator *emu = st_start();
    inputs in;
    inputs_make(&in);
    for (size_t i = 0; i < count; i++) {
        ec_part parts[MAX_PARTS];
        char names[MAX_PARTS][64];
        size_t n = build_parts(&in, cases[i].parts, parts, names);
        char path[128], what[160];
        snprintf(path, sizeof path, "/v2beta/stable-image/%s", cases[i].path);
        snprintf(what, sizeof what, "case %zu (%s, %s)", i, cases[i].path, cases[i].field);
        ec_result r = st_post(emu, path, "image/*", parts, n);
        st_expect_error(&r, 400, "bad_request", cases[i].field, what);
        ec_result_free(&r);
    }
    cr_expect_eq(stab_emulator_images_made(emu, NULL), 0, "a refused request made an image");
    inputs_free(&in);
    stab_emulator_stop(emu);
}

Test(validation, generate_rules)
{
    static const bad_case cases[] = {
        {"generate/core", {NULL}, "prompt"},
        {"generate/core", {"prompt="}, "prompt"},
        {"generate/core", {"prompt=x", "aspect_ratio=4:3"}, "aspect_ratio"},
        {"generate/core", {"prompt=x", "seed=-1"}, "seed"},
        {"generate/core", {"prompt=x", "seed=4294967295"}, "seed"},
        {"generate/core", {"prompt=x", "seed=1.5"}, "seed"},
        {"generate/core", {"prompt=x", "output_format=gif"}, "output_format"},
        {"generate/core", {"prompt=x", "style_preset=watercolor"}, "style_preset"},
        {"generate/ultra", {"prompt=x", "@image=ok"}, "strength"},
        {"generate/ultra", {"prompt=x", "@image=ok", "strength=1.5"}, "strength"},
        {"generate/ultra", {"prompt=x", "@image=small", "strength=0.5"}, "image"},
        {"generate/ultra", {"prompt=x", "@image=junk", "strength=0.5"}, "image"},
        {"generate/ultra", {"prompt=x", "negative_prompt=x", "output_format=tiff"},
         "output_format"},
        {"generate/sd3", {"prompt=x", "output_format=webp"}, "output_format"},
        {"generate/sd3", {"prompt=x", "model=sd3-large"}, "model"},
        {"generate/sd3", {"prompt=x", "mode=inpaint"}, "mode"},
        {"generate/sd3", {"prompt=x", "cfg_scale=11"}, "cfg_scale"},
        {"generate/sd3", {"prompt=x", "cfg_scale=high"}, "cfg_scale"},
        {"generate/sd3", {"prompt=x", "mode=image-to-image", "strength=0.5"}, "image"},
        {"generate/sd3", {"prompt=x", "mode=image-to-image", "@image=ok"}, "strength"},
        {"generate/sd3", {"prompt=x", "@image=ok", "strength=0.5"}, "image"},
    };
    run_cases(cases, N(cases));
}

Test(validation, edit_rules)
{
    static const bad_case cases[] = {
        {"edit/inpaint", {"prompt=x"}, "image"},
        {"edit/inpaint", {"@image=alpha"}, "prompt"},
        {"edit/inpaint", {"@image=ok", "prompt=x"}, "mask"},
        {"edit/inpaint", {"@image=ok", "@mask=junk", "prompt=x"}, "mask"},
        {"edit/inpaint", {"@image=alpha", "prompt=x", "grow_mask=101"}, "grow_mask"},
        {"edit/inpaint", {"@image=tiny", "prompt=x"}, "image"},
        {"edit/outpaint", {"@image=ok"}, "left, right, up, down"},
        {"edit/outpaint", {"@image=ok", "left=2001"}, "left"},
        {"edit/outpaint", {"@image=ok", "down=-5"}, "down"},
        {"edit/outpaint", {"@image=ok", "up=10", "creativity=1.1"}, "creativity"},
        {"edit/outpaint", {"@image=wide", "up=10"}, "image"},
        {"edit/erase", {"@image=alpha", "grow_mask=21"}, "grow_mask"},
        {"edit/erase", {NULL}, "image"},
        {"edit/search-and-replace", {"@image=ok", "prompt=x"}, "search_prompt"},
        {"edit/search-and-replace", {"@image=ok", "search_prompt=x"}, "prompt"},
        {"edit/search-and-replace", {"@image=wide", "prompt=x", "search_prompt=y"}, "image"},
        {"edit/remove-background", {"@image=ok", "output_format=jpeg"}, "output_format"},
        {"edit/remove-background", {"@image=big"}, "image"},
    };
    run_cases(cases, N(cases));
}

Test(validation, upscale_and_control_rules)
{
    static const bad_case cases[] = {
        {"upscale/fast", {"@image=tiny"}, "image"},
        {"upscale/fast", {"@image=big"}, "image"},
        {"upscale/fast", {NULL}, "image"},
        {"upscale/conservative", {"@image=ok"}, "prompt"},
        {"upscale/conservative", {"@image=ok", "prompt=x", "creativity=0.1"}, "creativity"},
        {"upscale/conservative", {"@image=wide", "prompt=x"}, "image"},
        {"upscale/creative", {"@image=ok", "prompt=x", "creativity=0.6"}, "creativity"},
        {"upscale/creative", {"@image=big", "prompt=x"}, "image"},
        {"upscale/creative", {"@image=ok", "prompt=x", "seed=x"}, "seed"},
        {"control/style", {"@image=ok"}, "prompt"},
        {"control/style", {"@image=ok", "prompt=x", "fidelity=2"}, "fidelity"},
        {"control/style", {"@image=ok", "prompt=x", "aspect_ratio=1:2"}, "aspect_ratio"},
        {"control/style-transfer", {"@init_image=ok"}, "style_image"},
        {"control/style-transfer", {"@style_image=ok"}, "init_image"},
        {"control/style-transfer", {"@init_image=ok", "@style_image=ok", "change_strength=0"},
         "change_strength"},
        {"control/style-transfer", {"@init_image=ok", "@style_image=ok", "style_strength=-1"},
         "style_strength"},
    };
    run_cases(cases, N(cases));
}

Test(validation, several_errors_are_reported_together)
{
    stab_emulator *emu = st_start();
    ec_part parts[] = {{.name = "aspect_ratio", .value = "2:1"}, {.name = "seed", .value = "-3"}};
    ec_result r = st_post(emu, ST_GEN "core", "image/*", parts, N(parts));
    st_expect_error(&r, 400, "bad_request", "prompt", "missing prompt");
    st_expect_error(&r, 400, "bad_request", "aspect_ratio", "bad ratio");
    st_expect_error(&r, 400, "bad_request", "seed", "bad seed");
    ec_result_free(&r);
    stab_emulator_stop(emu);
}

Test(validation, json_bodies_and_bad_accept_are_refused)
{
    stab_emulator *emu = st_start();
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", ST_KEY);
    const char *h[] = {auth, "Accept: image/*", NULL};
    ec_call call = {.method = "POST", .url = st_url(emu, ST_GEN "core"), .headers = h,
                    .body = "{\"prompt\":\"a fox\"}"};
    ec_result r = ec_send(&call);
    st_expect_error(&r, 400, "bad_request", "content-type", "JSON body");
    ec_result_free(&r);
    ec_part parts[] = {{.name = "prompt", .value = "a fox"}};
    r = st_post(emu, ST_GEN "core", "image/png", parts, 1);
    st_expect_error(&r, 400, "bad_request", "accept", "image/png accept");
    ec_result_free(&r);
    r = st_post(emu, ST_GEN "core", "text/plain", parts, 1);
    st_expect_error(&r, 400, "bad_request", "accept", "text accept");
    ec_result_free(&r);
    cr_expect_eq(stab_emulator_images_made(emu, NULL), 0);
    stab_emulator_stop(emu);
}

Test(validation, prompt_is_limited_to_10000_characters)
{
    stab_emulator *emu = st_start();
    char *prompt = malloc(10002);
    memset(prompt, 'a', 10001);
    prompt[10001] = 0;
    ec_part parts[] = {{.name = "prompt", .value = prompt}};
    ec_result r = st_post(emu, ST_GEN "core", "image/*", parts, 1);
    st_expect_error(&r, 400, "bad_request", "prompt", "10001 characters");
    ec_result_free(&r);
    /* 10000 two-byte characters are still 10000 characters */
    char *wide = malloc(20001);
    for (int i = 0; i < 10000; i++)
        memcpy(wide + 2 * i, "\xc3\xa9", 2);
    wide[20000] = 0;
    parts[0].value = wide;
    r = st_post(emu, ST_GEN "core", "image/*", parts, 1);
    st_expect_image(&r, "png", 1024, 1024, NULL);
    ec_result_free(&r);
    free(wide);
    free(prompt);
    stab_emulator_stop(emu);
}

Test(validation, bodies_over_10_mib_are_413)
{
    stab_emulator *emu = st_start();
    size_t big = 10u * 1024u * 1024u + 1024u;
    unsigned char *blob = malloc(big);
    memset(blob, 0x5a, big);
    blob[0] = 0x89; /* any bytes: the size decides first */
    ec_part parts[] = {{.name = "prompt", .value = "x"},
                       {.name = "image", .data = blob, .size = big, .filename = "big.png",
                        .type = "image/png"}};
    ec_result r = st_post(emu, ST_UPSCALE "fast", "image/*", parts, N(parts));
    st_expect_error(&r, 413, "payload_too_large", "body", "11 MiB upload");
    ec_result_free(&r);
    free(blob);
    cr_expect_eq(stab_emulator_images_made(emu, NULL), 0);
    stab_emulator_stop(emu);
}
