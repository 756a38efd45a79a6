/*
 * test_openrouter_emulator_validation.c - request validation of the
 * OpenRouter emulator: each rule answers its status with OpenRouter's error
 * shape {"error":{"code","message","metadata"?}} (and "user_id" once the key
 * is known), output modalities a model lacks are a 404, and undecodable
 * input images are the provider's 400 with ProviderErrorMetadata. Nothing
 * invalid makes an image.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_openrouter_emulator_util.h"

#define FLASH "google/gemini-2.5-flash-image"
#define MSG "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]"
#define BOTH "\"modalities\":[\"image\",\"text\"]"

typedef struct bad_case {
    const char *body;
    long status;
    const char *contains;
} bad_case;

Test(validation, each_rule_answers_with_its_status_and_message)
{
    static const bad_case cases[] = {
        {"not json", 400, "Invalid JSON"},
        {"[1,2]", 400, "Invalid JSON"},
        {"{" MSG "}", 400, "model is required"},
        {"{\"model\":42," MSG "}", 400, "model must be a string"},
        {"{\"model\":\"google/gemini-9-ultra\"," MSG "}", 400,
         "google/gemini-9-ultra is not a valid model ID"},
        {"{\"model\":\"" FLASH "\"," MSG ",\"stream\":true}", 400, "stream: true is not supported"},
        {"{\"model\":\"" FLASH "\"," MSG ",\"stream\":\"yes\"}", 400, "stream must be a boolean"},
        {"{\"model\":\"" FLASH "\"}", 400, "Input required: specify \"prompt\" or \"messages\""},
        {"{\"model\":\"" FLASH "\",\"messages\":[]}", 400, "Input required"},
        {"{\"model\":\"" FLASH "\",\"messages\":\"hi\"}", 400, "Input required"},
        {"{\"model\":\"" FLASH "\",\"prompt\":\"\"}", 400, "Input required"},
        {"{\"model\":\"" FLASH "\",\"messages\":[7]}", 400, "messages[0] must be an object"},
        {"{\"model\":\"" FLASH "\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", 400,
         "messages[0].role must be one of system, user, assistant, tool, developer"},
        {"{\"model\":\"" FLASH "\",\"messages\":[{\"content\":\"x\"}]}", 400, "messages[0].role"},
        {"{\"model\":\"" FLASH "\",\"messages\":[{\"role\":\"user\",\"content\":3}]}", 400,
         "messages[0].content must be a string or an array"},
        {"{\"model\":\"" FLASH "\",\"messages\":[{\"role\":\"user\",\"content\":null}]}", 400,
         "messages[0].content"},
        {"{\"model\":\"" FLASH "\",\"messages\":[{\"role\":\"user\",\"content\":"
         "[{\"type\":\"video_url\"}]}]}", 400, "messages[0].content[0].type must be one of text, "
         "image_url"},
        {"{\"model\":\"" FLASH "\",\"messages\":[{\"role\":\"user\",\"content\":"
         "[{\"type\":\"text\"}]}]}", 400, "messages[0].content[0].text must be a string"},
        {"{\"model\":\"" FLASH "\",\"messages\":[{\"role\":\"user\",\"content\":"
         "[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"image_url\",\"image_url\":{}}]}]}", 400,
         "messages[0].content[1].image_url.url must be a string"},
        {"{\"model\":\"" FLASH "\",\"messages\":[{\"role\":\"user\",\"content\":"
         "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"ftp://x/y.png\"}}]}]}", 400,
         "must be an http(s) URL or a base64 data URL"},
        {"{\"model\":\"" FLASH "\",\"messages\":[{\"role\":\"user\",\"content\":"
         "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:text/plain;base64,aGk=\"}}]}]}",
         400, "data:image/(png|jpeg|webp|gif);base64"},
        {"{\"model\":\"" FLASH "\",\"messages\":[{\"role\":\"user\",\"content\":"
         "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png,iVBOR\"}}]}]}", 400,
         "data:image/(png|jpeg|webp|gif);base64"},
        {"{\"model\":\"" FLASH "\"," MSG ",\"modalities\":\"image\"}", 400,
         "modalities must be a non-empty array"},
        {"{\"model\":\"" FLASH "\"," MSG ",\"modalities\":[]}", 400, "non-empty array"},
        {"{\"model\":\"" FLASH "\"," MSG ",\"modalities\":[\"image\",\"video\"]}", 400,
         "modalities[1] must be one of text, image, audio"},
        {"{\"model\":\"" FLASH "\"," MSG "," BOTH ",\"image_config\":\"16:9\"}", 400,
         "image_config must be an object"},
        {"{\"model\":\"" FLASH "\"," MSG "," BOTH ",\"image_config\":{\"aspect_ratio\":\"7:3\"}}",
         400, "image_config.aspect_ratio must be one of 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, "
         "9:16, 16:9, 21:9"},
        {"{\"model\":\"" FLASH "\"," MSG "," BOTH ",\"image_config\":{\"aspect_ratio\":169}}",
         400, "image_config.aspect_ratio"},
        {"{\"model\":\"" FLASH "\"," MSG "," BOTH ",\"image_config\":{\"image_size\":\"8K\"}}",
         400, "image_config.image_size must be one of 1K, 2K, 4K"},
        {"{\"model\":\"" FLASH "\"," MSG "," BOTH ",\"image_config\":{\"image_size\":\"2k\"}}",
         400, "image_config.image_size"},
    };
    orr_emulator *emu = ot_start();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char what[64];
        snprintf(what, sizeof what, "case %zu", i);
        ec_result r = ot_post(emu, cases[i].body);
        ot_expect_error(&r, cases[i].status, cases[i].contains, what);
        cr_expect_null(ot_err_metadata(&r), "%s: unexpected metadata", what);
        cr_expect(cJSON_IsString(cJSON_GetObjectItem(r.json, "user_id")), "%s: user_id", what);
        ec_result_free(&r);
    }
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 0);
    orr_emulator_stop(emu);
}

Test(validation, output_modalities_a_model_lacks_are_404)
{
    static const bad_case cases[] = {
        {"{\"model\":\"black-forest-labs/flux.2-pro\"," MSG "," BOTH "}", 404,
         "No endpoints found that support the requested output modalities: image, text"},
        {"{\"model\":\"black-forest-labs/flux.2-flex\"," MSG ",\"modalities\":[\"text\","
         "\"image\"]}", 404, "requested output modalities: text, image"},
        {"{\"model\":\"openai/gpt-4o-mini\"," MSG "," BOTH "}", 404,
         "No endpoints found that support the requested output modalities: image, text"},
        {"{\"model\":\"openai/gpt-4o-mini\"," MSG ",\"modalities\":[\"image\"]}", 404,
         "requested output modalities: image"},
        /* No modalities means text, which FLUX cannot produce. */
        {"{\"model\":\"black-forest-labs/flux.2-pro\"," MSG "}", 404,
         "requested output modalities: text"},
        {"{\"model\":\"" FLASH "\"," MSG ",\"modalities\":[\"image\",\"audio\"]}", 404,
         "requested output modalities: image, audio"},
    };
    orr_emulator *emu = ot_start();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char what[64];
        snprintf(what, sizeof what, "case %zu", i);
        ec_result r = ot_post(emu, cases[i].body);
        ot_expect_error(&r, cases[i].status, cases[i].contains, what);
        ec_result_free(&r);
    }
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 0);
    orr_emulator_stop(emu);
}

/* An image_url part whose data URL is base64 of bytes that are no image. */
static char *garbage_image_body(const char *model, const char *mods)
{
    static char body[512];
    snprintf(body, sizeof body, "{\"model\":\"%s\",\"modalities\":%s,\"messages\":[{\"role\":"
             "\"user\",\"content\":[{\"type\":\"text\",\"text\":\"edit\"},{\"type\":"
             "\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
             "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB\"}}]}]}", model, mods);
    return body;
}

Test(validation, undecodable_input_images_are_the_providers_400)
{
    static const struct {
        const char *model, *mods, *provider, *raw;
    } cases[] = {
        {FLASH, "[\"image\",\"text\"]", "Google", "Unable to process input image"},
        {"openai/gpt-5-image-mini", "[\"image\",\"text\"]", "OpenAI", "invalid_image_format"},
        {"black-forest-labs/flux.2-pro", "[\"image\"]", "Black Forest Labs",
         "Failed to decode"},
    };
    orr_emulator *emu = ot_start();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ec_result r = ot_post(emu, garbage_image_body(cases[i].model, cases[i].mods));
        ot_expect_error(&r, 400, "Provider returned error", cases[i].model);
        const cJSON *md = ot_err_metadata(&r);
        cr_assert(cJSON_IsObject(md), "no metadata: %s", r.body);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(md, "provider_name")),
                         cases[i].provider);
        cr_expect(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(md, "raw")), cases[i].raw),
                  "raw %s", r.body);
        ec_result_free(&r);
    }
    /* Text that is not base64 at all is refused the same way. */
    ec_result r = ot_post(emu, "{\"model\":\"" FLASH "\"," BOTH ",\"messages\":[{\"role\":"
                               "\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                               "{\"url\":\"data:image/jpeg;base64,@@@not-base64@@@\"}}]}]}");
    ot_expect_error(&r, 400, "Provider returned error", "not base64");
    ec_result_free(&r);
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 0);
    orr_emulator_stop(emu);
}

Test(validation, a_good_image_after_a_bad_part_is_still_refused)
{
    orr_emulator *emu = ot_start();
    char *url = ot_data_url("png", 40, 30);
    size_t n = strlen(url) + 512;
    char *body = malloc(n);
    cr_assert_not_null(body);
    snprintf(body, n, "{\"model\":\"" FLASH "\"," BOTH ",\"messages\":[{\"role\":\"user\","
             "\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}},"
             "{\"type\":\"audio\"}]}]}", url);
    ec_result r = ot_post(emu, body);
    ot_expect_error(&r, 400, "messages[0].content[1].type", "bad second part");
    ec_result_free(&r);
    free(body);
    free(url);
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 0);
    orr_emulator_stop(emu);
}
