/*
 * test_negotiate.c - fitting requests to model capabilities: nearest legal
 * size, ratio <-> size mapping, n split, quality/format fallbacks, ignored
 * options reported as warnings, and the hard limits that fail.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <string.h>

#include "providers/negotiate.h"

static const char *const fixed_sizes[] = {"1024x1024", "1792x1024", "1024x1792", NULL};
static const char *const fixed_qualities[] = {"standard", "hd", NULL};
/* Shaped like dall-e-3: fixed sizes, one image per request, 4000 chars. */
static const ig_model_caps fixed = {
    .model = "fixed-model", .operations = IG_OP_BIT(IG_OP_GENERATE), .max_n = 1,
    .max_prompt_chars = 4000, .sizes = fixed_sizes, .qualities = fixed_qualities,
    .output_formats = IG_FMT_PNG,
};
/* Shaped like gpt-image-2: free sizes, multiples of 16, 1:3..3:1. */
static const ig_model_caps free_model = {
    .model = "free-model",
    .operations = IG_OP_BIT(IG_OP_GENERATE) | IG_OP_BIT(IG_OP_EDIT),
    .edit_modes = IG_MODE_BIT(IG_EDIT_IMG2IMG) | IG_MODE_BIT(IG_EDIT_INPAINT),
    .mask = true, .transparent_background = true, .max_n = 10, .max_prompt_chars = 32000,
    .min_side = 256, .max_side = 3840, .size_step = 16, .max_aspect = 3.0,
    .max_pixels = 3840L * 2160, .output_formats = IG_FMT_PNG | IG_FMT_JPEG | IG_FMT_WEBP,
};
static const char *const ratios[] = {"1:1", "16:9", "9:16", "3:2", "2:3", NULL};
/* Shaped like Stability ultra: aspect ratios only, negative prompt, seed. */
static const ig_model_caps ratio_model = {
    .model = "ratio-model", .operations = IG_OP_BIT(IG_OP_GENERATE), .negative_prompt = true,
    .seed = true, .max_n = 1, .max_prompt_chars = 10000, .aspect_ratios = ratios,
    .output_formats = IG_FMT_PNG | IG_FMT_JPEG | IG_FMT_WEBP,
};

static ig_request base_request(void)
{
    ig_request r = {.op = IG_OP_GENERATE, .tool = "generate_image", .prompt = "a fox",
                    .n = 1, .quality = "auto", .output_format = "png",
                    .background = "auto", .pinned_provider = -1};
    return r;
}

/* Warning messages joined, for assertions. */
static char *warning_text(const cJSON *warnings)
{
    static char buf[4096];
    buf[0] = '\0';
    const cJSON *w;
    cJSON_ArrayForEach(w, warnings)
    {
        strncat(buf, cJSON_GetStringValue(cJSON_GetObjectItem(w, "field")), 100);
        strcat(buf, ": ");
        strncat(buf, cJSON_GetStringValue(cJSON_GetObjectItem(w, "message")), 500);
        strcat(buf, "\n");
    }
    return buf;
}

static ig_applied fit(const ig_model_caps *caps, const ig_request *req, cJSON *warnings)
{
    ig_applied a;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_negotiate(caps, req, &a, warnings, &err), 0, "%s", err.message);
    return a;
}

Test(negotiate, exact_listed_size_has_no_warning)
{
    ig_request r = base_request();
    r.width = 1792, r.height = 1024;
    cJSON *w = cJSON_CreateArray();
    ig_applied a = fit(&fixed, &r, w);
    cr_expect_str_eq(a.size, "1792x1024");
    cr_expect_eq(cJSON_GetArraySize(w), 0, "%s", warning_text(w));
    cJSON_Delete(w);
}

Test(negotiate, nearest_listed_size_by_shape)
{
    ig_request r = base_request();
    r.width = 1536, r.height = 1024; /* 3:2 landscape -> the landscape entry */
    cJSON *w = cJSON_CreateArray();
    ig_applied a = fit(&fixed, &r, w);
    cr_expect_str_eq(a.size, "1792x1024");
    cr_expect(strstr(warning_text(w), "size: model \"fixed-model\" does not offer 1536x1024"),
              "%s", warning_text(w));
    cJSON_Delete(w);
}

Test(negotiate, ratio_maps_to_listed_size)
{
    ig_request r = base_request();
    r.aspect_w = 9, r.aspect_h = 16;
    cJSON *w = cJSON_CreateArray();
    ig_applied a = fit(&fixed, &r, w);
    cr_expect_str_eq(a.size, "1024x1792");
    cr_expect(strstr(warning_text(w), "aspectRatio: aspect ratio 9:16 was sent"));
    cJSON_Delete(w);
}

Test(negotiate, free_sizes_snap_to_step_and_limits)
{
    ig_request r = base_request();
    r.width = 1000, r.height = 1000;
    cJSON *w = cJSON_CreateArray();
    ig_applied a = fit(&free_model, &r, w);
    cr_expect_eq(a.width % 16, 0);
    cr_expect_eq(a.height % 16, 0);
    cr_expect_eq(a.width, 1008);
    cr_expect_eq(a.height, 1008);
    cJSON_Delete(w);

    r.width = 8000, r.height = 1000; /* 8:1 -> clamped to 3:1 and the area cap */
    w = cJSON_CreateArray();
    a = fit(&free_model, &r, w);
    double ratio = (double)a.width / a.height;
    cr_expect(ratio <= 3.0 + 0.05, "ratio %f", ratio);
    cr_expect_leq(a.width, 3840);
    cr_expect_leq((long)a.width * a.height, 3840L * 2160);
    cr_expect_geq(a.height, 256);
    cr_expect_eq(cJSON_GetArraySize(w), 1, "%s", warning_text(w));
    cJSON_Delete(w);
}

Test(negotiate, size_to_ratio_for_ratio_only_models)
{
    ig_request r = base_request();
    r.width = 1920, r.height = 1080;
    cJSON *w = cJSON_CreateArray();
    ig_applied a = fit(&ratio_model, &r, w);
    cr_expect_str_eq(a.aspect_ratio, "16:9");
    cr_expect_str_eq(a.size, "");
    cr_expect(strstr(warning_text(w), "takes an aspect ratio, not pixels"));
    cJSON_Delete(w);

    r = base_request();
    r.aspect_w = 4, r.aspect_h = 3; /* not offered: nearest is 3:2 */
    w = cJSON_CreateArray();
    a = fit(&ratio_model, &r, w);
    cr_expect_str_eq(a.aspect_ratio, "3:2");
    cr_expect(strstr(warning_text(w), "does not offer 4:3"));
    cJSON_Delete(w);
}

Test(negotiate, n_is_split_across_requests)
{
    ig_request r = base_request();
    r.n = 3;
    cJSON *w = cJSON_CreateArray();
    ig_applied a = fit(&fixed, &r, w);
    cr_expect_eq(a.requests, 3);
    cr_expect_eq(a.n, 3);
    cr_expect(strstr(warning_text(w), "split into 3 requests"));
    cJSON_Delete(w);
}

Test(negotiate, quality_and_format_fallbacks)
{
    ig_request r = base_request();
    r.quality = "high";
    r.output_format = "webp";
    cJSON *w = cJSON_CreateArray();
    ig_applied a = fit(&fixed, &r, w);
    cr_expect_null(a.quality);
    cr_expect_str_eq(a.output_format, "png");
    cr_expect(strstr(warning_text(w), "quality: model \"fixed-model\" has no quality \"high\""));
    cr_expect(strstr(warning_text(w), "outputFormat: model \"fixed-model\" cannot return webp"));
    cJSON_Delete(w);

    r.quality = "hd";
    w = cJSON_CreateArray();
    a = fit(&fixed, &r, w);
    cr_expect_str_eq(a.quality, "hd");
    cJSON_Delete(w);
}

Test(negotiate, ignored_options_are_reported)
{
    ig_request r = base_request();
    r.negative_prompt = "blurry";
    r.has_seed = true;
    r.seed = 7;
    r.background = "transparent";
    r.image_refs[IG_ROLE_REFERENCE] = "img_0123456789abcdef01234567";
    cJSON *w = cJSON_CreateArray();
    ig_applied a = fit(&fixed, &r, w);
    const char *text = warning_text(w);
    cr_expect(strstr(text, "negativePrompt: ignored"), "%s", text);
    cr_expect(strstr(text, "seed: ignored"), "%s", text);
    cr_expect(strstr(text, "referenceImageUrl: ignored"), "%s", text);
    cr_expect(strstr(text, "background: ignored"), "%s", text);
    cr_expect_not(a.send_negative_prompt);
    cr_expect_not(a.send_seed);
    cJSON_Delete(w);

    w = cJSON_CreateArray();
    a = fit(&ratio_model, &r, w);
    cr_expect(a.send_negative_prompt);
    cr_expect(a.send_seed);
    cJSON_Delete(w);
}

Test(negotiate, hard_limits_fail_with_the_field)
{
    ig_request r = base_request();
    char long_prompt[4100];
    memset(long_prompt, 'a', sizeof long_prompt - 1);
    long_prompt[sizeof long_prompt - 1] = '\0';
    r.prompt = long_prompt;
    ig_applied a;
    ig_error err;
    ig_error_clear(&err);
    cJSON *w = cJSON_CreateArray();
    cr_expect_eq(ig_negotiate(&fixed, &r, &a, w, &err), -1);
    cr_expect_str_eq(err.field, "prompt");
    cr_expect(strstr(err.message, "4099 characters"), "%s", err.message);
    cr_expect(strstr(err.message, "at most 4000"), "%s", err.message);

    r = base_request();
    r.op = IG_OP_EDIT;
    r.mode = IG_EDIT_OUTPAINT;
    ig_error_clear(&err);
    cr_expect_eq(ig_negotiate(&free_model, &r, &a, w, &err), -1);
    cr_expect_str_eq(err.field, "mode");
    cr_expect(strstr(err.message, "outpaint"), "%s", err.message);

    r.op = IG_OP_UPSCALE;
    ig_error_clear(&err);
    cr_expect_eq(ig_negotiate(&fixed, &r, &a, w, &err), -1);
    cr_expect_str_eq(err.field, "model");
    cJSON_Delete(w);
}

Test(negotiate, applied_json)
{
    ig_request r = base_request();
    r.width = 1024, r.height = 1024;
    cJSON *w = cJSON_CreateArray();
    ig_applied a = fit(&fixed, &r, w);
    cJSON *j = ig_applied_to_json(&a, "openai");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "size")), "1024x1024");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "model")), "fixed-model");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "provider")), "openai");
    cJSON_Delete(j);
    cJSON_Delete(w);
}

/* Every free size the negotiation produces is one the model accepts: steps,
 * side bounds, aspect and area, over a wide grid of requests. */
Test(negotiate, free_sizes_always_meet_every_limit)
{
    for (int w = 64; w <= 8192; w += 173) {
        for (int h = 64; h <= 8192; h += 191) {
            ig_request r = base_request();
            r.width = w, r.height = h;
            cJSON *warnings = cJSON_CreateArray();
            ig_applied a = fit(&free_model, &r, warnings);
            cJSON_Delete(warnings);
            int lo = a.width < a.height ? a.width : a.height;
            int hi = a.width < a.height ? a.height : a.width;
            cr_assert_eq(a.width % 16, 0, "%dx%d -> %dx%d", w, h, a.width, a.height);
            cr_assert_eq(a.height % 16, 0, "%dx%d -> %dx%d", w, h, a.width, a.height);
            cr_assert(lo >= 256 && hi <= 3840, "%dx%d -> %dx%d", w, h, a.width, a.height);
            cr_assert(hi <= 3.0 * lo, "%dx%d -> %dx%d (ratio)", w, h, a.width, a.height);
            cr_assert((long)a.width * a.height <= 3840L * 2160, "%dx%d -> %dx%d (area)", w, h,
                      a.width, a.height);
        }
    }
}
