/* emu_test_util.c - see emu_test_util.h. */
#include "emulators/emu_test_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "emulators/openai_internal.h"
#include "support/test_util.h"

#define SPEC_PATH IG_TEST_SOURCE_DIR "/../shared/specs/openai-images.openapi.json"

oai_emulator *et_start(void)
{
    oai_emulator *emu = oai_emulator_start(0, ET_KEY);
    cr_assert_not_null(emu, "the emulator did not start");
    return emu;
}

const char *et_url(oai_emulator *emu, const char *suffix)
{
    static _Thread_local char url[512];
    snprintf(url, sizeof url, "%s%s", oai_emulator_base_url(emu), suffix);
    return url;
}

bool et_decode(const unsigned char *data, size_t size, et_image *out)
{
    memset(out, 0, sizeof *out);
    cr_assert_eq(emu_vips_init(), 0);
    const char *loader = vips_foreign_find_load_buffer(data, size);
    if (!loader)
        return false;
    VipsImage *img = vips_image_new_from_buffer(data, size, "", "fail", TRUE, NULL);
    double avg = 0;
    bool ok = img && vips_avg(img, &avg, NULL) == 0; /* decodes every pixel */
    if (ok) {
        snprintf(out->format, sizeof out->format, "%s",
                 strstr(loader, "Png") ? "png" : strstr(loader, "Jpeg") ? "jpeg"
                                         : strstr(loader, "Webp") ? "webp" : "other");
        out->width = vips_image_get_width(img);
        out->height = vips_image_get_height(img);
        out->bands = vips_image_get_bands(img);
    }
    if (img)
        g_object_unref(img);
    vips_error_clear();
    return ok;
}

et_image et_decode_b64(const char *b64)
{
    cr_assert_not_null(b64, "no b64_json");
    gsize n = 0;
    guchar *bytes = g_base64_decode(b64, &n);
    cr_assert(bytes && n > 0, "b64_json is not base64");
    et_image img;
    cr_assert(et_decode(bytes, n, &img), "b64_json does not decode as an image");
    g_free(bytes);
    return img;
}

/* The error object's field, "" for null, NULL when missing. */
static const char *err_field(const ec_result *r, const char *name)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(r->json, "error");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(err, name);
    if (cJSON_IsNull(v))
        return "";
    return cJSON_GetStringValue(v);
}

const char *et_err_param(const ec_result *r)
{
    return err_field(r, "param");
}

const char *et_err_code(const ec_result *r)
{
    return err_field(r, "code");
}

void et_expect_400(const ec_result *r, const char *param, const char *code, const char *what)
{
    cr_assert_eq(r->curl_code, 0, "%s: curl %d", what, r->curl_code);
    cr_expect_eq(r->status, 400, "%s: status %ld body %s", what, r->status, r->body);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(r->json, "error");
    cr_assert(cJSON_IsObject(err), "%s: no error object in %s", what, r->body);
    cr_expect_str_eq(err_field(r, "type"), "invalid_request_error", "%s", what);
    cr_expect(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(err, "message")), "%s", what);
    const char *got = et_err_param(r);
    cr_assert_not_null(got, "%s: error.param missing: %s", what, r->body);
    cr_expect_str_eq(got, param ? param : "", "%s: param (%s)", what, r->body);
    if (code)
        cr_expect_str_eq(et_err_code(r) ? et_err_code(r) : "(missing)", code,
                         "%s: code (%s)", what, r->body);
}

const cJSON *et_schema(const char *name)
{
    static cJSON *spec;
    if (!spec) {
        char *text = tu_read_file(SPEC_PATH, NULL);
        /* The spec lives in the planning repo's shared/specs, beside a CI
         * checkout; a plain clone has no copy, so the drift check is
         * skipped there rather than failed. */
        if (!text)
            cr_skip_test("spec not found at %s: the emulator/spec drift check needs "
                         "shared/specs beside the checkout", SPEC_PATH);
        spec = cJSON_Parse(text);
        free(text);
        cr_assert_not_null(spec, "the spec is not JSON");
    }
    const cJSON *schemas = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(spec, "components"), "schemas");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(schemas, name);
    cr_assert_not_null(s, "the spec has no schema %s", name);
    return s;
}

bool et_spec_has(const char *schema, const char *key)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(et_schema(schema), "properties");
    return cJSON_GetObjectItemCaseSensitive(props, key) != NULL;
}
