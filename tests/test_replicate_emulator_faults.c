/*
 * test_replicate_emulator_faults.c - the Replicate emulator's faults in
 * Replicate's shapes: throttling with Retry-After, billing, server errors,
 * NSFW failures on create and on a read, removed outputs, the invalid-input
 * 422, a model failure, a reset; and every exchange of a mixed session held
 * against the spec (requests and prediction answers); stopping while a
 * request is held, and the playground binary.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_held.h"
#include "emulators/replicate_test_util.h"
#include "support/playground_process.h"

static replicate_emulator *emu;

static void setup(void)
{
    emu = rt_start();
}

static void teardown(void)
{
    replicate_emulator_stop(emu);
}

TestSuite(replicate_faults, .init = setup, .fini = teardown, .timeout = 60);

#define CREATE_PATH "/v1/models/" RT_FLUX "/predictions"

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void fault(emu_fault_kind kind, const char *path, int retry_after)
{
    emu_fault f = {.kind = kind, .path = path, .count = 1, .retry_after = retry_after};
    cr_assert_eq(emu_fault_push(replicate_emulator_server(emu), &f), 0);
}

static ec_result create(const char *prefer)
{
    return rt_create(emu, RT_FLUX, "{\"prompt\":\"a fox\"}", prefer);
}

Test(replicate_faults, throttling_billing_and_server_errors)
{
    fault(EMU_FAULT_429, CREATE_PATH, 30);
    ec_result r = create(NULL);
    cr_expect_eq(r.status, 429);
    cr_expect(strstr(str(r.json, "detail"), "resets in ~30s"), "%s", r.body);
    char *retry = ec_header(&r, "Retry-After");
    cr_expect(retry && !strcmp(retry, "30"));
    free(retry);
    ec_result_free(&r);
    fault(EMU_FAULT_QUOTA, CREATE_PATH, -1);
    r = create(NULL);
    cr_expect_eq(r.status, 402);
    cr_expect_str_eq(str(r.json, "title"), "Insufficient credit");
    ec_result_free(&r);
    const emu_fault_kind kinds[] = {EMU_FAULT_500, EMU_FAULT_502, EMU_FAULT_503};
    const long statuses[] = {500, 502, 503};
    for (int i = 0; i < 3; i++) {
        fault(kinds[i], CREATE_PATH, -1);
        r = create(NULL);
        cr_expect_eq(r.status, statuses[i]);
        cr_expect_eq(cJSON_GetObjectItem(r.json, "status")->valuedouble, statuses[i]);
        ec_result_free(&r);
    }
    fault(EMU_FAULT_INVALID, CREATE_PATH, -1);
    r = create(NULL);
    cr_expect_eq(r.status, 422);
    cr_expect_str_eq(str(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "invalid_fields"), 0),
                         "field"), "input.aspect_ratio");
    ec_result_free(&r);
    cr_expect_eq(replicate_emulator_predictions(emu, NULL), 0, "a fault created a prediction");
}

Test(replicate_faults, nsfw_is_a_failed_prediction_not_an_http_error)
{
    fault(EMU_FAULT_MODERATION, CREATE_PATH, -1);
    ec_result r = create("wait=60");
    cr_expect_eq(r.status, 201);
    cr_expect_str_eq(str(r.json, "status"), "failed");
    cr_expect(!strncmp(str(r.json, "error"), "NSFW content detected", 21), "%s", r.body);
    rt_expect_schema(r.json, "schemas_prediction_response", "nsfw");
    ec_result_free(&r);
    r = create(NULL);
    char path[160];
    snprintf(path, sizeof path, "/v1/predictions/%s", str(r.json, "id"));
    char *get = strdup(str(cJSON_GetObjectItem(r.json, "urls"), "get"));
    ec_result_free(&r);
    fault(EMU_FAULT_MODERATION, path, -1);
    r = rt_call("GET", get, RT_TOKEN, NULL, NULL);
    cr_expect_str_eq(str(r.json, "status"), "failed");
    cr_expect(strstr(str(r.json, "error"), "NSFW"));
    ec_result_free(&r);
    free(get);
}

Test(replicate_faults, removed_outputs_and_expired_files)
{
    ec_result r = create("wait");
    char path[160];
    snprintf(path, sizeof path, "/v1/predictions/%s", str(r.json, "id"));
    char *get = strdup(str(cJSON_GetObjectItem(r.json, "urls"), "get"));
    const cJSON *output = cJSON_GetObjectItem(r.json, "output");
    char *file = strdup(cJSON_GetArrayItem(output, 0)->valuestring);
    ec_result_free(&r);
    fault(EMU_FAULT_EXPIRED, "/delivery", -1);
    r = rt_call("GET", file, NULL, NULL, NULL);
    cr_expect_eq(r.status, 404);
    ec_result_free(&r);
    fault(EMU_FAULT_EXPIRED, path, -1);
    r = rt_call("GET", get, RT_TOKEN, NULL, NULL);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "data_removed")), "%s", r.body);
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(r.json, "output")));
    ec_result_free(&r);
    r = rt_call("GET", file, NULL, NULL, NULL);
    cr_expect_eq(r.status, 404, "a removed file was still served");
    ec_result_free(&r);
    free(get), free(file);
}

Test(replicate_faults, a_model_failure_and_a_reset)
{
    replicate_emulator_fail_next(emu, 1);
    ec_result r = create("wait=60");
    cr_expect_str_eq(str(r.json, "status"), "failed");
    cr_expect(str(r.json, "error") && !strstr(str(r.json, "error"), "NSFW"));
    ec_result_free(&r);
    r = create("wait=60");
    cr_expect_str_eq(str(r.json, "status"), "succeeded", "fail_next outlived its count");
    ec_result_free(&r);
    fault(EMU_FAULT_RESET, CREATE_PATH, -1);
    r = create(NULL);
    cr_expect_neq(r.curl_code, 0);
    ec_result_free(&r);
}

Test(replicate_faults, every_exchange_matches_the_spec)
{
    ec_result r = create(NULL);
    char *get = strdup(str(cJSON_GetObjectItem(r.json, "urls"), "get"));
    char *cancel = strdup(str(cJSON_GetObjectItem(r.json, "urls"), "cancel"));
    ec_result_free(&r);
    r = rt_call("GET", get, RT_TOKEN, NULL, NULL);
    ec_result_free(&r);
    r = rt_call("POST", cancel, RT_TOKEN, NULL, NULL);
    ec_result_free(&r);
    r = rt_call("POST", rt_url(emu, "/predictions"), RT_TOKEN, "wait=60",
                "{\"version\":\"" RT_ESRGAN_VERSION "\",\"input\":{\"image\":"
                "\"https://example.com/a.png\",\"scale\":2}}");
    ec_result_free(&r);
    free(get), free(cancel);
    cJSON *log = replicate_emulator_exchanges(emu);
    cr_assert_eq(cJSON_GetArraySize(log), 4);
    const cJSON *e;
    cJSON_ArrayForEach(e, log)
    {
        const cJSON *request = cJSON_GetObjectItem(e, "request");
        const char *path = str(e, "path");
        if (!strcmp(path, "/v1/predictions"))
            rt_expect_schema(request, "schemas_version_prediction_request", path);
        else if (strstr(path, "/models/"))
            rt_expect_schema(request, "schemas_prediction_request", path);
        cr_expect_eq((int)cJSON_GetObjectItem(e, "status")->valuedouble / 100, 2, "%s", path);
        rt_expect_schema(cJSON_GetObjectItem(e, "response"), "schemas_prediction_response",
                         path);
    }
    cJSON_Delete(log);
}

/* The converted spec schemas are not vacuous: they refuse what the spec does. */
Test(replicate_faults, the_spec_checks_catch_drift)
{
    const char *bad_requests[] = {"{\"input\":{},\"extra\":1}", "{\"stream\":true}",
                                  "{\"input\":[]}"};
    for (int i = 0; i < 3; i++) {
        cJSON *body = cJSON_Parse(bad_requests[i]);
        cr_expect(!rt_schema_ok(body, "schemas_prediction_request"), "%s", bad_requests[i]);
        cJSON_Delete(body);
    }
    cJSON *body = cJSON_Parse("{\"input\":{}}");
    cr_expect(!rt_schema_ok(body, "schemas_version_prediction_request"), "version missing");
    cJSON_Delete(body);
    ec_result r = create("wait");
    cr_assert(rt_schema_ok(r.json, "schemas_prediction_response"));
    cJSON_DeleteItemFromObject(r.json, "urls");
    cr_expect(!rt_schema_ok(r.json, "schemas_prediction_response"), "urls missing");
    ec_result_free(&r);
    r = create("wait");
    cJSON_ReplaceItemInObject(r.json, "status", cJSON_CreateString("done"));
    cr_expect(!rt_schema_ok(r.json, "schemas_prediction_response"), "bad status");
    cJSON_ReplaceItemInObject(r.json, "status", cJSON_CreateString("succeeded"));
    cJSON_ReplaceItemInObject(r.json, "error", cJSON_CreateNumber(3));
    cr_expect(!rt_schema_ok(r.json, "schemas_prediction_response"), "a numeric error");
    ec_result_free(&r);
}

Test(replicate_faults, stop_releases_a_held_request_promptly)
{
    fault(EMU_FAULT_TIMEOUT, CREATE_PATH, -1);
    const char *headers[] = {"Authorization: Bearer " RT_TOKEN, "Prefer: wait=60", NULL};
    ec_call call = {.method = "POST", .url = rt_url(emu, "/models/" RT_FLUX "/predictions"),
                    .headers = headers, .body = "{\"input\":{\"prompt\":\"a fox\"}}"};
    emu_held held;
    cr_assert_eq(emu_held_start(&held, replicate_emulator_server(emu), CREATE_PATH, &call), 0);
    long long start = emu_now_ms();
    replicate_emulator_stop(emu);
    emu = NULL;
    cr_expect_lt(emu_now_ms() - start, 5000, "stop waited for the held request");
    ec_result result = emu_held_finish(&held);
    cr_expect_neq(result.curl_code, 0, "the held request got an answer");
    ec_result_free(&result);
}

Test(playground, binary_serves_and_exits_on_sigterm)
{
    playground_process p = pp_start(IG_TEST_BINARY_DIR "/emulators/replicate-emulator",
                                    "r8_play");
    cr_expect(strstr(p.base_url, "/v1"), "%s", p.base_url);
    char url[400];
    snprintf(url, sizeof url, "%s/models/" RT_FLUX "/predictions", p.base_url);
    ec_result r = rt_call("POST", url, "r8_play", "wait", "{\"input\":{\"prompt\":\"a fox\"}}");
    cr_expect_eq(r.status, 201, "%s", r.body);
    ec_result_free(&r);
    pp_stop(&p);
}
