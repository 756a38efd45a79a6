/*
 * test_tool_validation.c - every kind of bad call is refused with a precise
 * error (code, field, what was wrong, what is allowed) before any provider
 * could be contacted; valid calls get past validation to routing.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/test_calls.h"
#include "support/test_http_server.h"
#include "support/test_images.h"
#include "support/test_util.h"

static ig_instance *inst;
static char *dir;   /* holds test images */
static char *png;   /* a 256x192 PNG */

static void setup(void)
{
    tc_clear_provider_env();
    inst = tc_open(NULL);
    dir = tu_make_temp_dir("ig-valid");
    png = ti_write_png(dir, "source.png", 256, 192);
}

static void teardown(void)
{
    tc_close(inst);
    tu_remove_tree(dir);
    free(dir);
    free(png);
}

/* Calls tool with printf-formatted args and returns the parsed result. */
static cJSON *callf(const char *tool, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static cJSON *callf(const char *tool, const char *fmt, ...)
{
    char *args = NULL;
    va_list ap;
    va_start(ap, fmt);
    cr_assert(vasprintf(&args, fmt, ap) >= 0);
    va_end(ap);
    cJSON *r = tc_call(inst, tool, args);
    free(args);
    return r;
}

#define EXPECT(result, code, field, ...)                                       \
    do {                                                                       \
        cJSON *r_ = (result);                                                  \
        tc_expect_error(r_, code, field, __VA_ARGS__, NULL);                   \
        cJSON_Delete(r_);                                                      \
    } while (0)

TestSuite(validation, .init = setup, .fini = teardown, .timeout = 60);

/* --- arguments that are not a JSON object --- */

Test(validation, not_json)
{
    EXPECT(callf("generate_image", "{\"prompt\": "), "invalid_json", "", "not valid JSON");
}

Test(validation, json_but_not_object)
{
    EXPECT(callf("generate_image", "[1,2]"), "invalid_json", "", "JSON object");
}

Test(validation, trailing_garbage)
{
    EXPECT(callf("generate_image", "{\"prompt\":\"a\"} x"), "invalid_json", "", "not valid JSON");
}

Test(validation, unknown_tool_suggests)
{
    EXPECT(callf("generate_images", "{}"), "unknown_tool", "tool",
           "did you mean \"generate_image\"");
    EXPECT(callf("upscale", "{}"), "unknown_tool", "tool", "did you mean \"upscale_image\"");
    EXPECT(callf("draw_picture", "{}"), "unknown_tool", "tool", "tools: generate_image");
}

/* --- schema: types, ranges, unknown fields --- */

Test(validation, missing_prompt)
{
    EXPECT(callf("generate_image", "{}"), "invalid_argument", "", "prompt");
}

Test(validation, wrong_type)
{
    EXPECT(callf("generate_image", "{\"prompt\":\"a\",\"n\":\"2\"}"), "invalid_argument",
           "n", "integer");
}

Test(validation, n_out_of_range)
{
    EXPECT(callf("generate_image", "{\"prompt\":\"a\",\"n\":11}"), "invalid_argument",
           "n", "10", "11");
}

Test(validation, unknown_field_with_suggestion)
{
    EXPECT(callf("generate_image", "{\"prompt\":\"a\",\"negative_prompt\":\"b\"}"),
           "invalid_argument", "negative_prompt", "negativePrompt");
}

Test(validation, enum_value)
{
    EXPECT(callf("generate_image", "{\"prompt\":\"a\",\"quality\":\"ultra\"}"),
           "invalid_argument", "quality", "ultra", "high");
}

Test(validation, nested_weight_negative)
{
    EXPECT(callf("generate_image",
                 "{\"prompt\":\"a\",\"providerPreferences\":{\"weights\":{\"openai\":-1}}}"),
           "invalid_argument", "providerPreferences.weights.openai", "0");
}

Test(validation, unknown_provider_in_blocked)
{
    EXPECT(callf("generate_image",
                 "{\"prompt\":\"a\",\"providerPreferences\":{\"blocked\":[\"dalle\"]}}"),
           "invalid_argument", "providerPreferences.blocked[0]", "dalle");
}

/* --- sizes and ratios --- */

Test(validation, size_format)
{
    EXPECT(callf("generate_image", "{\"prompt\":\"a\",\"size\":\"big\"}"),
           "invalid_argument", "size", "big");
}

Test(validation, size_too_small)
{
    EXPECT(callf("generate_image", "{\"prompt\":\"a\",\"size\":\"1024x10\"}"),
           "invalid_argument", "size", "between 64 and 8192", "1024x10");
}

Test(validation, size_too_large)
{
    EXPECT(callf("generate_image", "{\"prompt\":\"a\",\"size\":\"9000x1024\"}"),
           "invalid_argument", "size", "8192");
}

Test(validation, aspect_ratio_too_elongated)
{
    EXPECT(callf("generate_image", "{\"prompt\":\"a\",\"aspectRatio\":\"9:1\"}"),
           "invalid_argument", "aspectRatio", "1:4", "4:1");
}

Test(validation, size_contradicts_aspect_ratio)
{
    EXPECT(callf("generate_image",
                 "{\"prompt\":\"a\",\"size\":\"1024x1024\",\"aspectRatio\":\"16:9\"}"),
           "invalid_argument", "aspectRatio", "contradicts");
}

Test(validation, size_agreeing_with_ratio_is_fine)
{
    cJSON *r = callf("generate_image",
                     "{\"prompt\":\"a\",\"size\":\"1536x864\",\"aspectRatio\":\"16:9\"}");
    tc_expect_error(r, "no_provider_configured", "", NULL);
    cJSON_Delete(r);
}

/* --- generate_image rules --- */

Test(validation, transparent_jpeg)
{
    EXPECT(callf("generate_image",
                 "{\"prompt\":\"a\",\"background\":\"transparent\",\"outputFormat\":\"jpeg\"}"),
           "invalid_argument", "background", "png or webp");
}

Test(validation, consistency_without_reference)
{
    EXPECT(callf("generate_image", "{\"prompt\":\"a\",\"consistencyMode\":\"strict\"}"),
           "invalid_argument", "consistencyMode", "referenceImageUrl");
}

Test(validation, default_consistency_without_reference_warns)
{
    cJSON *r = callf("generate_image", "{\"prompt\":\"a\",\"consistencyMode\":\"balanced\"}");
    cr_expect_eq(tc_warning_count(r, "consistencyMode"), 1);
    tc_expect_error(r, "no_provider_configured", "", NULL);
    cJSON_Delete(r);
}

/* --- edit_image rules --- */

Test(validation, mask_without_inpaint)
{
    EXPECT(callf("edit_image", "{\"image\":\"%s\",\"prompt\":\"x\",\"mode\":\"img2img\","
                               "\"mask\":\"%s\"}", png, png),
           "invalid_argument", "mask", "only used with mode inpaint", "img2img");
}

Test(validation, inpaint_without_mask)
{
    EXPECT(callf("edit_image", "{\"image\":\"%s\",\"prompt\":\"x\",\"mode\":\"inpaint\"}", png),
           "invalid_argument", "mask", "needs a mask");
}

Test(validation, wrong_size_mask)
{
    size_t size;
    unsigned char *mask = ti_mask_png(100, 100, 10, 10, 20, 20, &size);
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/mask.png", dir) > 0);
    cr_assert_eq(tu_write_file(path, mask, size), 0);
    EXPECT(callf("edit_image", "{\"image\":\"%s\",\"prompt\":\"x\",\"mask\":\"%s\"}", png, path),
           "invalid_argument", "mask", "100x100", "256x192");
    free(mask);
    free(path);
}

Test(validation, img2img_needs_prompt)
{
    EXPECT(callf("edit_image", "{\"image\":\"%s\"}", png), "invalid_argument", "prompt",
           "img2img");
}

Test(validation, outpaint_needs_a_form)
{
    EXPECT(callf("edit_image", "{\"image\":\"%s\",\"mode\":\"outpaint\"}", png),
           "invalid_argument", "margins", "targetSize", "targetAspectRatio");
}

Test(validation, outpaint_two_forms)
{
    EXPECT(callf("edit_image", "{\"image\":\"%s\",\"margins\":{\"left\":10},"
                               "\"targetSize\":\"512x512\"}", png),
           "invalid_argument", "margins", "only one");
}

Test(validation, outpaint_zero_margins)
{
    EXPECT(callf("edit_image", "{\"image\":\"%s\",\"margins\":{\"left\":0,\"top\":0}}", png),
           "invalid_argument", "margins", "at least one pixel");
}

Test(validation, outpaint_target_smaller_than_image)
{
    EXPECT(callf("edit_image", "{\"image\":\"%s\",\"targetSize\":\"128x128\"}", png),
           "invalid_argument", "targetSize", "256x192");
}

Test(validation, outpaint_same_ratio)
{
    EXPECT(callf("edit_image", "{\"image\":\"%s\",\"targetAspectRatio\":\"4:3\"}", png),
           "invalid_argument", "targetAspectRatio", "already");
}

Test(validation, margins_with_img2img)
{
    EXPECT(callf("edit_image", "{\"image\":\"%s\",\"prompt\":\"x\",\"mode\":\"img2img\","
                               "\"margins\":{\"left\":8}}", png),
           "invalid_argument", "margins", "only used with mode outpaint");
}

Test(validation, strength_with_outpaint)
{
    EXPECT(callf("edit_image", "{\"image\":\"%s\",\"margins\":{\"left\":8},\"strength\":0.3}",
                 png),
           "invalid_argument", "strength", "not outpaint");
}

Test(validation, outpaint_valid_reaches_routing)
{
    cJSON *r = callf("edit_image", "{\"image\":\"%s\",\"targetAspectRatio\":\"16:9\","
                                   "\"strength\":0.75}", png);
    tc_expect_error(r, "no_provider_configured", "", NULL);
    cr_expect_eq(tc_warning_count(r, "strength"), 1);
    cJSON_Delete(r);
}

/* --- upscale_image rules --- */

Test(validation, scale_not_allowed)
{
    EXPECT(callf("upscale_image", "{\"image\":\"%s\",\"scale\":3}", png), "invalid_argument",
           "scale", "2", "4");
}

Test(validation, scale_and_width)
{
    EXPECT(callf("upscale_image", "{\"image\":\"%s\",\"scale\":4,\"width\":512}", png),
           "invalid_argument", "scale", "not both");
}

Test(validation, width_beyond_4x)
{
    EXPECT(callf("upscale_image", "{\"image\":\"%s\",\"width\":2048}", png),
           "invalid_argument", "width", "4x", "1024x768");
}

Test(validation, height_out_of_range_names_height)
{
    EXPECT(callf("upscale_image", "{\"image\":\"%s\",\"width\":512,\"height\":100}", png),
           "invalid_argument", "height", "256x192");
}

Test(validation, absurd_single_dimension_does_not_overflow)
{
    tc_close(inst);
    inst = tc_open(NULL);
    char *tall = ti_write_png(dir, "tall.png", 64, 4096);
    EXPECT(callf("upscale_image", "{\"image\":\"%s\",\"width\":16384}", tall),
           "invalid_argument", "width", "16384x1048576");
    free(tall);
}

Test(validation, width_smaller_than_source)
{
    EXPECT(callf("upscale_image", "{\"image\":\"%s\",\"width\":100}", png),
           "invalid_argument", "width", "256x192");
}

/* --- image inputs --- */

Test(validation, missing_image_file)
{
    EXPECT(callf("upscale_image", "{\"image\":\"%s/nope.png\"}", dir), "image_not_found",
           "image", "nope.png");
}

Test(validation, undecodable_image)
{
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/garbage.png", dir) > 0);
    cr_assert_eq(tu_write_file(path, "\x89PNG\r\n\x1a\nthis is not a png", 25), 0);
    cJSON *r = callf("upscale_image", "{\"image\":\"%s\"}", path);
    tc_expect_error(r, "image_unreadable", "image", NULL);
    cJSON_Delete(r);
    free(path);
}

Test(validation, bad_data_url)
{
    EXPECT(callf("upscale_image", "{\"image\":\"data:image/png;base64,@@@@\"}"),
           "invalid_argument", "image", "base64");
}

Test(validation, unsupported_scheme)
{
    EXPECT(callf("upscale_image", "{\"image\":\"ftp://example.com/a.png\"}"), "url_refused",
           "image", NULL);
}

Test(validation, private_url_refused_without_request)
{
    size_t size;
    unsigned char *body = ti_encode("png", 64, 64, 3, &size);
    ts_route route = {"/cat.png", TS_RESPOND, 200, "image/png", body, size, NULL};
    ts_server *server = ts_server_start(&route, 1);
    cJSON *r = callf("upscale_image", "{\"image\":\"%s/cat.png\"}", ts_server_base_url(server));
    tc_expect_error(r, "url_refused", "image", "127.0.0.1", NULL);
    cr_expect_eq(ts_server_hits(server, NULL), 0, "the private server was contacted");
    cJSON_Delete(r);
    ts_server_stop(server);
    free(body);
}

Test(validation, image_id_not_in_store)
{
    EXPECT(callf("upscale_image", "{\"image\":\"img_0123456789abcdef01234567\"}"),
           "image_not_found", "image", NULL);
}

Test(validation, huge_arguments_refused_before_parsing)
{
    tc_close(inst);
    inst = tc_open("\"maxInputBytes\":1024");
    size_t big = 1u << 21; /* 2 MiB of prompt: over 2 * 1024 * 4/3 + 1 MiB */
    char *args = malloc(big + 64);
    strcpy(args, "{\"prompt\":\"");
    memset(args + 11, 'a', big);
    strcpy(args + 11 + big, "\"}");
    cJSON *r = tc_call(inst, "generate_image", args);
    tc_expect_error(r, "invalid_argument", "", "bytes", NULL);
    cJSON_Delete(r);
    free(args);
}

Test(validation, image_over_byte_limit)
{
    tc_close(inst);
    inst = tc_open("\"maxInputBytes\":1024");
    EXPECT(callf("upscale_image", "{\"image\":\"%s\"}", png), "image_too_large", "image", NULL);
}

Test(validation, image_over_pixel_limit)
{
    tc_close(inst);
    inst = tc_open("\"maxInputPixels\":1000");
    EXPECT(callf("upscale_image", "{\"image\":\"%s\"}", png), "image_too_large", "image", NULL);
}

/* --- results of refused calls --- */

Test(validation, data_url_is_not_echoed)
{
    size_t size;
    unsigned char *bytes = ti_encode("png", 64, 64, 3, &size);
    char *url = ti_data_url("image/png", bytes, size);
    cJSON *r = callf("upscale_image", "{\"image\":\"%s\",\"scale\":3}", url);
    char *text = cJSON_PrintUnformatted(r);
    cr_expect_null(strstr(text, url + 30), "base64 data was echoed in the result");
    const char *echo = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(r, "requested"), "image"));
    cr_expect(echo && strstr(echo, "bytes"), "requested.image should summarise: %s", echo);
    cJSON_free(text);
    cJSON_Delete(r);
    free(url);
    free(bytes);
}

Test(validation, envelope_shape)
{
    cJSON *r = callf("generate_image", "{\"prompt\":\"a\"}");
    const char *keys[] = {"ok", "tool", "status", "images", "provider", "model",
                          "requested", "applied", "inputs", "warnings", "revisedPrompt",
                          "cost", "attempts", "error", "durationMs"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        cr_expect(cJSON_HasObjectItem(r, keys[i]), "missing %s", keys[i]);
    const cJSON *error = cJSON_GetObjectItem(r, "error");
    cr_expect(cJSON_IsBool(cJSON_GetObjectItem(error, "retryable")));
    cr_expect(cJSON_IsString(cJSON_GetObjectItem(error, "hint")));
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "status")), "failed");
    cJSON_Delete(r);
}

Test(validation, inputs_are_described)
{
    cJSON *r = callf("variate_image", "{\"image\":\"%s\"}", png);
    const cJSON *input = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "inputs"), 0);
    cr_assert(input);
    cr_expect_eq(cJSON_GetObjectItem(input, "width")->valueint, 256);
    cr_expect_eq(cJSON_GetObjectItem(input, "height")->valueint, 192);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(input, "mimeType")), "image/png");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(input, "source")), "path");
    cJSON_Delete(r);
}

Test(validation, nested_urls_and_data_are_summarised)
{
    cJSON *r = callf("generate_image",
                     "{\"prompt\":\"a\",\"n\":99,\"providerOptions\":{\"fal\":{\"lora\":"
                     "\"https://user:pw@example.com/l.safetensors?token=abc\",\"init\":"
                     "[\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB\"]}}}");
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "requested"));
    cr_expect_null(strstr(text, "pw@"), "credentials echoed: %s", text);
    cr_expect_null(strstr(text, "token=abc"), "query echoed: %s", text);
    cr_expect_null(strstr(text, "iVBORw0KGgo"), "base64 echoed: %s", text);
    cr_expect(strstr(text, "example.com/l.safetensors"), "URL lost entirely: %s", text);
    cJSON_free(text);
    cJSON_Delete(r);
}
