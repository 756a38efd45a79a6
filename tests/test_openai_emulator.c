/*
 * test_openai_emulator.c - the OpenAI Images emulator's success paths,
 * validation rules and agreement with the OpenAPI spec, driven with plain
 * libcurl. Faults, auth and lifecycle are in test_openai_emulator_faults.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_test_util.h"
#include "emulators/openai_internal.h"
#include "support/test_images.h"

/* POSTs JSON to /images/generations with the right key. */
static ec_result gen(oai_emulator *emu, const char *json)
{
    return ec_post_json(et_url(emu, "/images/generations"), ET_KEY, json, 0);
}

/* Asserts every key of obj is a property of the spec schema. */
static void expect_keys_in_spec(const cJSON *obj, const char *schema)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, obj)
        cr_expect(et_spec_has(schema, v->string), "%s emits '%s', which the spec's %s lacks",
                  schema, v->string, schema);
}

/* Asserts an ImagesResponse's keys (and its items' and usage's) are in the spec. */
static void expect_response_in_spec(const cJSON *root)
{
    expect_keys_in_spec(root, "ImagesResponse");
    cr_expect(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(root, "created")));
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(root, "data"))
        expect_keys_in_spec(item, "Image");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (usage) {
        expect_keys_in_spec(usage, "ImagesUsage");
        expect_keys_in_spec(usage, "ImageGenUsage"); /* what ImagesResponse refers to */
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(usage, "input_tokens_details");
        cr_assert(cJSON_IsObject(d));
        expect_keys_in_spec(d, "ImageGenInputUsageDetails");
        const char *req[] = {"input_tokens", "output_tokens", "total_tokens"};
        for (size_t i = 0; i < 3; i++)
            cr_expect(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(usage, req[i])));
    }
}

/* Asserts a 200 GPT answer with n decodable images of w x h in format fmt. */
static void expect_gpt_images(const ec_result *r, int n, int w, int h, const char *fmt,
                              int bands)
{
    cr_assert_eq(r->curl_code, 0);
    cr_assert_eq(r->status, 200, "status %ld: %s", r->status, r->body);
    cr_assert_not_null(r->json);
    expect_response_in_spec(r->json);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(r->json, "data");
    cr_assert_eq(cJSON_GetArraySize(data), n);
    char *first = NULL;
    for (int i = 0; i < n; i++) {
        const cJSON *item = cJSON_GetArrayItem(data, i);
        cr_expect_null(cJSON_GetObjectItemCaseSensitive(item, "url"));
        cr_expect_null(cJSON_GetObjectItemCaseSensitive(item, "revised_prompt"));
        const char *b64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "b64_json"));
        et_image img = et_decode_b64(b64);
        cr_expect_str_eq(img.format, fmt);
        cr_expect_eq(img.width, w);
        cr_expect_eq(img.height, h);
        cr_expect_eq(img.bands, bands, "bands %d", img.bands);
        if (i == 0)
            first = strdup(b64);
        else
            cr_expect_str_neq(b64, first, "image %d equals image 0", i);
    }
    free(first);
    char size[32];
    snprintf(size, sizeof size, "%dx%d", w, h);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r->json, "size")), size);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r->json, "output_format")), fmt);
    cr_expect(cJSON_IsObject(cJSON_GetObjectItem(r->json, "usage")));
}

Test(generations, gpt_image_1_png_default_size)
{
    oai_emulator *emu = et_start();
    ec_result r = gen(emu, "{\"model\":\"gpt-image-1\",\"prompt\":\"a red fox\",\"quality\":\"low\"}");
    expect_gpt_images(&r, 1, 1024, 1024, "png", 3);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "quality")), "low");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "background")), "opaque");
    cr_expect_eq(oai_emulator_images_made(emu, "gpt-image-1"), 1);
    ec_result_free(&r);
    oai_emulator_stop(emu);
}

Test(generations, gpt_image_2_free_size_n_formats)
{
    oai_emulator *emu = et_start();
    ec_result r = gen(emu, "{\"model\":\"gpt-image-2\",\"prompt\":\"fox\",\"n\":3,"
                           "\"size\":\"320x192\",\"output_format\":\"jpeg\","
                           "\"output_compression\":60,\"moderation\":\"low\"}");
    expect_gpt_images(&r, 3, 320, 192, "jpeg", 3);
    ec_result_free(&r);
    r = gen(emu, "{\"model\":\"gpt-image-2\",\"prompt\":\"fox\",\"size\":\"160x480\","
                 "\"output_format\":\"webp\",\"background\":\"transparent\"}");
    expect_gpt_images(&r, 1, 160, 480, "webp", 4);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "background")),
                     "transparent");
    ec_result_free(&r);
    r = gen(emu, "{\"model\":\"gpt-image-2\",\"prompt\":\"fox\",\"size\":\"256x256\","
                 "\"background\":\"transparent\",\"user\":\"u1\",\"stream\":false}");
    expect_gpt_images(&r, 1, 256, 256, "png", 4);
    ec_result_free(&r);
    cr_expect_eq(oai_emulator_images_made(emu, "gpt-image-2"), 5);
    cr_expect_eq(oai_emulator_images_made(emu, NULL), 5);
    oai_emulator_stop(emu);
}

Test(generations, dall_e_3_b64_with_revised_prompt)
{
    oai_emulator *emu = et_start();
    ec_result r = gen(emu, "{\"model\":\"dall-e-3\",\"prompt\":\"a lighthouse\","
                           "\"response_format\":\"b64_json\",\"quality\":\"hd\","
                           "\"style\":\"natural\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    expect_response_in_spec(r.json);
    cr_expect_null(cJSON_GetObjectItem(r.json, "usage"), "dall-e answers carry no usage");
    const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "data"), 0);
    cr_expect(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(item, "revised_prompt")),
                     "a lighthouse"));
    et_image img = et_decode_b64(cJSON_GetStringValue(cJSON_GetObjectItem(item, "b64_json")));
    cr_expect_str_eq(img.format, "png");
    cr_expect_eq(img.width, 1024);
    cr_expect_eq(img.height, 1024);
    ec_result_free(&r);
    oai_emulator_stop(emu);
}

Test(generations, dall_e_2_default_model_answers_urls)
{
    oai_emulator *emu = et_start();
    ec_result r = gen(emu, "{\"prompt\":\"a cat\",\"size\":\"256x256\",\"n\":2}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    expect_response_in_spec(r.json);
    const cJSON *data = cJSON_GetObjectItem(r.json, "data");
    cr_assert_eq(cJSON_GetArraySize(data), 2);
    for (int i = 0; i < 2; i++) {
        const cJSON *item = cJSON_GetArrayItem(data, i);
        cr_expect_null(cJSON_GetObjectItem(item, "b64_json"));
        const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(item, "url"));
        cr_assert_not_null(url);
        ec_result img = ec_get(url, NULL, 0);
        cr_assert_eq(img.status, 200);
        et_image info;
        cr_assert(et_decode((unsigned char *)img.body, img.size, &info));
        cr_expect_str_eq(info.format, "png");
        cr_expect_eq(info.width, 256);
        ec_result_free(&img);
    }
    cr_expect_eq(oai_emulator_images_made(emu, "dall-e-2"), 2);
    ec_result_free(&r);
    /* A GPT-only parameter without a model selects a GPT image model. */
    r = gen(emu, "{\"prompt\":\"a cat\",\"output_format\":\"webp\",\"quality\":\"low\"}");
    expect_gpt_images(&r, 1, 1024, 1024, "webp", 3);
    cr_expect_eq(oai_emulator_images_made(emu, "gpt-image-1.5"), 1);
    ec_result_free(&r);
    oai_emulator_stop(emu);
}

Test(generations, stream_sends_sse_events)
{
    oai_emulator *emu = et_start();
    ec_result r = gen(emu, "{\"model\":\"gpt-image-2\",\"prompt\":\"x\",\"size\":\"64x64\","
                           "\"stream\":true,\"partial_images\":1}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    char *ct = ec_header(&r, "Content-Type");
    cr_expect_str_eq(ct, "text/event-stream");
    free(ct);
    cr_expect(strstr(r.body, "event: image_generation.partial_image\ndata: {"));
    const char *done = strstr(r.body, "event: image_generation.completed\ndata: ");
    cr_assert_not_null(done);
    cJSON *ev = cJSON_Parse(strstr(done, "data: ") + 6);
    cr_assert_not_null(ev);
    expect_keys_in_spec(ev, "ImageGenCompletedEvent");
    et_image img = et_decode_b64(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "b64_json")));
    cr_expect_eq(img.width, 64);
    cJSON_Delete(ev);
    ec_result_free(&r);
    oai_emulator_stop(emu);
}

typedef struct bad_case {
    const char *body, *param, *code;
} bad_case;

Test(generations, each_rule_answers_400_with_its_param)
{
    static const bad_case cases[] = {
        {"not json", NULL, NULL},
        {"{\"prompt\":\"x\",\"colour\":\"red\"}", NULL, NULL},
        {"{\"model\":\"gpt-image-1\"}", "prompt", "missing_required_parameter"},
        {"{\"prompt\":\"\"}", "prompt", "empty_string"},
        {"{\"prompt\":7}", "prompt", "invalid_type"},
        {"{\"prompt\":\"x\",\"n\":\"2\"}", "n", "invalid_type"},
        {"{\"prompt\":\"x\",\"n\":1.5}", "n", "invalid_type"},
        {"{\"prompt\":\"x\",\"n\":0}", "n", "integer_below_min_value"},
        {"{\"prompt\":\"x\",\"n\":11}", "n", "integer_above_max_value"},
        {"{\"prompt\":\"x\",\"model\":\"dall-e-3\",\"n\":2}", "n", NULL},
        {"{\"prompt\":\"x\",\"model\":\"dall-e-4\"}", "model", "invalid_value"},
        {"{\"prompt\":\"x\",\"size\":\"1536x1024\"}", "size", "invalid_value"},
        {"{\"prompt\":\"x\",\"model\":\"dall-e-3\",\"size\":\"512x512\"}", "size", NULL},
        {"{\"prompt\":\"x\",\"model\":\"gpt-image-1\",\"size\":\"512x512\"}", "size", NULL},
        {"{\"prompt\":\"x\",\"model\":\"gpt-image-1\",\"size\":\"big\"}", "size", NULL},
        {"{\"prompt\":\"x\",\"model\":\"gpt-image-2\",\"size\":\"1000x1000\"}", "size", NULL},
        {"{\"prompt\":\"x\",\"model\":\"gpt-image-2\",\"size\":\"1600x512\"}", "size", NULL},
        {"{\"prompt\":\"x\",\"model\":\"gpt-image-2\",\"size\":\"4096x2048\"}", "size", NULL},
        {"{\"prompt\":\"x\",\"model\":\"dall-e-2\",\"size\":\"auto\"}", "size", NULL},
        {"{\"prompt\":\"x\",\"model\":\"gpt-image-1\",\"quality\":\"hd\"}", "quality", NULL},
        {"{\"prompt\":\"x\",\"model\":\"dall-e-3\",\"quality\":\"low\"}", "quality", NULL},
        {"{\"prompt\":\"x\",\"model\":\"dall-e-2\",\"quality\":\"hd\"}", "quality", NULL},
        {"{\"prompt\":\"x\",\"model\":\"gpt-image-1\",\"response_format\":\"url\"}",
         "response_format", NULL},
        {"{\"prompt\":\"x\",\"response_format\":\"jpg\"}", "response_format", NULL},
        {"{\"prompt\":\"x\",\"model\":\"dall-e-2\",\"style\":\"vivid\"}", "style", NULL},
        {"{\"prompt\":\"x\",\"model\":\"dall-e-3\",\"style\":\"anime\"}", "style", NULL},
        {"{\"prompt\":\"x\",\"model\":\"dall-e-3\",\"output_format\":\"png\"}",
         "output_format", NULL},
        {"{\"prompt\":\"x\",\"model\":\"dall-e-2\",\"background\":\"opaque\"}", "background",
         NULL},
        {"{\"prompt\":\"x\",\"output_format\":\"gif\"}", "output_format", NULL},
        {"{\"prompt\":\"x\",\"output_format\":\"jpeg\",\"background\":\"transparent\"}",
         "background", NULL},
        {"{\"prompt\":\"x\",\"output_compression\":50}", "output_compression", NULL},
        {"{\"prompt\":\"x\",\"output_format\":\"webp\",\"output_compression\":101}",
         "output_compression", NULL},
        {"{\"prompt\":\"x\",\"model\":\"gpt-image-1\",\"moderation\":\"high\"}", "moderation",
         NULL},
        {"{\"prompt\":\"x\",\"model\":\"gpt-image-1\",\"stream\":\"yes\"}", "stream",
         "invalid_type"},
        {"{\"prompt\":\"x\",\"model\":\"gpt-image-1\",\"partial_images\":4}", "partial_images",
         NULL},
        {"{\"prompt\":\"x\",\"model\":\"gpt-image-1\",\"background\":\"none\"}", "background",
         NULL},
    };
    oai_emulator *emu = et_start();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ec_result r = gen(emu, cases[i].body);
        et_expect_400(&r, cases[i].param, cases[i].code, cases[i].body);
        ec_result_free(&r);
    }
    cr_expect_eq(oai_emulator_images_made(emu, NULL), 0, "a refused request made images");
    oai_emulator_stop(emu);
}

/* A prompt of n 'a's as a generations body for model. */
static char *long_prompt(const char *model, size_t n)
{
    char *body = malloc(n + 128);
    int k = sprintf(body, "{\"model\":\"%s\",\"prompt\":\"", model);
    memset(body + k, 'a', n);
    strcpy(body + k + n, "\"}");
    return body;
}

Test(generations, prompt_length_per_model)
{
    static const struct { const char *model; size_t max; } limits[] = {
        {"dall-e-2", 1000}, {"dall-e-3", 4000}, {"gpt-image-1", 32000}};
    oai_emulator *emu = et_start();
    for (size_t i = 0; i < 3; i++) {
        char *body = long_prompt(limits[i].model, limits[i].max + 1);
        ec_result r = gen(emu, body);
        et_expect_400(&r, "prompt", "string_above_max_length", limits[i].model);
        ec_result_free(&r);
        free(body);
    }
    /* Exactly the limit passes validation (dall-e-2: a cheap 256x256). */
    char *body = long_prompt("dall-e-2", 1000);
    body[strlen(body) - 1] = 0;
    char *full = malloc(strlen(body) + 64);
    sprintf(full, "%s,\"size\":\"256x256\"}", body);
    ec_result r = gen(emu, full);
    cr_expect_eq(r.status, 200, "%s", r.body);
    ec_result_free(&r);
    free(full);
    free(body);
    oai_emulator_stop(emu);
}

Test(spec, accepted_request_fields_exist_in_the_spec)
{
    for (size_t i = 0; oai_generation_fields[i]; i++)
        cr_expect(et_spec_has("CreateImageRequest", oai_generation_fields[i]), "%s",
                  oai_generation_fields[i]);
    for (size_t i = 0; oai_edit_fields[i]; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s", oai_edit_fields[i]);
        char *brackets = strstr(name, "[]");
        if (brackets)
            *brackets = 0; /* image[] is the array form of image */
        cr_expect(et_spec_has("CreateImageEditRequest", name), "%s", name);
    }
    for (size_t i = 0; oai_variation_fields[i]; i++)
        cr_expect(et_spec_has("CreateImageVariationRequest", oai_variation_fields[i]), "%s",
                  oai_variation_fields[i]);
    /* ...and the other way round: the emulator accepts every spec field. */
    const char *schemas[] = {"CreateImageRequest", "CreateImageEditRequest",
                             "CreateImageVariationRequest"};
    const char *const *lists[] = {oai_generation_fields, oai_edit_fields,
                                  oai_variation_fields};
    for (size_t s = 0; s < 3; s++) {
        const cJSON *prop;
        cJSON_ArrayForEach(prop, cJSON_GetObjectItem(et_schema(schemas[s]), "properties"))
        {
            bool found = false;
            for (size_t i = 0; lists[s][i]; i++)
                found |= !strcmp(lists[s][i], prop->string);
            cr_expect(found, "%s.%s is not accepted by the emulator", schemas[s], prop->string);
        }
    }
}
