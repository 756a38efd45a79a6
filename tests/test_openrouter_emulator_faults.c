/*
 * test_openrouter_emulator_faults.c - auth (never echoing or logging the
 * key), routes, every core fault kind in OpenRouter's shapes, the scripted
 * hooks (402, 408, errors inside HTTP 200, finish_reason "error", a model
 * that declines to draw), the control paths, stopping with a held request,
 * and the playground binary.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_held.h"
#include "support/playground_process.h"
#include "test_openrouter_emulator_util.h"

#define CHEAP "{\"model\":\"google/gemini-2.5-flash-image\",\"modalities\":[\"image\",\"text\"]," \
              "\"messages\":[{\"role\":\"user\",\"content\":\"a small red cube\"}]}"

/* Queues a fault through the C API. */
static void push(orr_emulator *emu, emu_fault_kind kind, const char *path, int count,
                 int retry_after)
{
    emu_fault f = {.kind = kind, .path = path, .count = count, .retry_after = retry_after};
    cr_assert_eq(emu_fault_push(orr_emulator_server(emu), &f), 0);
}

/* A cheap completion with an optional client timeout. */
static ec_result gen(orr_emulator *emu, long timeout_ms)
{
    return ec_post_json(ot_url(emu, "/chat/completions"), OT_KEY, CHEAP, timeout_ms);
}

/* Asserts a normal image answer. */
static void expect_ok(orr_emulator *emu, const char *what)
{
    ec_result r = gen(emu, 0);
    cr_expect_eq(r.status, 200, "%s: %.300s", what, r.body);
    cr_expect_null(cJSON_GetObjectItem(r.json, "error"), "%s", what);
    ec_result_free(&r);
}

Test(auth, missing_or_wrong_key_is_401_and_never_echoed_or_logged)
{
    orr_emulator *emu = ot_start();
    ec_result r = ec_post_json(ot_url(emu, "/chat/completions"), NULL, CHEAP, 0);
    ot_expect_error(&r, 401, "No auth credentials found", "no key");
    cr_expect_null(cJSON_GetObjectItem(r.json, "user_id"));
    ec_result_free(&r);
    r = ec_post_json(ot_url(emu, "/chat/completions"), "sk-or-v1-wrong-secret-999", CHEAP, 0);
    ot_expect_error(&r, 401, "User not found.", "wrong key");
    cr_expect_null(strstr(r.body, "wrong-secret"), "the key is echoed");
    ec_result_free(&r);
    const char *const raw[] = {"Authorization: sk-or-v1-test0123456789abcdef", NULL};
    ec_call call = {.method = "POST", .url = ot_url(emu, "/chat/completions"), .headers = raw,
                    .body = CHEAP};
    r = ec_send(&call);
    ot_expect_error(&r, 401, "User not found.", "key without Bearer");
    ec_result_free(&r);
    expect_ok(emu, "right key");
    cJSON *log = emu_request_log(orr_emulator_server(emu));
    char *text = cJSON_PrintUnformatted(log);
    cr_expect_null(strstr(text, OT_KEY), "the log holds the key");
    cr_expect_null(strstr(text, "wrong-secret"), "the log holds a presented key");
    const char *want[] = {"absent", "mismatched", "mismatched", "matched"};
    const int status[] = {401, 401, 401, 200};
    cr_assert_eq(cJSON_GetArraySize(log), 4);
    for (int i = 0; i < 4; i++) {
        const cJSON *e = cJSON_GetArrayItem(log, i);
        cr_expect_str_eq(cJSON_GetObjectItem(e, "auth")->valuestring, want[i]);
        cr_expect_eq(cJSON_GetObjectItem(e, "status")->valueint, status[i]);
        cr_expect_str_eq(cJSON_GetObjectItem(e, "path")->valuestring, OT_COMPLETIONS);
        cr_expect_eq(cJSON_GetObjectItem(e, "bodySize")->valueint, (int)strlen(CHEAP));
    }
    free(text);
    cJSON_Delete(log);
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 1);
    orr_emulator_stop(emu);
}

Test(routes, unknown_paths_and_methods_are_404)
{
    orr_emulator *emu = ot_start();
    ec_result r = ec_get(ot_url(emu, "/chat/completions"), OT_KEY, 0);
    ot_expect_error(&r, 404, "GET /api/v1/chat/completions", "GET completions");
    ec_result_free(&r);
    r = ec_post_json(ot_url(emu, "/images/generations"), OT_KEY, "{}", 0);
    ot_expect_error(&r, 404, "Not Found", "images path");
    ec_result_free(&r);
    orr_emulator_stop(emu);
}

Test(faults, rate_limit_429_in_openrouter_shape_for_count_requests)
{
    orr_emulator *emu = ot_start();
    push(emu, EMU_FAULT_429, OT_COMPLETIONS, 2, 3);
    for (int i = 0; i < 2; i++) {
        ec_result r = gen(emu, 0);
        ot_expect_error(&r, 429, "Provider returned error", "429");
        char *ra = ec_header(&r, "Retry-After");
        cr_expect_str_eq(ra ? ra : "(none)", "3");
        free(ra);
        const cJSON *md = ot_err_metadata(&r);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(md, "provider_name")),
                         "Google");
        cr_expect(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(md, "raw")),
                         "google/gemini-2.5-flash-image is temporarily rate-limited"));
        ec_result_free(&r);
    }
    expect_ok(emu, "after the fault's count");
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 1);
    orr_emulator_stop(emu);
}

Test(faults, server_errors_502_503_500_and_expired_as_408)
{
    orr_emulator *emu = ot_start();
    push(emu, EMU_FAULT_502, OT_COMPLETIONS, 1, 0);
    push(emu, EMU_FAULT_503, OT_COMPLETIONS, 1, 5);
    push(emu, EMU_FAULT_500, OT_COMPLETIONS, 1, 0);
    push(emu, EMU_FAULT_EXPIRED, OT_COMPLETIONS, 1, 0);
    ec_result r = gen(emu, 0);
    ot_expect_error(&r, 502, "Provider returned error", "502");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(ot_err_metadata(&r),
                                                              "provider_name")), "Google");
    ec_result_free(&r);
    r = gen(emu, 0);
    ot_expect_error(&r, 503, "No available provider", "503");
    char *ra = ec_header(&r, "Retry-After");
    cr_expect_str_eq(ra ? ra : "(none)", "5");
    free(ra);
    ec_result_free(&r);
    r = gen(emu, 0);
    ot_expect_error(&r, 500, "Internal Server Error", "500");
    ec_result_free(&r);
    r = gen(emu, 0);
    ot_expect_error(&r, 408, "timed out", "expired -> 408");
    ec_result_free(&r);
    expect_ok(emu, "after the faults");
    orr_emulator_stop(emu);
}

Test(faults, moderation_403_carries_the_documented_metadata)
{
    orr_emulator *emu = ot_start();
    push(emu, EMU_FAULT_MODERATION, NULL, 2, 0);
    ec_result r = gen(emu, 0);
    ot_expect_error(&r, 403, "requires moderation on Google", "moderation");
    const cJSON *md = ot_err_metadata(&r);
    cr_assert(cJSON_IsObject(md));
    cr_expect(cJSON_IsString(cJSON_GetArrayItem(cJSON_GetObjectItem(md, "reasons"), 0)));
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(md, "flagged_input")),
                     "a small red cube");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(md, "provider_name")), "Google");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(md, "model_slug")),
                     "google/gemini-2.5-flash-image");
    ec_result_free(&r);
    /* A long prompt is cut to 100 characters around "...". */
    char prompt[301], *body;
    for (int i = 0; i < 300; i++)
        prompt[i] = (char)('a' + i % 26);
    prompt[300] = 0;
    body = ot_body("openai/gpt-5-image-mini", "[\"image\",\"text\"]", prompt, "");
    r = ot_post(emu, body);
    free(body);
    ot_expect_error(&r, 403, "openai/gpt-5-image-mini requires moderation on OpenAI",
                    "moderation");
    const char *flagged = cJSON_GetStringValue(cJSON_GetObjectItem(ot_err_metadata(&r),
                                                                   "flagged_input"));
    cr_assert_not_null(flagged);
    cr_expect_eq(strlen(flagged), 100, "flagged_input %zu chars", strlen(flagged));
    cr_expect(strstr(flagged, "..."));
    cr_expect(!strncmp(flagged, prompt, 40) && !strcmp(flagged + 100 - 40, prompt + 260));
    ec_result_free(&r);
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 0);
    orr_emulator_stop(emu);
}

Test(faults, timeout_holds_until_the_client_gives_up)
{
    orr_emulator *emu = ot_start();
    push(emu, EMU_FAULT_TIMEOUT, OT_COMPLETIONS, 1, 0);
    ec_result r = gen(emu, 300);
    cr_expect_eq(r.curl_code, CURLE_OPERATION_TIMEDOUT, "curl %d", r.curl_code);
    ec_result_free(&r);
    cr_expect_eq(emu_request_count(orr_emulator_server(emu), OT_COMPLETIONS), 1);
    emu_fault slow = {.kind = EMU_FAULT_TIMEOUT, .path = OT_COMPLETIONS, .delay_ms = 50};
    cr_assert_eq(emu_fault_push(orr_emulator_server(emu), &slow), 0);
    expect_ok(emu, "a slow answer");
    orr_emulator_stop(emu);
}

Test(faults, reset_truncate_and_malformed)
{
    orr_emulator *emu = ot_start();
    push(emu, EMU_FAULT_RESET, OT_COMPLETIONS, 1, 0);
    push(emu, EMU_FAULT_TRUNCATE, OT_COMPLETIONS, 1, 0);
    push(emu, EMU_FAULT_MALFORMED, OT_COMPLETIONS, 1, 0);
    ec_result r = gen(emu, 0);
    cr_expect(r.curl_code == CURLE_GOT_NOTHING || r.curl_code == CURLE_RECV_ERROR,
              "reset gave curl %d", r.curl_code);
    ec_result_free(&r);
    r = gen(emu, 0);
    cr_expect(r.curl_code == CURLE_PARTIAL_FILE || r.curl_code == CURLE_RECV_ERROR,
              "truncate gave curl %d", r.curl_code);
    ec_result_free(&r);
    r = gen(emu, 0);
    cr_expect_eq(r.curl_code, CURLE_OK);
    cr_expect_eq(r.status, 200);
    cr_expect_null(r.json, "malformed answer parsed: %s", r.body);
    ec_result_free(&r);
    cJSON *log = emu_request_log(orr_emulator_server(emu));
    const char *faults[] = {"reset", "truncate", "malformed"};
    for (int i = 0; i < 3; i++)
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(log, i),
                                                                  "fault")), faults[i]);
    cJSON_Delete(log);
    orr_emulator_stop(emu);
}

Test(hooks, error_inside_http_200_for_count_requests)
{
    orr_emulator *emu = ot_start();
    orr_emulator_error_in_200(emu, 2, 502, "Upstream error from Google: internal error");
    for (int i = 0; i < 2; i++) {
        ec_result r = gen(emu, 0);
        cr_expect_eq(r.status, 200);
        const cJSON *err = cJSON_GetObjectItem(r.json, "error");
        cr_assert(cJSON_IsObject(err), "%s", r.body);
        cr_expect_eq(cJSON_GetObjectItem(err, "code")->valueint, 502);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(err, "message")),
                         "Upstream error from Google: internal error");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(
                             cJSON_GetObjectItem(err, "metadata"), "provider_name")), "Google");
        cr_expect_null(cJSON_GetObjectItem(r.json, "choices"));
        ec_result_free(&r);
    }
    expect_ok(emu, "after the hook");
    /* count 0 disarms */
    orr_emulator_error_in_200(emu, 5, 502, "x");
    orr_emulator_error_in_200(emu, 0, 502, "x");
    expect_ok(emu, "disarmed");
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 2);
    orr_emulator_stop(emu);
}

Test(hooks, text_only_and_choice_error_answers)
{
    orr_emulator *emu = ot_start();
    orr_emulator_text_only_next(emu, 1);
    ec_result r = gen(emu, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    const cJSON *msg = ot_message(&r);
    cr_expect_null(cJSON_GetObjectItem(msg, "images"));
    cr_expect(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "content")), "can't create"));
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(
                         cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "choices"), 0),
                         "finish_reason")), "stop");
    ec_result_free(&r);
    orr_emulator_choice_error_next(emu, 1, 502, "Provider disconnected");
    r = gen(emu, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "choices"), 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(choice, "finish_reason")), "error");
    const cJSON *err = cJSON_GetObjectItem(choice, "error");
    cr_expect_eq(cJSON_GetObjectItem(err, "code")->valueint, 502);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(err, "message")),
                     "Provider disconnected");
    cr_expect_null(cJSON_GetObjectItem(ot_message(&r), "images"));
    ec_result_free(&r);
    expect_ok(emu, "after the hooks");
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 1);
    orr_emulator_stop(emu);
}

Test(hooks, fail_next_and_no_credits)
{
    orr_emulator *emu = ot_start();
    orr_emulator_fail_next(emu, 1, 408);
    ec_result r = gen(emu, 0);
    ot_expect_error(&r, 408, "timed out", "408");
    ec_result_free(&r);
    orr_emulator_fail_next(emu, 1, 429);
    r = gen(emu, 0);
    ot_expect_error(&r, 429, "Provider returned error", "429 hook");
    char *ra = ec_header(&r, "Retry-After");
    cr_expect_str_eq(ra ? ra : "(none)", "1");
    free(ra);
    ec_result_free(&r);
    orr_emulator_fail_next(emu, 1, 403);
    r = gen(emu, 0);
    ot_expect_error(&r, 403, "requires moderation", "403 hook");
    ec_result_free(&r);
    orr_emulator_no_credits(emu, true);
    for (int i = 0; i < 2; i++) {
        r = gen(emu, 0);
        ot_expect_error(&r, 402, "Insufficient credits", "402");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(ot_err_metadata(&r),
                                                                  "limit_source")),
                         "openrouter_credits");
        ec_result_free(&r);
    }
    /* Invalid requests are still 400s and do not use up the hooks. */
    orr_emulator_no_credits(emu, false);
    orr_emulator_text_only_next(emu, 1);
    r = ot_post(emu, "{\"model\":\"nope/nope\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    ot_expect_error(&r, 400, "not a valid model ID", "bad model");
    ec_result_free(&r);
    r = gen(emu, 0);
    cr_expect_null(cJSON_GetObjectItem(ot_message(&r), "images"), "text_only was used up");
    ec_result_free(&r);
    expect_ok(emu, "after the hooks");
    cr_expect_eq(orr_emulator_images_made(emu, NULL), 1);
    orr_emulator_stop(emu);
}

Test(control, faults_and_log_over_http)
{
    orr_emulator *emu = ot_start();
    char url[256];
    snprintf(url, sizeof url, "%s/__emulator/faults", emu_server_url(orr_emulator_server(emu)));
    ec_result c = ec_post_json(url, NULL, "{\"path\":\"" OT_COMPLETIONS "\",\"fault\":"
                               "\"moderation\",\"count\":1}", 0);
    cr_expect_eq(c.status, 200, "%s", c.body);
    ec_result_free(&c);
    ec_result r = gen(emu, 0);
    ot_expect_error(&r, 403, "requires moderation", "moderation over HTTP");
    ec_result_free(&r);
    snprintf(url, sizeof url, "%s/__emulator/requests", emu_server_url(orr_emulator_server(emu)));
    c = ec_get(url, NULL, 0);
    cr_assert(cJSON_IsArray(c.json));
    cr_expect_eq(cJSON_GetArraySize(c.json), 1, "control requests are not logged");
    const cJSON *e = cJSON_GetArrayItem(c.json, 0);
    cr_expect_str_eq(cJSON_GetObjectItem(e, "fault")->valuestring, "moderation");
    cr_expect_eq(cJSON_GetObjectItem(e, "status")->valueint, 403);
    ec_result_free(&c);
    orr_emulator_stop(emu);
}

Test(lifecycle, stop_with_a_held_request_returns_promptly)
{
    orr_emulator *emu = ot_start();
    push(emu, EMU_FAULT_TIMEOUT, OT_COMPLETIONS, 1, 0);
    const char *headers[] = {"Authorization: Bearer " OT_KEY, NULL};
    ec_call call = {.method = "POST", .url = ot_url(emu, "/chat/completions"),
                    .headers = headers, .body = CHEAP};
    emu_held held;
    cr_assert_eq(emu_held_start(&held, orr_emulator_server(emu), OT_COMPLETIONS, &call), 0);
    long long t0 = emu_now_ms();
    orr_emulator_stop(emu);
    long long took = emu_now_ms() - t0;
    ec_result result = emu_held_finish(&held);
    cr_expect_lt(took, 10000, "stop took %lld ms", took);
    cr_expect_neq(result.curl_code, CURLE_OK, "the held request got an answer");
    ec_result_free(&result);
}

Test(playground, binary_serves_and_exits_on_sigterm)
{
    playground_process p = pp_start(IG_TEST_BINARY_DIR "/emulators/openrouter-emulator", "sk-or-play");
    char url[400];
    snprintf(url, sizeof url, "%s/chat/completions", p.base_url);
    ec_result r = ec_post_json(url, "sk-or-play", CHEAP, 0);
    cr_expect_eq(r.status, 200, "%.300s", r.body);
    ec_result_free(&r);
    pp_stop(&p);
}
