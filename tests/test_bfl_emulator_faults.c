/*
 * test_bfl_emulator_faults.c - the BFL emulator's fault queue in BFL's own
 * shapes (429/5xx, timeout, reset, truncate, malformed, moderation on
 * submit and on poll, expired results) and its test hooks (Error, no
 * credits). Auth, routes, delivery and lifecycle are in
 * test_bfl_emulator_access.c.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/bfl_test_util.h"

#define DEV "/v1/flux-dev"
#define POLL "/regional/v1/get_result"

Test(faults, rate_limit_429_with_retry_after_for_count_requests)
{
    bfl_emulator *emu = bfl_test_start();
    bfl_test_push(emu, EMU_FAULT_429, DEV, 2);
    for (int i = 0; i < 2; i++) {
        ec_result r = bfl_test_submit(emu, "flux-dev", BFL_TEST_CHEAP);
        bfl_test_expect_detail(&r, 429, NULL);
        char *ra = ec_header(&r, "Retry-After");
        cr_expect_str_eq(ra ? ra : "", "3");
        free(ra);
        ec_result_free(&r);
    }
    free(bfl_test_submit_cheap(emu));
    cr_expect_eq(bfl_emulator_tasks(emu, NULL), 1, "a 429 made a task");
    bfl_emulator_stop(emu);
}

Test(faults, server_errors_in_fastapi_shape_only_on_their_path)
{
    bfl_emulator *emu = bfl_test_start();
    bfl_test_push(emu, EMU_FAULT_500, DEV, 1);
    bfl_test_push(emu, EMU_FAULT_502, DEV, 1);
    bfl_test_push(emu, EMU_FAULT_503, POLL, 1);
    const long want[] = {500, 502};
    for (int i = 0; i < 2; i++) {
        ec_result r = bfl_test_submit(emu, "flux-dev", BFL_TEST_CHEAP);
        bfl_test_expect_detail(&r, want[i], NULL);
        ec_result_free(&r);
    }
    char *url = bfl_test_submit_cheap(emu);
    ec_result r = bfl_test_poll(url);
    bfl_test_expect_detail(&r, 503, NULL);
    ec_result_free(&r);
    /* A faulted poll does not count: two Pending polls still follow. */
    for (int i = 0; i < 2; i++) {
        char *s = bfl_test_poll_status(url);
        cr_expect_str_eq(s, "Pending");
        free(s);
    }
    char *s = bfl_test_poll_status(url);
    cr_expect_str_eq(s, "Ready");
    free(s), free(url);
    bfl_emulator_stop(emu);
}

Test(faults, timeout_reset_truncate_malformed)
{
    bfl_emulator *emu = bfl_test_start();
    bfl_test_push(emu, EMU_FAULT_TIMEOUT, DEV, 1);
    const char *headers[] = {"x-key: " BFL_TEST_KEY, NULL};
    ec_call held = {.method = "POST", .url = bfl_test_url(emu, DEV), .headers = headers,
                    .body = BFL_TEST_CHEAP, .timeout_ms = 300};
    ec_result r = ec_send(&held); /* held until the client gives up */
    cr_expect_eq(r.curl_code, CURLE_OPERATION_TIMEDOUT, "curl %d", r.curl_code);
    ec_result_free(&r);
    char *url = bfl_test_submit_cheap(emu);
    bfl_test_push(emu, EMU_FAULT_RESET, POLL, 1);
    bfl_test_push(emu, EMU_FAULT_TRUNCATE, POLL, 1);
    bfl_test_push(emu, EMU_FAULT_MALFORMED, POLL, 1);
    r = bfl_test_poll(url);
    cr_expect(r.curl_code == CURLE_GOT_NOTHING || r.curl_code == CURLE_RECV_ERROR,
              "reset gave curl %d", r.curl_code);
    ec_result_free(&r);
    r = bfl_test_poll(url);
    cr_expect(r.curl_code == CURLE_PARTIAL_FILE || r.curl_code == CURLE_RECV_ERROR,
              "truncate gave curl %d", r.curl_code);
    ec_result_free(&r);
    r = bfl_test_poll(url);
    cr_expect_eq(r.curl_code, CURLE_OK);
    cr_expect_eq(r.status, 200);
    cr_expect_null(r.json, "malformed answer parsed: %s", r.body);
    ec_result_free(&r);
    free(url);
    cJSON *log = emu_request_log(bfl_emulator_server(emu));
    /* Entry 0 is still held (unanswered, status 0); entry 1 is the submission. */
    cr_expect_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "status")->valueint, 0);
    const char *faults[] = {NULL, NULL, "reset", "truncate", "malformed"};
    for (int i = 1; i < 5; i++) {
        const cJSON *f = cJSON_GetObjectItem(cJSON_GetArrayItem(log, i), "fault");
        cr_expect(faults[i] ? cJSON_IsString(f) && !strcmp(f->valuestring, faults[i])
                            : cJSON_IsNull(f), "entry %d", i);
    }
    cJSON_Delete(log);
    bfl_emulator_stop(emu);
}

Test(faults, moderation_on_submit_is_request_moderated)
{
    bfl_emulator *emu = bfl_test_start();
    bfl_test_push(emu, EMU_FAULT_MODERATION, DEV, 1);
    ec_result r = bfl_test_submit(emu, "flux-dev", "{\"prompt\":\"p\",\"width\":100}");
    bfl_test_expect_422(&r, "width", "multiple_of", "validation comes before moderation");
    ec_result_free(&r);
    bfl_test_push(emu, EMU_FAULT_MODERATION, DEV, 1);
    char *url = bfl_test_submit_cheap(emu);
    ec_result p = bfl_test_poll(url);
    cr_assert_eq(p.status, 200);
    bfl_test_expect_schema(p.json, "ResultResponse", "moderated");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(p.json, "status")),
                     "Request Moderated");
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(p.json, "result")));
    const cJSON *reasons = cJSON_GetObjectItem(cJSON_GetObjectItem(p.json, "details"),
                                               "Moderation Reasons");
    cr_expect(cJSON_IsArray(reasons) && cJSON_GetArraySize(reasons) > 0, "%s", p.body);
    ec_result_free(&p);
    char *s = bfl_test_poll_status(url);
    cr_expect_str_eq(s, "Request Moderated");
    free(s), free(url);
    cr_expect_eq(bfl_emulator_tasks(emu, "flux-dev"), 1);
    bfl_emulator_stop(emu);
}

Test(faults, moderation_on_poll_is_content_moderated_for_good)
{
    bfl_emulator *emu = bfl_test_start();
    char *url = bfl_test_submit_cheap(emu);
    char *s = bfl_test_poll_status(url);
    cr_expect_str_eq(s, "Pending");
    free(s);
    /* Over the HTTP control path, on the regional polling path. */
    char control[256];
    snprintf(control, sizeof control, "%s/__emulator/faults", bfl_emulator_base_url(emu));
    ec_result c = ec_post_json(control, NULL, "{\"path\":\"" POLL "\",\"fault\":\"moderation\"}",
                               0);
    cr_expect_eq(c.status, 200, "%s", c.body);
    ec_result_free(&c);
    for (int i = 0; i < 3; i++) {
        s = bfl_test_poll_status(url);
        cr_expect_str_eq(s, "Content Moderated", "poll %d", i);
        free(s);
    }
    free(url);
    bfl_emulator_stop(emu);
}

Test(hooks, fail_next_ends_in_error_after_the_pending_polls)
{
    bfl_emulator *emu = bfl_test_start();
    bfl_emulator_fail_next(emu, 1);
    cJSON *final = bfl_test_run(emu, "flux-dev", BFL_TEST_CHEAP, 2);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(final, "status")), "Error");
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(final, "result")));
    cJSON_Delete(final);
    final = bfl_test_run(emu, "flux-dev", BFL_TEST_CHEAP, 2);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(final, "status")), "Ready");
    cJSON_Delete(final);
    bfl_emulator_stop(emu);
}

Test(hooks, no_credits_is_402_after_validation)
{
    bfl_emulator *emu = bfl_test_start();
    bfl_emulator_no_credits(emu, true);
    ec_result r = bfl_test_submit(emu, "flux-dev", BFL_TEST_CHEAP);
    bfl_test_expect_detail(&r, 402, "Insufficient credits");
    ec_result_free(&r);
    r = bfl_test_submit(emu, "flux-dev", "{\"width\":1}");
    cr_expect_eq(r.status, 422);
    ec_result_free(&r);
    r = bfl_test_call("GET", bfl_test_url(emu, "/v1/credits"), BFL_TEST_KEY, NULL);
    cr_expect_eq(cJSON_GetObjectItem(r.json, "credits")->valuedouble, 0);
    ec_result_free(&r);
    cr_expect_eq(bfl_emulator_tasks(emu, NULL), 0);
    bfl_emulator_no_credits(emu, false);
    free(bfl_test_submit_cheap(emu));
    bfl_emulator_stop(emu);
}

Test(faults, expired_on_poll_is_task_not_found_for_good)
{
    bfl_emulator *emu = bfl_test_start();
    char *url = bfl_test_submit_cheap(emu);
    bfl_test_push(emu, EMU_FAULT_EXPIRED, "/v1/get_result", 1);
    bfl_test_push(emu, EMU_FAULT_EXPIRED, POLL, 1);
    char *s = bfl_test_poll_status(url);
    cr_expect_str_eq(s, "Task not found");
    free(s);
    s = bfl_test_poll_status(url);
    cr_expect_str_eq(s, "Task not found", "an expired task came back");
    free(s), free(url);
    bfl_emulator_stop(emu);
}

