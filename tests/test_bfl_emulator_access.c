/*
 * test_bfl_emulator_access.c - the BFL emulator's x-key check and request
 * log, routes and ids, the signed delivery URLs (signature, expiry, key
 * leaks), two emulators at once, stopping with a held request, and the
 * playground binary.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_held.h"
#include "support/playground_process.h"
#include "emulators/bfl_test_util.h"

#define DEV "/v1/flux-dev"
#define POLL "/regional/v1/get_result"

Test(auth, missing_or_wrong_key_is_403_and_never_logged)
{
    bfl_emulator *emu = bfl_test_start();
    ec_result r = bfl_test_call("POST", bfl_test_url(emu, DEV), NULL, BFL_TEST_CHEAP);
    bfl_test_expect_detail(&r, 403, "Not authenticated");
    ec_result_free(&r);
    r = bfl_test_call("POST", bfl_test_url(emu, DEV), "bfl-wrong-secret-key-999", BFL_TEST_CHEAP);
    bfl_test_expect_detail(&r, 403, "Not authenticated - Invalid Authentication");
    cr_expect_null(strstr(r.body, "bfl-wrong"), "the key is echoed");
    ec_result_free(&r);
    char *url = bfl_test_submit_cheap(emu);
    r = bfl_test_call("GET", url, NULL, NULL);
    bfl_test_expect_detail(&r, 403, "Not authenticated");
    ec_result_free(&r);
    /* Authorization: Bearer is not BFL's header. */
    const char *bearer[] = {"Authorization: Bearer " BFL_TEST_KEY, NULL};
    ec_call call = {.method = "GET", .url = url, .headers = bearer};
    r = ec_send(&call);
    cr_expect_eq(r.status, 403);
    ec_result_free(&r);
    free(url);
    cJSON *log = emu_request_log(bfl_emulator_server(emu));
    char *text = cJSON_PrintUnformatted(log);
    cr_expect_null(strstr(text, BFL_TEST_KEY), "the log holds the key");
    cr_expect_null(strstr(text, "bfl-wrong"), "the log holds a presented key");
    const char *want[] = {"absent", "mismatched", "matched", "absent", "absent"};
    cr_assert_eq(cJSON_GetArraySize(log), 5);
    for (int i = 0; i < 5; i++)
        cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(log, i), "auth")->valuestring,
                         want[i], "entry %d", i);
    free(text);
    cJSON_Delete(log);
    cr_expect_eq(bfl_emulator_tasks(emu, NULL), 1);
    bfl_emulator_stop(emu);
}

Test(routes, unknown_paths_methods_and_ids)
{
    bfl_emulator *emu = bfl_test_start();
    ec_result r = bfl_test_call("POST", bfl_test_url(emu, "/v1/flux-pro-9"), BFL_TEST_KEY,
                                BFL_TEST_CHEAP);
    bfl_test_expect_detail(&r, 404, "Not Found");
    ec_result_free(&r);
    r = bfl_test_call("GET", bfl_test_url(emu, DEV), BFL_TEST_KEY, NULL);
    bfl_test_expect_detail(&r, 405, "Method Not Allowed");
    ec_result_free(&r);
    r = bfl_test_call("POST", bfl_test_url(emu, "/v1/get_result?id=x"), BFL_TEST_KEY, "{}");
    bfl_test_expect_detail(&r, 405, "Method Not Allowed");
    ec_result_free(&r);
    r = bfl_test_poll(bfl_test_url(emu, POLL));
    cr_expect_eq(r.status, 422);
    const cJSON *loc = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json,
                                                                                  "detail"), 0),
                                           "loc");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(loc, 0)), "query");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(loc, 1)), "id");
    ec_result_free(&r);
    r = bfl_test_poll(bfl_test_url(emu, POLL "?id=00000000-0000-4000-8000-000000000000"));
    cr_expect_eq(r.status, 200);
    bfl_test_expect_schema(r.json, "ResultResponse", "unknown id");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "status")),
                     "Task not found");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id")),
                     "00000000-0000-4000-8000-000000000000");
    ec_result_free(&r);
    bfl_emulator_stop(emu);
}

/* Runs a cheap task to Ready and returns its sample URL (malloc'd). */
static char *ready_sample(bfl_emulator *emu)
{
    cJSON *ready = bfl_test_run(emu, "flux-dev", BFL_TEST_CHEAP, 2);
    char *url = strdup(cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(ready, "result"), "sample")));
    cJSON_Delete(ready);
    return url;
}

/* Asserts an Azure-blob XML error with a code. */
static void expect_blob_error(const ec_result *r, long status, const char *code)
{
    cr_expect_eq(r->status, status, "status %ld: %s", r->status, r->body);
    char *type = ec_header(r, "Content-Type");
    cr_expect_str_eq(type ? type : "", "application/xml");
    free(type);
    char want[64];
    snprintf(want, sizeof want, "<Code>%s</Code>", code);
    cr_expect(strstr(r->body, "<?xml") && strstr(r->body, want), "%s", r->body);
}

Test(delivery, signature_expiry_and_unknown_blobs)
{
    bfl_emulator *emu = bfl_test_start();
    char *url = ready_sample(emu);
    cr_expect_eq(strncmp(url, bfl_emulator_base_url(emu), strlen(bfl_emulator_base_url(emu))), 0);
    bfl_test_push(emu, EMU_FAULT_EXPIRED, "/delivery", 1);
    ec_result r = ec_get(url, NULL, 0);
    expect_blob_error(&r, 403, "AuthenticationFailed");
    cr_expect(strstr(r.body, "Signed expiry time"), "%s", r.body);
    ec_result_free(&r);
    r = ec_get(url, NULL, 0);
    cr_expect_eq(r.status, 200, "the fault outlived its count");
    ec_result_free(&r);
    char *bad = strdup(url);
    char *sig = strstr(bad, "sig=") + 4;
    sig[0] = sig[0] == '0' ? '1' : '0';
    r = ec_get(bad, NULL, 0);
    expect_blob_error(&r, 403, "AuthenticationFailed");
    ec_result_free(&r);
    *strchr(bad, '?') = 0; /* no signature at all */
    r = ec_get(bad, NULL, 0);
    expect_blob_error(&r, 403, "AuthenticationFailed");
    ec_result_free(&r);
    r = ec_get(bfl_test_url(emu, "/delivery/00000000-0000-4000-8000-000000000000/sample.jpeg"
                                 "?se=x&sig=y"), NULL, 0);
    expect_blob_error(&r, 404, "BlobNotFound");
    ec_result_free(&r);
    r = bfl_test_call("DELETE", url, NULL, NULL);
    expect_blob_error(&r, 405, "UnsupportedHttpVerb");
    ec_result_free(&r);
    free(bad), free(url);
    bfl_emulator_stop(emu);
}

Test(delivery, the_log_shows_whether_a_client_leaked_its_key)
{
    bfl_emulator *emu = bfl_test_start();
    char *url = ready_sample(emu);
    emu_request_log_clear(bfl_emulator_server(emu));
    ec_result r = ec_get(url, NULL, 0);
    cr_expect_eq(r.status, 200);
    ec_result_free(&r);
    r = bfl_test_call("GET", url, BFL_TEST_KEY, NULL); /* a careless client */
    cr_expect_eq(r.status, 200, "the delivery host ignores the key");
    ec_result_free(&r);
    cJSON *log = emu_request_log(bfl_emulator_server(emu));
    cr_assert_eq(cJSON_GetArraySize(log), 2);
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "auth")->valuestring,
                     "absent");
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 1), "auth")->valuestring,
                     "matched");
    cr_expect_eq(strncmp(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "path")->valuestring,
                         "/delivery/", 10), 0);
    cJSON_Delete(log);
    free(url);
    bfl_emulator_stop(emu);
}

Test(lifecycle, stop_with_a_held_request_and_two_at_once)
{
    bfl_emulator *emu = bfl_test_start(), *other = bfl_test_start();
    cr_expect_neq(emu_server_port(bfl_emulator_server(emu)),
                  emu_server_port(bfl_emulator_server(other)));
    free(bfl_test_submit_cheap(other));
    bfl_test_push(emu, EMU_FAULT_TIMEOUT, DEV, 1);
    const char *headers[] = {"x-key: " BFL_TEST_KEY, NULL};
    ec_call call = {.method = "POST", .url = bfl_test_url(emu, DEV), .headers = headers,
                    .body = BFL_TEST_CHEAP};
    emu_held held;
    cr_assert_eq(emu_held_start(&held, bfl_emulator_server(emu), DEV, &call), 0);
    bfl_emulator_stop(emu);
    ec_result result = emu_held_finish(&held);
    cr_expect_neq(result.curl_code, CURLE_OK, "the held request got an answer");
    ec_result_free(&result);
    cr_expect_eq(bfl_emulator_tasks(other, NULL), 1);
    bfl_emulator_stop(other);
}

Test(playground, binary_serves_and_exits_on_sigterm)
{
    playground_process p = pp_start(IG_TEST_BINARY_DIR "/emulators/bfl-emulator", "bfl-play");
    char url[400];
    snprintf(url, sizeof url, "%s/v1/flux-dev", p.base_url);
    ec_result r = bfl_test_call("POST", url, "bfl-play", BFL_TEST_CHEAP);
    cr_expect_eq(r.status, 200, "%s", r.body);
    ec_result_free(&r);
    pp_stop(&p);
}
