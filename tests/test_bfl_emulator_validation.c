/*
 * test_bfl_emulator_validation.c - the BFL emulator's request validation
 * (FastAPI/pydantic 422 answers: every rule, all errors at once, body-level
 * errors, image decoding, mask and margin rules) and its agreement with the
 * public spec (served paths, request fields, types, ranges, defaults).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/bfl_internal.h"
#include "emulators/bfl_test_util.h"

typedef struct bad_case {
    const char *endpoint, *body, *field, *type;
} bad_case;

Test(validation, each_rule_answers_422_at_its_field)
{
    static const bad_case cases[] = {
        {"flux-pro-1.1", "{\"width\":2000}", "width", "multiple_of"},
        {"flux-pro-1.1", "{\"width\":1472}", "width", "less_than_equal"},
        {"flux-pro-1.1", "{\"width\":224}", "width", "greater_than_equal"},
        {"flux-pro-1.1", "{\"height\":300}", "height", "multiple_of"},
        {"flux-pro-1.1", "{\"width\":1024.5}", "width", "int_from_float"},
        {"flux-pro-1.1", "{\"width\":\"big\"}", "width", "int_parsing"},
        {"flux-pro-1.1", "{\"width\":[1024]}", "width", "int_type"},
        {"flux-pro-1.1", "{\"width\":null}", "width", "int_type"},
        {"flux-pro-1.1", "{\"safety_tolerance\":7}", "safety_tolerance", "less_than_equal"},
        {"flux-pro-1.1", "{\"safety_tolerance\":-1}", "safety_tolerance", "greater_than_equal"},
        {"flux-pro-1.1", "{\"output_format\":\"gif\"}", "output_format", "enum"},
        {"flux-pro-1.1", "{\"prompt\":5}", "prompt", "string_type"},
        {"flux-pro-1.1", "{\"prompt_upsampling\":\"maybe\"}", "prompt_upsampling",
         "bool_parsing"},
        {"flux-pro-1.1", "{\"prompt_upsampling\":2}", "prompt_upsampling", "bool_parsing"},
        {"flux-pro-1.1", "{\"prompt_upsampling\":[]}", "prompt_upsampling", "bool_type"},
        {"flux-pro-1.1", "{\"seed\":\"abc\"}", "seed", "int_parsing"},
        {"flux-pro-1.1", "{\"image_prompt\":\"not base64!!\"}", "image_prompt", "value_error"},
        {"flux-pro-1.1", "{\"image_prompt\":\"aGVsbG8=\"}", "image_prompt", "value_error"},
        {"flux-pro-1.1", "{\"image_prompt\":\"https://example.com/a.png\"}", "image_prompt",
         "value_error"},
        {"flux-pro-1.1", "{\"image_prompt\":7}", "image_prompt", "string_type"},
        {"flux-pro-1.1", "{\"webhook_url\":\"ftp://example.com\"}", "webhook_url", "url_scheme"},
        {"flux-pro-1.1", "{\"webhook_url\":\"not a url\"}", "webhook_url", "url_parsing"},
        {"flux-pro-1.1", "{\"webhook_url\":\"\"}", "webhook_url", "url_parsing"},
        {"flux-dev", "{\"steps\":0}", "steps", "greater_than_equal"},
        {"flux-dev", "{\"steps\":51}", "steps", "less_than_equal"},
        {"flux-dev", "{\"guidance\":1.4}", "guidance", "greater_than_equal"},
        {"flux-dev", "{\"guidance\":5.5}", "guidance", "less_than_equal"},
        {"flux-dev", "{\"guidance\":\"strong\"}", "guidance", "float_parsing"},
        {"flux-dev", "{\"guidance\":{}}", "guidance", "float_type"},
        {"flux-dev", "{\"prompt\":null}", "prompt", "string_type"},
        {"flux-pro-1.1-ultra", "{\"aspect_ratio\":\"22:9\"}", "aspect_ratio", "value_error"},
        {"flux-pro-1.1-ultra", "{\"aspect_ratio\":\"1:3\"}", "aspect_ratio", "value_error"},
        {"flux-pro-1.1-ultra", "{\"aspect_ratio\":\"16x9\"}", "aspect_ratio", "value_error"},
        {"flux-pro-1.1-ultra", "{\"aspect_ratio\":\"0:1\"}", "aspect_ratio", "value_error"},
        {"flux-pro-1.1-ultra", "{\"aspect_ratio\":null}", "aspect_ratio", "string_type"},
        {"flux-pro-1.1-ultra", "{\"image_prompt_strength\":1.5}", "image_prompt_strength",
         "less_than_equal"},
        {"flux-pro-1.1-ultra", "{\"raw\":\"x\"}", "raw", "bool_parsing"},
        {"flux-kontext-pro", "{}", "prompt", "missing"},
        {"flux-kontext-pro", "{\"prompt\":null}", "prompt", "string_type"},
        {"flux-kontext-pro", "{\"prompt\":\"x\",\"input_image\":\"garbage\"}", "input_image",
         "value_error"},
        {"flux-kontext-max", "{\"prompt\":\"x\",\"input_image_4\":\"aGVsbG8=\"}",
         "input_image_4", "value_error"},
        {"flux-kontext-max", "{\"prompt\":\"x\",\"aspect_ratio\":\"10:1\"}", "aspect_ratio",
         "value_error"},
        {"flux-kontext-max", "{\"prompt\":\"x\",\"output_format\":\"bmp\"}", "output_format",
         "enum"},
        {"flux-pro-1.0-fill", "{\"prompt\":\"x\"}", "image", "missing"},
        {"flux-pro-1.0-fill", "{\"image\":null}", "image", "string_type"},
        {"flux-pro-1.0-expand", "{\"prompt\":\"x\"}", "image", "missing"},
    };
    bfl_emulator *emu = bfl_test_start();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char what[256];
        snprintf(what, sizeof what, "%s %s", cases[i].endpoint, cases[i].body);
        ec_result r = bfl_test_submit(emu, cases[i].endpoint, cases[i].body);
        bfl_test_expect_422(&r, cases[i].field, cases[i].type, what);
        ec_result_free(&r);
    }
    cr_expect_eq(bfl_emulator_tasks(emu, NULL), 0, "a refused request made a task");
    bfl_emulator_stop(emu);
}

Test(validation, ranged_fields_carry_pydantic_messages_and_ctx)
{
    bfl_emulator *emu = bfl_test_start();
    ec_result r = bfl_test_submit(emu, "flux-pro-1.1", "{\"width\":1472,\"height\":1,"
                            "\"safety_tolerance\":9,\"output_format\":\"gif\",\"colour\":1}");
    cr_assert_eq(r.status, 422);
    const cJSON *detail = cJSON_GetObjectItem(r.json, "detail");
    cr_assert_eq(cJSON_GetArraySize(detail), 4, "all bad fields at once: %s", r.body);
    const cJSON *width = cJSON_GetArrayItem(detail, 0);
    cr_expect_str_eq(cJSON_GetObjectItem(width, "msg")->valuestring,
                     "Input should be less than or equal to 1440");
    cr_expect_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(width, "ctx"), "le")->valueint, 1440);
    cr_expect_eq(cJSON_GetObjectItem(width, "input")->valueint, 1472);
    const cJSON *height = cJSON_GetArrayItem(detail, 1);
    cr_expect_str_eq(cJSON_GetObjectItem(height, "msg")->valuestring,
                     "Input should be a multiple of 32");
    const cJSON *fmt = cJSON_GetArrayItem(detail, 3);
    cr_expect_str_eq(cJSON_GetObjectItem(fmt, "msg")->valuestring,
                     "Input should be 'jpeg', 'png' or 'webp'");
    ec_result_free(&r);
    /* Unknown fields are ignored, as FastAPI models do by default. */
    r = bfl_test_submit(emu, "flux-pro-1.1", "{\"prompt\":\"x\",\"colour\":\"red\",\"n\":4}");
    cr_expect_eq(r.status, 200, "%s", r.body);
    ec_result_free(&r);
    bfl_emulator_stop(emu);
}

Test(validation, body_level_errors)
{
    bfl_emulator *emu = bfl_test_start();
    ec_result r = bfl_test_submit(emu, "flux-pro-1.1", NULL);
    bfl_test_expect_422(&r, NULL, "missing", "no body");
    ec_result_free(&r);
    r = bfl_test_submit(emu, "flux-pro-1.1", "[1,2]");
    bfl_test_expect_422(&r, NULL, "model_attributes_type", "array body");
    ec_result_free(&r);
    const char *headers[] = {"x-key: " BFL_TEST_KEY, NULL};
    ec_call call = {.method = "POST", .url = bfl_test_url(emu, "/v1/flux-pro-1.1"),
                    .headers = headers, .body = "{\"prompt\":\"x\"}",
                    .content_type = "text/plain"};
    r = ec_send(&call);
    bfl_test_expect_422(&r, NULL, "model_attributes_type", "text/plain body");
    ec_result_free(&r);
    /* Broken JSON is refused while reading the body, before the key check. */
    r = bfl_test_call("POST", bfl_test_url(emu, "/v1/flux-dev"), NULL, "{\"prompt\": oops}");
    cr_expect_eq(r.status, 422, "%s", r.body);
    const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "detail"), 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(item, "type")), "json_invalid");
    const cJSON *loc = cJSON_GetObjectItem(item, "loc");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(loc, 0)), "body");
    cr_expect(cJSON_IsNumber(cJSON_GetArrayItem(loc, 1)), "loc[1] is the error position");
    ec_result_free(&r);
    bfl_emulator_stop(emu);
}

Test(validation, fill_mask_rules)
{
    bfl_emulator *emu = bfl_test_start();
    char *img = bfl_test_b64_image("png", 320, 200, 3), *b = NULL;
    char *mask = bfl_test_b64_mask(160, 100);
    cr_assert(asprintf(&b, "{\"image\":\"%s\",\"mask\":\"%s\"}", img, mask) > 0);
    ec_result r = bfl_test_submit(emu, "flux-pro-1.0-fill", b);
    bfl_test_expect_422(&r, "mask", "value_error", "mask of another size");
    cr_expect(strstr(r.body, "160x100") && strstr(r.body, "320x200"), "%.300s", r.body);
    ec_result_free(&r);
    free(b);
    cr_assert(asprintf(&b, "{\"image\":\"%s\"}", img) > 0);
    r = bfl_test_submit(emu, "flux-pro-1.0-fill", b);
    bfl_test_expect_422(&r, "mask", "value_error", "no mask and no alpha");
    ec_result_free(&r);
    free(b);
    cr_assert(asprintf(&b, "{\"image\":\"%s\",\"mask\":\"%s\",\"steps\":14,\"guidance\":101}",
                       img, mask) > 0);
    r = bfl_test_submit(emu, "flux-pro-1.0-fill", b);
    bfl_test_expect_422(&r, "steps", "greater_than_equal", "fill steps");
    bfl_test_expect_422(&r, "guidance", "less_than_equal", "fill guidance");
    ec_result_free(&r);
    free(b), free(img), free(mask);
    bfl_emulator_stop(emu);
}

Test(validation, expand_margins_and_gif_images)
{
    bfl_emulator *emu = bfl_test_start();
    char *img = bfl_test_b64_image("png", 64, 64, 3), *b = NULL;
    char *gif = bfl_test_b64_image("gif", 64, 64, 3);
    cr_assert(asprintf(&b, "{\"image\":\"%s\",\"top\":2049,\"left\":-1}", img) > 0);
    ec_result r = bfl_test_submit(emu, "flux-pro-1.0-expand", b);
    bfl_test_expect_422(&r, "top", "less_than_equal", "top 2049");
    bfl_test_expect_422(&r, "left", "greater_than_equal", "left -1");
    ec_result_free(&r);
    free(b);
    cr_assert(asprintf(&b, "{\"image\":\"%s\"}", gif) > 0);
    r = bfl_test_submit(emu, "flux-pro-1.0-expand", b);
    bfl_test_expect_422(&r, "image", "value_error", "a GIF");
    ec_result_free(&r);
    free(b), free(img), free(gif);
    bfl_emulator_stop(emu);
}

/* The non-null branch of a spec property and whether null is allowed. */
static const cJSON *core_of(const cJSON *prop, bool *nullable)
{
    const cJSON *any = cJSON_GetObjectItem(prop, "anyOf");
    *nullable = false;
    if (!any)
        return prop;
    const cJSON *branch, *core = NULL;
    cJSON_ArrayForEach(branch, any)
    {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(branch, "type"));
        if (t && !strcmp(t, "null"))
            *nullable = true;
        else
            core = branch;
    }
    return core;
}

/* The JSON type a field table entry stands for. */
static const char *json_type(bfl_type t)
{
    return t == BFL_T_INT ? "integer" : t == BFL_T_NUMBER ? "number"
           : t == BFL_T_BOOL ? "boolean" : t == BFL_T_FORMAT ? NULL : "string";
}

/* Compares one field of the table with the spec's property. */
static void expect_field_matches(const char *schema, const bfl_field *f, const cJSON *prop)
{
    bool nullable;
    const cJSON *core = core_of(prop, &nullable);
    cr_assert_not_null(core, "%s.%s", schema, f->name);
    cr_expect_eq(nullable, f->nullable, "%s.%s nullable", schema, f->name);
    const char *type = json_type(f->type);
    if (type)
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(core, "type")), type,
                         "%s.%s type", schema, f->name);
    else
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(core, "$ref")),
                         "#/components/schemas/OutputFormat", "%s.%s", schema, f->name);
    const cJSON *min = cJSON_GetObjectItem(core, "minimum");
    const cJSON *max = cJSON_GetObjectItem(core, "maximum");
    const cJSON *mult = cJSON_GetObjectItem(core, "multipleOf");
    cr_expect_eq(min != NULL, f->has_min, "%s.%s minimum", schema, f->name);
    cr_expect_eq(max != NULL, f->has_max, "%s.%s maximum", schema, f->name);
    if (min)
        cr_expect_eq(min->valuedouble, f->min, "%s.%s minimum", schema, f->name);
    if (max)
        cr_expect_eq(max->valuedouble, f->max, "%s.%s maximum", schema, f->name);
    cr_expect_eq(mult ? mult->valueint : 0, f->multiple_of, "%s.%s multipleOf", schema, f->name);
    const cJSON *dflt = cJSON_GetObjectItem(prop, "default");
    cJSON *mine = f->dflt ? cJSON_Parse(f->dflt) : NULL;
    cr_expect((!dflt && !mine) || (dflt && mine && cJSON_Compare(dflt, mine, 1)),
              "%s.%s default differs from the spec", schema, f->name);
    cJSON_Delete(mine);
}

Test(spec, request_fields_match_the_schemas)
{
    for (const bfl_endpoint *ep = bfl_endpoints; ep->name; ep++) {
        const cJSON *schema = bfl_test_schema(ep->schema);
        const cJSON *props = cJSON_GetObjectItem(schema, "properties");
        for (const bfl_field *f = ep->fields; f->name; f++) {
            const cJSON *prop = cJSON_GetObjectItemCaseSensitive(props, f->name);
            cr_expect_not_null(prop, "%s accepts %s, which %s lacks", ep->name, f->name,
                               ep->schema);
            if (prop)
                expect_field_matches(ep->schema, f, prop);
            bool required = false;
            const cJSON *r;
            cJSON_ArrayForEach(r, cJSON_GetObjectItem(schema, "required"))
                required |= !strcmp(r->valuestring, f->name);
            cr_expect_eq(required, f->required, "%s.%s required", ep->schema, f->name);
        }
        const cJSON *prop;
        cJSON_ArrayForEach(prop, props)
            cr_expect_not_null(bfl_field_find(ep, prop->string), "%s.%s is not accepted",
                               ep->schema, prop->string);
    }
    const cJSON *fmt = cJSON_GetObjectItem(bfl_test_schema("OutputFormat"), "enum");
    cr_expect_eq(cJSON_GetArraySize(fmt), 3);
}

/* paths.<path>.<method> of the spec, or NULL. */
static const cJSON *operation(const char *path, const char *method)
{
    const cJSON *paths = cJSON_GetObjectItem(bfl_test_spec(), "paths");
    return cJSON_GetObjectItem(cJSON_GetObjectItemCaseSensitive(paths, path), method);
}

Test(spec, served_paths_exist_with_their_schemas)
{
    for (const bfl_endpoint *ep = bfl_endpoints; ep->name; ep++) {
        char path[64], ref[96];
        snprintf(path, sizeof path, "/v1/%s", ep->name);
        const cJSON *op = operation(path, "post");
        cr_assert_not_null(op, "the spec has no POST %s", path);
        const cJSON *schema = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
            cJSON_GetObjectItem(op, "requestBody"), "content"), "application/json"), "schema");
        snprintf(ref, sizeof ref, "#/components/schemas/%s", ep->schema);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(schema, "$ref")), ref);
        cr_expect_not_null(cJSON_GetObjectItem(cJSON_GetObjectItem(op, "responses"), "422"),
                           "%s declares no 422", path);
        cr_expect_not_null(cJSON_GetObjectItem(op, "security"), "%s needs no key?", path);
    }
    cr_expect_not_null(operation("/v1/get_result", "get"));
    cr_expect_not_null(operation("/v1/credits", "get"));
    const cJSON *schemes = cJSON_GetObjectItem(
        cJSON_GetObjectItem(bfl_test_spec(), "components"), "securitySchemes");
    const cJSON *scheme = cJSON_GetObjectItem(cJSON_GetObjectItem(schemes, "APIKeyHeader"), "name");
    cr_expect_str_eq(cJSON_GetStringValue(scheme), "x-key");
}
