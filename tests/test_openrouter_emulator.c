/*
 * test_openrouter_emulator.c - the OpenRouter emulator's success paths over
 * HTTP: image output per model with decoded sizes, aspect ratios and image
 * sizes, edits that keep the input's aspect, text-only answers, usage and
 * cost, and GET /api/v1/models. Validation is in
 * test_openrouter_emulator_validation.c; auth, faults, hooks and the
 * playground in test_openrouter_emulator_faults.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_openrouter_emulator_util.h"

#define BOTH "[\"image\",\"text\"]"
#define IMAGE_ONLY "[\"image\"]"

/* Posts a body built by ot_body and frees it. */
static ec_result ask(orr_emulator *emu, const char *model, const char *mods, const char *extra)
{
    char *body = ot_body(model, mods, "a lighthouse at dusk", extra);
    ec_result r = ot_post(emu, body);
    free(body);
    return r;
}

/* usage.<name> as an int. */
static int usage_int(const ec_result *r, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(r->json, "usage"), name);
    cr_assert(cJSON_IsNumber(v), "usage.%s missing", name);
    return v->valueint;
}

Test(images, gemini_flash_default_square_with_text)
{
    orr_emulator *emu = ot_start();
    ec_result r = ask(emu, "google/gemini-2.5-flash-image", BOTH, "");
    ot_expect_image(&r, "google/gemini-2.5-flash-image", 1024, 1024, "png", 0.0387);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "provider")), "Google");
    const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "choices"), 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(choice, "native_finish_reason")),
                     "STOP");
    cr_expect_str_neq(cJSON_GetStringValue(cJSON_GetObjectItem(ot_message(&r), "content")), "",
                      "image+text answers carry some text");
    const cJSON *details = cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "usage"),
                                               "completion_tokens_details");
    cr_expect_eq(cJSON_GetObjectItem(details, "image_tokens")->valueint, 1290);
    cr_expect_eq(orr_emulator_images_made(emu, "google/gemini-2.5-flash-image"), 1);
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 1);
    ec_result_free(&r);
    /* Image-only modalities: the same image, empty text. */
    r = ask(emu, "google/gemini-2.5-flash-image", IMAGE_ONLY, "");
    ot_expect_image(&r, "google/gemini-2.5-flash-image", 1024, 1024, "png", 0.0387);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(ot_message(&r), "content")), "");
    ec_result_free(&r);
    orr_emulator_stop(emu);
}

Test(images, gemini_flash_every_documented_aspect_ratio)
{
    static const struct {
        const char *ratio;
        int w, h;
    } want[] = {{"1:1", 1024, 1024}, {"2:3", 832, 1248}, {"3:2", 1248, 832},
                {"3:4", 864, 1184},  {"4:3", 1184, 864}, {"4:5", 896, 1152},
                {"5:4", 1152, 896},  {"9:16", 768, 1344}, {"16:9", 1344, 768},
                {"21:9", 1536, 672}};
    orr_emulator *emu = ot_start();
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char extra[96];
        snprintf(extra, sizeof extra, ",\"image_config\":{\"aspect_ratio\":\"%s\"}",
                 want[i].ratio);
        ec_result r = ask(emu, "google/gemini-2.5-flash-image", BOTH, extra);
        ot_expect_image(&r, "google/gemini-2.5-flash-image", want[i].w, want[i].h, "png",
                        0.0387);
        ec_result_free(&r);
    }
    /* image_size is a Gemini 3 Pro feature: Flash stays at ~1 MP. */
    ec_result r = ask(emu, "google/gemini-2.5-flash-image", BOTH,
                      ",\"image_config\":{\"aspect_ratio\":\"16:9\",\"image_size\":\"2K\"}");
    ot_expect_image(&r, "google/gemini-2.5-flash-image", 1344, 768, "png", 0.0387);
    ec_result_free(&r);
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 11);
    orr_emulator_stop(emu);
}

Test(images, gemini_3_pro_image_sizes_scale_the_buckets, .timeout = 120)
{
    orr_emulator *emu = ot_start();
    const char *model = "google/gemini-3-pro-image-preview";
    ec_result r = ask(emu, model, BOTH, ",\"image_config\":{\"aspect_ratio\":\"9:16\"}");
    ot_expect_image(&r, model, 768, 1344, "png", 0.1344);
    ec_result_free(&r);
    r = ask(emu, model, BOTH,
            ",\"image_config\":{\"aspect_ratio\":\"16:9\",\"image_size\":\"2K\"}");
    ot_expect_image(&r, model, 2688, 1536, "png", 0.1344);
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(ot_message(&r), "content"));
    cr_expect_eq(usage_int(&r, "completion_tokens"), 1120 + (int)(strlen(text) + 3) / 4);
    ec_result_free(&r);
    r = ask(emu, model, IMAGE_ONLY, ",\"image_config\":{\"image_size\":\"4K\"}");
    ot_expect_image(&r, model, 4096, 4096, "png", 0.24);
    cr_expect_eq(usage_int(&r, "completion_tokens"), 2000);
    ec_result_free(&r);
    cr_expect_eq(orr_emulator_images_made(emu, model), 3);
    orr_emulator_stop(emu);
}

Test(images, flux_models_draw_without_text)
{
    orr_emulator *emu = ot_start();
    ec_result r = ask(emu, "black-forest-labs/flux.2-pro", IMAGE_ONLY,
                      ",\"image_config\":{\"aspect_ratio\":\"3:4\"}");
    ot_expect_image(&r, "black-forest-labs/flux.2-pro", 864, 1184, "png", 0.03);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "provider")),
                     "Black Forest Labs");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(ot_message(&r), "content")), "");
    ec_result_free(&r);
    /* image_size is Gemini only: FLUX ignores it. */
    r = ask(emu, "black-forest-labs/flux.2-flex", IMAGE_ONLY,
            ",\"image_config\":{\"aspect_ratio\":\"9:16\",\"image_size\":\"4K\"}");
    ot_expect_image(&r, "black-forest-labs/flux.2-flex", 768, 1344, "png", 0.06);
    ec_result_free(&r);
    cr_expect_eq(orr_emulator_images_made(emu, "black-forest-labs/flux.2-pro"), 1);
    cr_expect_eq(orr_emulator_images_made(emu, "black-forest-labs/flux.2-flex"), 1);
    orr_emulator_stop(emu);
}

Test(images, gpt_5_image_mini_maps_aspects_to_openai_sizes)
{
    static const struct {
        const char *extra;
        int w, h;
    } want[] = {{"", 1024, 1024},
                {",\"image_config\":{\"aspect_ratio\":\"16:9\"}", 1536, 1024},
                {",\"image_config\":{\"aspect_ratio\":\"2:3\"}", 1024, 1536},
                {",\"image_config\":{\"aspect_ratio\":\"1:1\",\"image_size\":\"2K\"}", 1024,
                 1024}};
    orr_emulator *emu = ot_start();
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        ec_result r = ask(emu, "openai/gpt-5-image-mini", BOTH, want[i].extra);
        ot_expect_image(&r, "openai/gpt-5-image-mini", want[i].w, want[i].h, "png", 0.008448);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "provider")),
                         "OpenAI");
        ec_result_free(&r);
    }
    orr_emulator_stop(emu);
}

/* A user message with a text part and one image_url part. */
static char *edit_body(const char *model, const char *url, const char *extra)
{
    size_t n = strlen(url) + strlen(extra) + 256;
    char *body = malloc(n);
    cr_assert_not_null(body);
    snprintf(body, n, "{\"model\":\"%s\",\"modalities\":[\"image\",\"text\"],\"messages\":"
             "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"add a red hat\"},"
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}}]}]%s}", model, url, extra);
    return body;
}

/* Posts an edit of a format/w/h input image and expects a w x h output. */
static void expect_edit(orr_emulator *emu, const char *format, int in_w, int in_h,
                        const char *extra, int w, int h)
{
    char *url = ot_data_url(format, in_w, in_h);
    char *body = edit_body("google/gemini-2.5-flash-image", url, extra);
    ec_result r = ot_post(emu, body);
    ot_expect_image(&r, "google/gemini-2.5-flash-image", w, h, "png", 0.0387);
    cr_expect_geq(usage_int(&r, "prompt_tokens"), 258, "an input image costs 258 tokens");
    ec_result_free(&r);
    free(body);
    free(url);
}

Test(edits, output_keeps_the_input_aspect)
{
    orr_emulator *emu = ot_start();
    expect_edit(emu, "png", 300, 200, "", 1248, 832);  /* 3:2 */
    expect_edit(emu, "jpeg", 100, 200, "", 768, 1344); /* 1:2 -> nearest 9:16 */
    expect_edit(emu, "webp", 96, 96, "", 1024, 1024);
    expect_edit(emu, "gif", 64, 32, "", 1344, 768);    /* 2:1 -> nearest 16:9 */
    /* An explicit aspect ratio wins over the input's. */
    expect_edit(emu, "png", 300, 200, ",\"image_config\":{\"aspect_ratio\":\"4:5\"}", 896,
                1152);
    /* An http(s) image is accepted without fetching; its aspect is unknown. */
    char *body = edit_body("google/gemini-2.5-flash-image", "https://example.com/cat.png", "");
    ec_result r = ot_post(emu, body);
    ot_expect_image(&r, "google/gemini-2.5-flash-image", 1024, 1024, "png", 0.0387);
    ec_result_free(&r);
    free(body);
    orr_emulator_stop(emu);
}

Test(text, image_models_answer_text_without_image_modality)
{
    orr_emulator *emu = ot_start();
    const char *mods[] = {NULL, "[\"text\"]"};
    for (size_t i = 0; i < 2; i++) {
        ec_result r = ask(emu, "google/gemini-2.5-flash-image", mods[i], "");
        cr_assert_eq(r.status, 200, "%s", r.body);
        const cJSON *msg = ot_message(&r);
        cr_expect_null(cJSON_GetObjectItem(msg, "images"), "images without image modality");
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "content"));
        cr_assert(text && strstr(text, "a lighthouse at dusk"), "content %s", text);
        int tokens = (int)(strlen(text) + 3) / 4;
        cr_expect_eq(usage_int(&r, "completion_tokens"), tokens);
        double cost = cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "usage"), "cost")->valuedouble;
        cr_expect(cost > tokens * 0.0000025 - 1e-12 && cost < tokens * 0.0000025 + 1e-12,
                  "cost %g", cost);
        ec_result_free(&r);
    }
    /* A text model answers text too, and the prompt may be a bare "prompt". */
    ec_result r = ot_post(emu, "{\"model\":\"openai/gpt-4o-mini\",\"prompt\":\"hello there\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(ot_message(&r), "content")),
                     "hello there"));
    ec_result_free(&r);
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 0);
    orr_emulator_stop(emu);
}

Test(images, n_is_served_as_one_image_and_unknown_fields_are_ignored)
{
    orr_emulator *emu = ot_start();
    ec_result r = ask(emu, "google/gemini-2.5-flash-image", BOTH,
                      ",\"n\":3,\"temperature\":0.4,\"usage\":{\"include\":true},"
                      "\"provider\":{\"sort\":\"price\"},\"stream\":false");
    ot_expect_image(&r, "google/gemini-2.5-flash-image", 1024, 1024, "png", 0.0387);
    ec_result_free(&r);
    /* A multi-turn conversation with a system message and string content. */
    r = ot_post(emu, "{\"model\":\"openai/gpt-5-image-mini\",\"modalities\":[\"image\",\"text\"],"
                     "\"messages\":[{\"role\":\"system\",\"content\":\"You draw.\"},"
                     "{\"role\":\"user\",\"content\":\"a cat\"},"
                     "{\"role\":\"assistant\",\"content\":null},"
                     "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"bigger\"}]}]}");
    ot_expect_image(&r, "openai/gpt-5-image-mini", 1024, 1024, "png", 0.008448);
    ec_result_free(&r);
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 2);
    orr_emulator_stop(emu);
}

Test(images, every_image_differs)
{
    orr_emulator *emu = ot_start();
    ec_result a = ask(emu, "black-forest-labs/flux.2-pro", IMAGE_ONLY, "");
    ec_result b = ask(emu, "black-forest-labs/flux.2-pro", IMAGE_ONLY, "");
    cr_assert_eq(a.status, 200);
    cr_assert_eq(b.status, 200);
    const char *ua = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
        cJSON_GetObjectItem(ot_message(&a), "images"), 0), "image_url"), "url")->valuestring;
    const char *ub = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
        cJSON_GetObjectItem(ot_message(&b), "images"), 0), "image_url"), "url")->valuestring;
    cr_expect_str_neq(ua, ub);
    cr_expect_str_neq(cJSON_GetObjectItem(a.json, "id")->valuestring,
                      cJSON_GetObjectItem(b.json, "id")->valuestring);
    ec_result_free(&a);
    ec_result_free(&b);
    orr_emulator_stop(emu);
}

/* The ids of a models answer, comma-joined, in a static buffer. */
static const char *model_ids(const ec_result *r)
{
    static char ids[512];
    ids[0] = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(r->json, "data"))
        snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", ids[0] ? "," : "",
                 cJSON_GetObjectItem(m, "id")->valuestring);
    return ids;
}

Test(models, list_filters_by_output_modalities)
{
    orr_emulator *emu = ot_start();
    ec_result r = ec_get(ot_url(emu, "/models?output_modalities=image"), NULL, 0);
    cr_assert_eq(r.status, 200, "the model list is public: %s", r.body);
    cr_expect_str_eq(model_ids(&r), "google/gemini-2.5-flash-image,"
                     "google/gemini-3-pro-image-preview,black-forest-labs/flux.2-pro,"
                     "black-forest-labs/flux.2-flex,openai/gpt-5-image-mini");
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(r.json, "data"))
    {
        const cJSON *arch = cJSON_GetObjectItem(m, "architecture");
        const cJSON *out = cJSON_GetObjectItem(arch, "output_modalities");
        cr_expect_str_eq(cJSON_GetArrayItem(out, 0)->valuestring, "image");
        cr_expect(cJSON_IsArray(cJSON_GetObjectItem(arch, "input_modalities")));
        cr_expect(cJSON_IsString(cJSON_GetObjectItem(m, "name")));
        const cJSON *pricing = cJSON_GetObjectItem(m, "pricing");
        cr_expect(cJSON_IsString(cJSON_GetObjectItem(pricing, "prompt")));
        cr_expect(cJSON_IsString(cJSON_GetObjectItem(pricing, "completion")));
        cr_expect(cJSON_IsString(cJSON_GetObjectItem(pricing, "image")));
    }
    const cJSON *flash = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "data"), 0);
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(flash, "pricing"),
                                         "prompt")->valuestring, "0.0000003");
    ec_result_free(&r);
    r = ec_get(ot_url(emu, "/models"), OT_KEY, 0);
    cr_expect_str_eq(model_ids(&r), "google/gemini-2.5-flash-image,"
                     "google/gemini-3-pro-image-preview,openai/gpt-5-image-mini,"
                     "openai/gpt-4o-mini", "the default lists text-output models");
    ec_result_free(&r);
    r = ec_get(ot_url(emu, "/models?output_modalities=all"), NULL, 0);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "data")), 6);
    ec_result_free(&r);
    r = ec_get(ot_url(emu, "/models?output_modalities=holograms"), NULL, 0);
    ot_expect_error(&r, 400, "output_modalities", "bad modality filter");
    ec_result_free(&r);
    orr_emulator_stop(emu);
}
