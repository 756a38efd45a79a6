/*
 * test_openai_emulator_edits.c - /images/edits and /images/variations of the
 * OpenAI emulator: multipart success paths with real images, and the file
 * rules (content types, masks, squares, sizes).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_test_util.h"
#include "support/test_images.h"

#define FIELD(n, v) {.name = (n), .value = (v)}
#define FILEP(n, d, s, t) {.name = (n), .data = (d), .size = (s), .filename = "f.img", .type = (t)}

/* POSTs a form to an endpoint with the right key. */
static ec_result form(oai_emulator *emu, const char *path, const ec_part *parts, size_t n)
{
    return ec_post_form(et_url(emu, path), ET_KEY, parts, n, 0);
}

Test(edits, gpt_two_images_and_mask)
{
    oai_emulator *emu = et_start();
    size_t na, nb, nm;
    unsigned char *a = ti_encode("png", 96, 64, 3, &na);
    unsigned char *b = ti_encode("jpeg", 40, 40, 3, &nb);
    unsigned char *m = ti_encode("png", 96, 64, 4, &nm);
    ec_part parts[] = {
        FILEP("image[]", a, na, "image/png"), FILEP("image[]", b, nb, "image/jpeg"),
        FILEP("mask", m, nm, "image/png"), FIELD("prompt", "add a hat"),
        FIELD("model", "gpt-image-2"), FIELD("size", "256x192"), FIELD("n", "2"),
        FIELD("output_format", "webp"), FIELD("input_fidelity", "high"),
        FIELD("quality", "high"), FIELD("background", "opaque")};
    ec_result r = form(emu, "/images/edits", parts, sizeof parts / sizeof *parts);
    cr_assert_eq(r.status, 200, "%s", r.body);
    const cJSON *data = cJSON_GetObjectItem(r.json, "data");
    cr_assert_eq(cJSON_GetArraySize(data), 2);
    for (int i = 0; i < 2; i++) {
        et_image img = et_decode_b64(cJSON_GetStringValue(
            cJSON_GetObjectItem(cJSON_GetArrayItem(data, i), "b64_json")));
        cr_expect_str_eq(img.format, "webp");
        cr_expect_eq(img.width, 256);
        cr_expect_eq(img.height, 192);
    }
    const cJSON *usage = cJSON_GetObjectItem(r.json, "usage");
    const cJSON *details = cJSON_GetObjectItem(usage, "input_tokens_details");
    cr_expect_gt(cJSON_GetObjectItem(details, "image_tokens")->valueint, 0);
    const cJSON *v;
    cJSON_ArrayForEach(v, r.json) cr_expect(et_spec_has("ImagesResponse", v->string));
    /* The log names every part, in order. */
    cJSON *log = emu_request_log(oai_emulator_server(emu));
    const cJSON *entry = cJSON_GetArrayItem(log, 0);
    const cJSON *logged = cJSON_GetObjectItem(entry, "parts");
    cr_assert_eq(cJSON_GetArraySize(logged), (int)(sizeof parts / sizeof *parts));
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(logged, 1), "name")->valuestring,
                     "image[]");
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(logged, 1), "contentType")->valuestring,
                     "image/jpeg");
    cr_expect_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(logged, 2), "size")->valueint, (int)nm);
    cr_expect(strstr(cJSON_GetObjectItem(entry, "contentType")->valuestring,
                     "multipart/form-data"));
    cJSON_Delete(log);
    ec_result_free(&r);
    free(a), free(b), free(m);
    oai_emulator_stop(emu);
}

Test(edits, gpt_auto_size_follows_the_image)
{
    oai_emulator *emu = et_start();
    size_t n;
    unsigned char *a = ti_encode("webp", 150, 100, 3, &n);
    ec_part parts[] = {FILEP("image", a, n, "image/webp"), FIELD("prompt", "wide"),
                       FIELD("model", "gpt-image-1-mini"), FIELD("quality", "low")};
    ec_result r = form(emu, "/images/edits", parts, 4);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(cJSON_GetObjectItem(r.json, "size")->valuestring, "1536x1024");
    et_image img = et_decode_b64(cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "data"), 0),
                            "b64_json")));
    cr_expect_eq(img.width, 1536);
    cr_expect_eq(img.height, 1024);
    ec_result_free(&r);
    free(a);
    oai_emulator_stop(emu);
}

Test(edits, dall_e_2_with_mask_b64_and_url)
{
    oai_emulator *emu = et_start();
    size_t ni, nm;
    unsigned char *img = ti_encode("png", 64, 64, 3, &ni);
    unsigned char *mask = ti_encode("png", 64, 64, 4, &nm);
    ec_part parts[] = {FILEP("image", img, ni, "image/png"), FILEP("mask", mask, nm, "image/png"),
                       FIELD("prompt", "a boat"), FIELD("model", "dall-e-2"),
                       FIELD("size", "256x256"), FIELD("response_format", "b64_json")};
    ec_result r = form(emu, "/images/edits", parts, 6);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_null(cJSON_GetObjectItem(r.json, "usage"));
    et_image out = et_decode_b64(cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "data"), 0),
                            "b64_json")));
    cr_expect_eq(out.width, 256);
    ec_result_free(&r);
    r = form(emu, "/images/edits", parts, 5); /* url by default */
    cr_assert_eq(r.status, 200, "%s", r.body);
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "data"), 0), "url"));
    cr_assert_not_null(url);
    ec_result got = ec_get(url, NULL, 0);
    cr_expect_eq(got.status, 200);
    ec_result_free(&got);
    ec_result_free(&r);
    free(img), free(mask);
    oai_emulator_stop(emu);
}

typedef struct edit_case {
    const char *what, *param, *code;
    const char *image_fmt, *image_type; /* NULL fmt = no image part */
    int iw, ih, ibands;
    const char *mask_fmt, *mask_type;   /* NULL = no mask */
    int mw, mh, mbands;
    const char *model, *extra_name, *extra_value;
} edit_case;

Test(edits, each_file_rule_answers_400)
{
    static const edit_case cases[] = {
        {"octet-stream image", "image", "unsupported_file_mimetype", "png",
         "application/octet-stream", 32, 32, 3, NULL, NULL, 0, 0, 0, "gpt-image-1", NULL, NULL},
        {"gif image", "image", "unsupported_file_mimetype", "gif", "image/gif", 32, 32, 3,
         NULL, NULL, 0, 0, 0, "gpt-image-1", NULL, NULL},
        {"png bytes that are not an image", "image", "invalid_image_format", "junk",
         "image/png", 32, 32, 3, NULL, NULL, 0, 0, 0, "gpt-image-1", NULL, NULL},
        {"missing image", "image", "missing_required_parameter", NULL, NULL, 0, 0, 0, NULL,
         NULL, 0, 0, 0, "gpt-image-1", NULL, NULL},
        {"mask without alpha", "mask", NULL, "png", "image/png", 32, 32, 3, "png", "image/png",
         32, 32, 3, "gpt-image-1", NULL, NULL},
        {"mask of another size", "mask", NULL, "png", "image/png", 32, 32, 3, "png",
         "image/png", 32, 16, 4, "gpt-image-1", NULL, NULL},
        {"webp mask", "mask", NULL, "png", "image/png", 32, 32, 3, "webp", "image/webp", 32, 32,
         4, "gpt-image-1", NULL, NULL},
        {"dall-e-2 non-square", "image", NULL, "png", "image/png", 32, 16, 4, NULL, NULL, 0, 0,
         0, "dall-e-2", NULL, NULL},
        {"dall-e-2 jpeg", "image", "unsupported_file_mimetype", "jpeg", "image/jpeg", 32, 32, 3,
         NULL, NULL, 0, 0, 0, "dall-e-2", NULL, NULL},
        {"dall-e-2 no mask, no alpha", "image", NULL, "png", "image/png", 32, 32, 3, NULL, NULL,
         0, 0, 0, "dall-e-2", NULL, NULL},
        {"dall-e-3 cannot edit", "model", "invalid_value", "png", "image/png", 32, 32, 3, NULL,
         NULL, 0, 0, 0, "dall-e-3", NULL, NULL},
        {"unknown field", NULL, NULL, "png", "image/png", 32, 32, 3, NULL, NULL, 0, 0, 0,
         "gpt-image-1", "style", "vivid"},
        {"dall-e-2 size", "size", "invalid_value", "png", "image/png", 32, 32, 4, NULL, NULL, 0,
         0, 0, "dall-e-2", "size", "1536x1024"},
        {"gpt response_format", "response_format", NULL, "png", "image/png", 32, 32, 3, NULL,
         NULL, 0, 0, 0, "gpt-image-1", "response_format", "url"},
        {"mini input_fidelity", "input_fidelity", NULL, "png", "image/png", 32, 32, 3, NULL,
         NULL, 0, 0, 0, "gpt-image-1-mini", "input_fidelity", "high"},
        {"n as text", "n", "invalid_type", "png", "image/png", 32, 32, 3, NULL, NULL, 0, 0, 0,
         "gpt-image-1", "n", "two"},
    };
    oai_emulator *emu = et_start();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const edit_case *c = &cases[i];
        ec_part parts[6];
        size_t n = 0, ni = 0, nm = 0;
        unsigned char *img = NULL, *mask = NULL;
        if (c->image_fmt) {
            img = !strcmp(c->image_fmt, "junk") ? (unsigned char *)strdup("not an image")
                                               : ti_encode(c->image_fmt, c->iw, c->ih, c->ibands, &ni);
            if (!strcmp(c->image_fmt, "junk"))
                ni = 12;
            parts[n++] = (ec_part)FILEP("image", img, ni, c->image_type);
        }
        if (c->mask_fmt) {
            mask = ti_encode(c->mask_fmt, c->mw, c->mh, c->mbands, &nm);
            parts[n++] = (ec_part)FILEP("mask", mask, nm, c->mask_type);
        }
        parts[n++] = (ec_part)FIELD("prompt", "p");
        parts[n++] = (ec_part)FIELD("model", c->model);
        if (c->extra_name)
            parts[n++] = (ec_part)FIELD(c->extra_name, c->extra_value);
        ec_result r = form(emu, "/images/edits", parts, n);
        et_expect_400(&r, c->param, c->code, c->what);
        ec_result_free(&r);
        free(img), free(mask);
    }
    /* JSON edits (image URLs) are not emulated: a clear 400. */
    ec_result r = ec_post_json(et_url(emu, "/images/edits"), ET_KEY, "{\"prompt\":\"x\"}", 0);
    et_expect_400(&r, NULL, NULL, "json edit");
    ec_result_free(&r);
    cr_expect_eq(oai_emulator_images_made(emu, NULL), 0);
    oai_emulator_stop(emu);
}

Test(edits, seventeen_images_are_too_many)
{
    oai_emulator *emu = et_start();
    size_t n;
    unsigned char *img = ti_encode("png", 16, 16, 3, &n);
    ec_part parts[18];
    for (int i = 0; i < 17; i++)
        parts[i] = (ec_part)FILEP("image[]", img, n, "image/png");
    parts[17] = (ec_part)FIELD("prompt", "p");
    ec_result r = form(emu, "/images/edits", parts, 18);
    et_expect_400(&r, "image", "invalid_value", "17 images");
    ec_result_free(&r);
    free(img);
    oai_emulator_stop(emu);
}

Test(variations, dall_e_2_square_png)
{
    oai_emulator *emu = et_start();
    size_t n;
    unsigned char *img = ti_encode("png", 48, 48, 3, &n);
    ec_part parts[] = {FILEP("image", img, n, "image/png"), FIELD("n", "2"),
                       FIELD("size", "256x256"), FIELD("response_format", "b64_json"),
                       FIELD("model", "dall-e-2"), FIELD("user", "u")};
    ec_result r = form(emu, "/images/variations", parts, 6);
    cr_assert_eq(r.status, 200, "%s", r.body);
    const cJSON *data = cJSON_GetObjectItem(r.json, "data");
    cr_assert_eq(cJSON_GetArraySize(data), 2);
    et_image out = et_decode_b64(cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetArrayItem(data, 1), "b64_json")));
    cr_expect_eq(out.width, 256);
    cr_expect_str_eq(out.format, "png");
    cr_expect_eq(oai_emulator_images_made(emu, "dall-e-2"), 2);
    ec_result_free(&r);
    free(img);
    oai_emulator_stop(emu);
}

Test(variations, rules_answer_400)
{
    oai_emulator *emu = et_start();
    size_t nsq, nwide, njpg;
    unsigned char *sq = ti_encode("png", 32, 32, 3, &nsq);
    unsigned char *wide = ti_encode("png", 32, 16, 3, &nwide);
    unsigned char *jpg = ti_encode("jpeg", 32, 32, 3, &njpg);
    size_t nbig = 4u * 1024u * 1024u + 16;
    unsigned char *big = calloc(1, nbig);
    memcpy(big, sq, nsq);
    struct { ec_part p[2]; size_t n; const char *param, *code, *what; } cases[] = {
        {{FILEP("image", wide, nwide, "image/png")}, 1, "image", NULL, "not square"},
        {{FILEP("image", jpg, njpg, "image/jpeg")}, 1, "image", "unsupported_file_mimetype", "jpeg"},
        {{FILEP("image", big, nbig, "image/png")}, 1, "image", NULL, "4 MB"},
        {{FILEP("image", sq, nsq, "image/png"), FIELD("model", "gpt-image-1")}, 2, "model",
         "invalid_value", "gpt model"},
        {{FILEP("image", sq, nsq, "image/png"), FIELD("size", "1536x1024")}, 2, "size", NULL,
         "size"},
        {{FILEP("image", sq, nsq, "image/png"), FIELD("prompt", "x")}, 2, NULL, NULL, "prompt"},
        {{FILEP("image[]", sq, nsq, "image/png")}, 1, NULL, NULL, "image[]"},
        {{FIELD("n", "1")}, 1, "image", "missing_required_parameter", "no image"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ec_result r = form(emu, "/images/variations", cases[i].p, cases[i].n);
        et_expect_400(&r, cases[i].param, cases[i].code, cases[i].what);
        ec_result_free(&r);
    }
    free(sq), free(wide), free(jpg), free(big);
    oai_emulator_stop(emu);
}
