/* test_openrouter_emulator_util.c - see test_openrouter_emulator_util.h. */
#include "test_openrouter_emulator_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_images.h"
#include "support/test_images.h"

orr_emulator *ot_start(void)
{
    orr_emulator *emu = orr_emulator_start(0, OT_KEY);
    cr_assert_not_null(emu, "the emulator did not start");
    return emu;
}

const char *ot_url(orr_emulator *emu, const char *suffix)
{
    static _Thread_local char url[512];
    snprintf(url, sizeof url, "%s%s", orr_emulator_base_url(emu), suffix);
    return url;
}

ec_result ot_post(orr_emulator *emu, const char *json)
{
    return ec_post_json(ot_url(emu, "/chat/completions"), OT_KEY, json, 0);
}

char *ot_body(const char *model, const char *modalities, const char *prompt, const char *extra)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    cJSON *msgs = cJSON_AddArrayToObject(root, "messages");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "content", prompt);
    cJSON_AddItemToArray(msgs, m);
    if (modalities)
        cJSON_AddItemToObject(root, "modalities", cJSON_Parse(modalities));
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    size_t n = strlen(text) + strlen(extra) + 1;
    char *body = malloc(n);
    cr_assert_not_null(body);
    /* Splice extra members in before the closing brace. */
    snprintf(body, n, "%.*s%s}", (int)strlen(text) - 1, text, extra);
    free(text);
    return body;
}

char *ot_data_url(const char *format, int width, int height)
{
    size_t size;
    unsigned char *bytes = ti_encode(format, width, height, 3, &size);
    char mime[32];
    snprintf(mime, sizeof mime, "image/%s", format);
    char *url = ti_data_url(mime, bytes, size);
    free(bytes);
    return url;
}

const cJSON *ot_message(const ec_result *r)
{
    const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(r->json, "choices"), 0);
    const cJSON *msg = cJSON_GetObjectItem(choice, "message");
    cr_assert(cJSON_IsObject(msg), "no choices[0].message in %.300s", r->body);
    return msg;
}

et_image ot_image(const ec_result *r, int i, const char *format)
{
    const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(ot_message(r), "images"), i);
    cr_assert_not_null(item, "no message.images[%d]", i);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(item, "type")), "image_url");
    const char *url = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(item, "image_url"), "url"));
    cr_assert_not_null(url, "no image_url.url");
    char prefix[48];
    snprintf(prefix, sizeof prefix, "data:image/%s;base64,", format);
    cr_assert(!strncmp(url, prefix, strlen(prefix)), "url starts %.40s, want %s", url, prefix);
    size_t n = 0;
    unsigned char *bytes = emu_base64_decode(url + strlen(prefix), &n);
    cr_assert(bytes && n > 0, "the data URL is not base64");
    et_image img;
    cr_assert(et_decode(bytes, n, &img), "the data URL does not decode as an image");
    free(bytes);
    cr_expect_str_eq(img.format, format);
    return img;
}

void ot_expect_image(const ec_result *r, const char *model, int w, int h, const char *format,
                     double cost)
{
    cr_assert_eq(r->curl_code, 0, "curl %d", r->curl_code);
    cr_assert_eq(r->status, 200, "status %ld: %.400s", r->status, r->body);
    cr_assert_not_null(r->json);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r->json, "model")), model);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r->json, "object")),
                     "chat.completion");
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(r->json, "id"));
    cr_expect(id && !strncmp(id, "gen-", 4), "id %s", id ? id : "(none)");
    cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(r->json, "created")));
    const cJSON *choices = cJSON_GetObjectItem(r->json, "choices");
    cr_assert_eq(cJSON_GetArraySize(choices), 1);
    const cJSON *choice = cJSON_GetArrayItem(choices, 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(choice, "finish_reason")), "stop");
    cr_expect_eq(cJSON_GetObjectItem(choice, "index")->valueint, 0);
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(choice, "logprobs")));
    const cJSON *msg = ot_message(r);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "role")), "assistant");
    cr_expect(cJSON_IsString(cJSON_GetObjectItem(msg, "content")));
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(msg, "images")), 1);
    et_image img = ot_image(r, 0, format);
    cr_expect_eq(img.width, w, "width %d, want %d", img.width, w);
    cr_expect_eq(img.height, h, "height %d, want %d", img.height, h);
    const cJSON *usage = cJSON_GetObjectItem(r->json, "usage");
    cr_assert(cJSON_IsObject(usage));
    int pt = cJSON_GetObjectItem(usage, "prompt_tokens")->valueint;
    int ct = cJSON_GetObjectItem(usage, "completion_tokens")->valueint;
    cr_expect_gt(pt, 0);
    cr_expect_eq(cJSON_GetObjectItem(usage, "total_tokens")->valueint, pt + ct);
    double got = cJSON_GetObjectItem(usage, "cost")->valuedouble;
    cr_expect(got > cost - 1e-9 && got < cost + 1e-9, "cost %.10f, want %.10f", got, cost);
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(usage, "is_byok")));
}

void ot_expect_error(const ec_result *r, long status, const char *contains, const char *what)
{
    cr_assert_eq(r->curl_code, 0, "%s: curl %d", what, r->curl_code);
    cr_expect_eq(r->status, status, "%s: status %ld body %.400s", what, r->status, r->body);
    const cJSON *err = cJSON_GetObjectItem(r->json, "error");
    cr_assert(cJSON_IsObject(err), "%s: no error object in %.400s", what, r->body);
    const cJSON *code = cJSON_GetObjectItem(err, "code");
    cr_assert(cJSON_IsNumber(code), "%s: error.code is not a number", what);
    cr_expect_eq(code->valueint, status, "%s: error.code %d", what, code->valueint);
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(err, "message"));
    cr_assert_not_null(msg, "%s: error.message missing", what);
    if (contains)
        cr_expect(strstr(msg, contains), "%s: message '%s' lacks '%s'", what, msg, contains);
    const cJSON *v;
    cJSON_ArrayForEach(v, err)
        cr_expect(!strcmp(v->string, "code") || !strcmp(v->string, "message") ||
                      !strcmp(v->string, "metadata"),
                  "%s: unexpected error member '%s'", what, v->string);
}

const cJSON *ot_err_metadata(const ec_result *r)
{
    return cJSON_GetObjectItem(cJSON_GetObjectItem(r->json, "error"), "metadata");
}
