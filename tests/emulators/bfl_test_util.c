/* bfl_test_util.c - see bfl_test_util.h. */
#include "emulators/bfl_test_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "emulators/emu_images.h"
#include "support/test_images.h"
#include "support/test_util.h"

#define SPEC_PATH IG_TEST_SOURCE_DIR "/../shared/specs/bfl.openapi.json"

/* Starts an emulator on an ephemeral port with the test key. */
bfl_emulator *bfl_test_start(void)
{
    bfl_emulator *emu = bfl_emulator_start(0, BFL_TEST_KEY);
    cr_assert_not_null(emu, "the emulator did not start");
    return emu;
}

/* The emulator URL of a path. */
const char *bfl_test_url(bfl_emulator *emu, const char *suffix)
{
    static _Thread_local char url[512];
    snprintf(url, sizeof url, "%s%s", bfl_emulator_base_url(emu), suffix);
    return url;
}

/* One request with an optional x-key header. */
ec_result bfl_test_call(const char *method, const char *url, const char *key, const char *body)
{
    char line[256];
    snprintf(line, sizeof line, "x-key: %s", key ? key : "");
    const char *headers[] = {key ? line : NULL, NULL};
    ec_call call = {.method = method, .url = url, .headers = headers, .body = body};
    return ec_send(&call);
}

/* POSTs a JSON body to a submit endpoint with the test key. */
ec_result bfl_test_submit(bfl_emulator *emu, const char *endpoint, const char *json)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/%s", endpoint);
    return bfl_test_call("POST", bfl_test_url(emu, path), BFL_TEST_KEY, json);
}

/* GETs a polling URL with the test key. */
ec_result bfl_test_poll(const char *polling_url)
{
    return bfl_test_call("GET", polling_url, BFL_TEST_KEY, NULL);
}

/* Submits and polls to a final status, counting the Pending answers. */
cJSON *bfl_test_run(bfl_emulator *emu, const char *endpoint, const char *json, int pending)
{
    ec_result r = bfl_test_submit(emu, endpoint, json);
    cr_assert_eq(r.curl_code, 0);
    cr_assert_eq(r.status, 200, "%s: status %ld: %.400s", endpoint, r.status, r.body);
    bfl_test_expect_schema(r.json, "AsyncResponse", endpoint);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id"));
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "polling_url"));
    cr_assert(id && url, "%s: no id/polling_url", endpoint);
    cr_assert(strstr(url, "/regional/v1/get_result?id=") && strstr(url, id), "%s", url);
    char *poll_url = strdup(url);
    ec_result_free(&r);
    double last = 0;
    for (int i = 0; i < pending; i++) {
        ec_result p = bfl_test_poll(poll_url);
        cr_assert_eq(p.status, 200, "%s", p.body);
        bfl_test_expect_schema(p.json, "ResultResponse", "pending poll");
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(p.json, "status")), "Pending",
                         "poll %d of %d: %s", i + 1, pending, p.body);
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(p.json, "result")));
        const cJSON *progress = cJSON_GetObjectItem(p.json, "progress");
        cr_assert(cJSON_IsNumber(progress), "pending without progress: %s", p.body);
        cr_expect(progress->valuedouble > last && progress->valuedouble < 1,
                  "progress %g after %g", progress->valuedouble, last);
        last = progress->valuedouble;
        ec_result_free(&p);
    }
    ec_result p = bfl_test_poll(poll_url);
    free(poll_url);
    cr_assert_eq(p.status, 200, "%s", p.body);
    bfl_test_expect_schema(p.json, "ResultResponse", "final poll");
    cr_assert_str_neq(cJSON_GetStringValue(cJSON_GetObjectItem(p.json, "status")), "Pending",
                      "still pending after %d polls", pending);
    cJSON *final = p.json;
    p.json = NULL;
    ec_result_free(&p);
    return final;
}

/* Downloads a Ready task's sample without a key. */
et_image bfl_test_download(const cJSON *ready)
{
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(ready, "status")), "Ready");
    const cJSON *result = cJSON_GetObjectItem(ready, "result");
    const char *sample = cJSON_GetStringValue(cJSON_GetObjectItem(result, "sample"));
    cr_assert_not_null(sample, "no result.sample");
    ec_result r = ec_get(sample, NULL, 0);
    cr_assert_eq(r.status, 200, "download %s: %ld %.300s", sample, r.status, r.body);
    et_image img;
    cr_assert(et_decode((const unsigned char *)r.body, r.size, &img),
              "the sample does not decode");
    char *type = ec_header(&r, "Content-Type");
    char want[24];
    snprintf(want, sizeof want, "image/%s", img.format);
    cr_expect_str_eq(type ? type : "", want);
    free(type);
    ec_result_free(&r);
    return img;
}

/* A real test image as base64. */
char *bfl_test_b64_image(const char *format, int width, int height, int bands)
{
    size_t size;
    unsigned char *bytes = ti_encode(format, width, height, bands, &size);
    char *b64 = emu_base64(bytes, size);
    free(bytes);
    return b64;
}

/* A white-rectangle mask as base64. */
char *bfl_test_b64_mask(int width, int height)
{
    size_t size;
    unsigned char *bytes = ti_mask_png(width, height, width / 4, height / 4, width / 2,
                                       height / 2, &size);
    char *b64 = emu_base64(bytes, size);
    free(bytes);
    return b64;
}

/* Whether a detail item's loc is ["body", field] (field NULL = ["body"]). */
static bool loc_is(const cJSON *item, const char *field)
{
    const cJSON *loc = cJSON_GetObjectItem(item, "loc");
    if (cJSON_GetArraySize(loc) != (field ? 2 : 1))
        return false;
    const char *first = cJSON_GetStringValue(cJSON_GetArrayItem(loc, 0));
    const char *second = field ? cJSON_GetStringValue(cJSON_GetArrayItem(loc, 1)) : NULL;
    return first && !strcmp(first, "body") && (!field || (second && !strcmp(second, field)));
}

/* Asserts FastAPI's 422 shape with one matching error item. */
void bfl_test_expect_422(const ec_result *r, const char *field, const char *type, const char *what)
{
    cr_assert_eq(r->curl_code, 0, "%s: curl %d", what, r->curl_code);
    cr_expect_eq(r->status, 422, "%s: status %ld body %.300s", what, r->status, r->body);
    const cJSON *detail = cJSON_GetObjectItem(r->json, "detail");
    cr_assert(cJSON_IsArray(detail) && cJSON_GetArraySize(detail) > 0,
              "%s: no detail list in %.300s", what, r->body);
    bool found = false;
    const cJSON *item;
    cJSON_ArrayForEach(item, detail)
    {
        bfl_test_expect_schema(item, "ValidationError", what);
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(item, "type"));
        found |= loc_is(item, field) && t && !strcmp(t, type);
    }
    cr_expect(found, "%s: no %s error at body.%s in %.400s", what, type, field ? field : "",
              r->body);
}

/* The parsed spec, or NULL when the file is absent (loaded once). */
static const cJSON *load_spec(void)
{
    static cJSON *spec;
    static bool tried;
    if (!tried) {
        tried = true;
        char *text = tu_read_file(SPEC_PATH, NULL);
        spec = text ? cJSON_Parse(text) : NULL;
        cr_assert(!text || spec, "the spec is not JSON");
        free(text);
    }
    return spec;
}

/* The spec, or a skipped test when it is absent. */
const cJSON *bfl_test_spec(void)
{
    const cJSON *spec = load_spec();
    /* The spec lives in shared/specs beside the checkout; a plain clone has
     * no copy, so the drift checks are skipped there rather than failed. */
    if (!spec)
        cr_skip_test("spec not found at %s: the emulator/spec checks need shared/specs "
                     "beside the checkout", SPEC_PATH);
    return spec;
}

/* One components.schemas entry of the spec. */
const cJSON *bfl_test_schema(const char *name)
{
    const cJSON *schemas = cJSON_GetObjectItem(cJSON_GetObjectItem(bfl_test_spec(), "components"),
                                               "schemas");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(schemas, name);
    cr_assert_not_null(s, "the spec has no schema %s", name);
    return s;
}

/* Holds an answer against a spec schema (required and known keys). */
void bfl_test_expect_schema(const cJSON *obj, const char *schema, const char *what)
{
    cr_assert(cJSON_IsObject(obj), "%s: not an object", what);
    if (!load_spec()) /* shape checks need the spec; the behaviour checks go on */
        return;
    const cJSON *s = bfl_test_schema(schema);
    const cJSON *props = cJSON_GetObjectItem(s, "properties");
    const cJSON *req;
    cJSON_ArrayForEach(req, cJSON_GetObjectItem(s, "required"))
        cr_expect_not_null(cJSON_GetObjectItemCaseSensitive(obj, req->valuestring),
                           "%s: lacks %s.%s", what, schema, req->valuestring);
    const cJSON *v;
    cJSON_ArrayForEach(v, obj)
    {
        /* pydantic v2 adds input and ctx to ValidationError items. */
        bool extra_ok = !strcmp(schema, "ValidationError") &&
                        (!strcmp(v->string, "input") || !strcmp(v->string, "ctx"));
        cr_expect(extra_ok || cJSON_GetObjectItemCaseSensitive(props, v->string),
                  "%s: emits '%s', which the spec's %s lacks", what, v->string, schema);
    }
    if (!strcmp(schema, "ResultResponse")) { /* status is a StatusResponse */
        const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(obj, "status"));
        bool known = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(bfl_test_schema("StatusResponse"), "enum"))
            known |= status && !strcmp(e->valuestring, status);
        cr_expect(known, "%s: status %s is not in the spec's enum", what, status);
    }
}

/* Queues a fault through the C API. */
void bfl_test_push(bfl_emulator *emu, emu_fault_kind kind, const char *path, int count)
{
    emu_fault f = {.kind = kind, .path = path, .count = count, .retry_after = 3};
    cr_assert_eq(emu_fault_push(bfl_emulator_server(emu), &f), 0);
}

/* Submits a small flux-dev task and returns its polling_url. */
char *bfl_test_submit_cheap(bfl_emulator *emu)
{
    ec_result r = bfl_test_submit(emu, "flux-dev", BFL_TEST_CHEAP);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char *url = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "polling_url")));
    ec_result_free(&r);
    return url;
}

/* Polls once and returns the status. */
char *bfl_test_poll_status(const char *url)
{
    ec_result r = bfl_test_poll(url);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bfl_test_expect_schema(r.json, "ResultResponse", "poll");
    char *status = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "status")));
    ec_result_free(&r);
    return status;
}

/* Asserts a {"detail": text} answer. */
void bfl_test_expect_detail(const ec_result *r, long status, const char *text)
{
    cr_expect_eq(r->status, status, "status %ld: %s", r->status, r->body);
    const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(r->json, "detail"));
    cr_assert_not_null(d, "no detail string in %s", r->body);
    if (text)
        cr_expect_str_eq(d, text);
}
