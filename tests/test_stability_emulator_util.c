/* test_stability_emulator_util.c - see test_stability_emulator_util.h. */
#include "test_stability_emulator_util.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "emulators/emu_images.h"

stab_emulator *st_start(void)
{
    stab_emulator *emu = stab_emulator_start(0, ST_KEY);
    cr_assert_not_null(emu, "the emulator did not start");
    return emu;
}

const char *st_url(stab_emulator *emu, const char *path)
{
    static _Thread_local char url[512];
    snprintf(url, sizeof url, "%s%s", stab_emulator_base_url(emu), path);
    return url;
}

/* Fills headers with auth and accept lines ("Accept:" removes curl's). */
static void headers_for(const char *accept, char auth[128], char acc[128], const char *h[3])
{
    snprintf(auth, 128, "Authorization: Bearer %s", ST_KEY);
    snprintf(acc, 128, "Accept: %s", accept ? accept : "");
    h[0] = auth;
    h[1] = acc;
    h[2] = NULL;
}

ec_result st_post(stab_emulator *emu, const char *path, const char *accept,
                  const ec_part *parts, size_t count)
{
    char auth[128], acc[128];
    const char *h[3];
    headers_for(accept, auth, acc, h);
    ec_call call = {.method = "POST", .url = st_url(emu, path), .headers = h,
                    .parts = parts, .part_count = count};
    return ec_send(&call);
}

ec_result st_get(stab_emulator *emu, const char *path, const char *accept)
{
    char auth[128], acc[128];
    const char *h[3];
    headers_for(accept, auth, acc, h);
    ec_call call = {.method = "GET", .url = st_url(emu, path), .headers = h};
    return ec_send(&call);
}

ec_part st_file(const char *name, const unsigned char *data, size_t size)
{
    const char *type = data[0] == 0x89 ? "image/png" : data[0] == 0xFF ? "image/jpeg"
                                                                      : "image/webp";
    ec_part p = {.name = name, .data = data, .size = size, .filename = "input", .type = type};
    return p;
}

st_image st_decode(const unsigned char *data, size_t size)
{
    st_image out;
    memset(&out, 0, sizeof out);
    cr_assert_eq(emu_vips_init(), 0);
    const char *loader = vips_foreign_find_load_buffer(data, size);
    cr_assert_not_null(loader, "the answer is not an image");
    VipsImage *img = vips_image_new_from_buffer(data, size, "", "fail", TRUE, NULL);
    double avg = 0;
    cr_assert(img && vips_avg(img, &avg, NULL) == 0, "the image does not fully decode");
    snprintf(out.format, sizeof out.format, "%s",
             strstr(loader, "Png") ? "png" : strstr(loader, "Jpeg") ? "jpeg"
                                     : strstr(loader, "Webp") ? "webp" : "other");
    out.width = vips_image_get_width(img);
    out.height = vips_image_get_height(img);
    out.bands = vips_image_get_bands(img);
    g_object_unref(img);
    vips_error_clear();
    return out;
}

long long st_seed_header(const ec_result *r)
{
    char *v = ec_header(r, "seed");
    long long seed = v ? strtoll(v, NULL, 10) : -1;
    free(v);
    return seed;
}

st_image st_expect_image(const ec_result *r, const char *format, int w, int h,
                         const char *reason)
{
    cr_assert_eq(r->curl_code, 0, "curl %d", r->curl_code);
    cr_assert_eq(r->status, 200, "status %ld: %.300s", r->status, r->body);
    char want_type[32];
    snprintf(want_type, sizeof want_type, "image/%s", format);
    char *type = ec_header(r, "Content-Type");
    char *finish = ec_header(r, "finish-reason");
    cr_expect_str_eq(type ? type : "(none)", want_type);
    cr_expect_str_eq(finish ? finish : "(none)", reason ? reason : "SUCCESS");
    free(type);
    free(finish);
    long long seed = st_seed_header(r);
    cr_expect(seed >= 1 && seed <= 4294967294LL, "seed header %lld", seed);
    st_image img = st_decode((const unsigned char *)r->body, r->size);
    cr_expect_str_eq(img.format, format);
    cr_expect_eq(img.width, w, "width %d, want %d", img.width, w);
    cr_expect_eq(img.height, h, "height %d, want %d", img.height, h);
    return img;
}

st_image st_expect_json_image(const ec_result *r, const char *format, int w, int h)
{
    cr_assert_eq(r->status, 200, "status %ld: %.300s", r->status, r->body);
    cr_assert_not_null(r->json, "not JSON: %.100s", r->body);
    char want_type[64];
    snprintf(want_type, sizeof want_type, "application/json; type=image/%s", format);
    char *type = ec_header(r, "Content-Type");
    cr_expect_str_eq(type ? type : "(none)", want_type);
    free(type);
    cr_expect_eq(cJSON_GetArraySize(r->json), 3, "keys: image, finish_reason, seed");
    const char *b64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->json, "image"));
    cr_assert_not_null(b64);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->json,
                                                                           "finish_reason")),
                     "SUCCESS");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(r->json, "seed");
    cr_expect(cJSON_IsNumber(seed) && seed->valuedouble >= 1);
    size_t n = 0;
    unsigned char *bytes = emu_base64_decode(b64, &n);
    cr_assert_not_null(bytes, "image is not base64");
    st_image img = st_decode(bytes, n);
    free(bytes);
    cr_expect_str_eq(img.format, format);
    cr_expect_eq(img.width, w);
    cr_expect_eq(img.height, h);
    return img;
}

void st_expect_error(const ec_result *r, long status, const char *name, const char *field,
                     const char *what)
{
    cr_assert_eq(r->curl_code, 0, "%s: curl %d", what, r->curl_code);
    cr_expect_eq(r->status, status, "%s: status %ld, want %ld: %.300s", what, r->status,
                 status, r->body);
    cr_assert(cJSON_IsObject(r->json), "%s: not a JSON object: %.200s", what, r->body);
    cr_expect_eq(cJSON_GetArraySize(r->json), 3, "%s: keys id, name, errors", what);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->json, "id"));
    cr_assert_not_null(id, "%s: no id", what);
    cr_expect_eq(strlen(id), 32, "%s: id %s", what, id);
    for (const char *c = id; *c; c++)
        cr_expect(isxdigit((unsigned char)*c) && !isupper((unsigned char)*c), "%s: id %s",
                  what, id);
    const char *got = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->json, "name"));
    cr_expect_str_eq(got ? got : "(none)", name, "%s", what);
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(r->json, "errors");
    cr_assert(cJSON_IsArray(errors) && cJSON_GetArraySize(errors) >= 1, "%s: errors", what);
    if (!field)
        return;
    size_t n = strlen(field);
    bool found = false;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, errors)
    {
        const char *s = cJSON_GetStringValue(msg);
        found |= s && !strncmp(s, field, n) && s[n] == ':';
    }
    cr_expect(found, "%s: no error for '%s' in %s", what, field, r->body);
}
