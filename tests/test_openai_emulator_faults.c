/*
 * test_openai_emulator_faults.c - auth, the fault queue (C API and HTTP
 * control paths), the request log, several emulators at once, stopping with
 * a held request, and the playground binary.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/playground_process.h"
#include "emulators/emu_held.h"
#include "emulators/emu_test_util.h"

#define GEN "/v1/images/generations"
#define CHEAP "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"size\":\"64x64\"}"
#define CHEAP_DALLE "{\"model\":\"dall-e-2\",\"prompt\":\"p\",\"size\":\"256x256\"}"

/* Queues a fault through the C API. */
static void push(oai_emulator *emu, emu_fault_kind kind, const char *path, int count)
{
    emu_fault f = {.kind = kind, .path = path, .count = count, .retry_after = 2};
    cr_assert_eq(emu_fault_push(oai_emulator_server(emu), &f), 0);
}

/* A cheap generation request. */
static ec_result gen(oai_emulator *emu, const char *body, long timeout_ms)
{
    return ec_post_json(et_url(emu, "/images/generations"), ET_KEY, body, timeout_ms);
}

Test(auth, missing_or_wrong_key_is_401_and_never_logged)
{
    oai_emulator *emu = et_start();
    ec_result r = ec_post_json(et_url(emu, "/images/generations"), NULL, CHEAP, 0);
    cr_expect_eq(r.status, 401);
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "error"), "type")->valuestring,
                     "invalid_request_error");
    cr_expect_str_eq(et_err_param(&r), "");
    ec_result_free(&r);
    r = ec_post_json(et_url(emu, "/images/generations"), "sk-wrong-secret-key-999", CHEAP, 0);
    cr_expect_eq(r.status, 401);
    cr_expect_str_eq(et_err_code(&r), "invalid_api_key");
    cr_expect_null(strstr(r.body, "sk-wrong-secret-key-999"), "the key is echoed in full");
    ec_result_free(&r);
    r = gen(emu, CHEAP, 0);
    cr_expect_eq(r.status, 200);
    ec_result_free(&r);
    cJSON *log = emu_request_log(oai_emulator_server(emu));
    char *text = cJSON_PrintUnformatted(log);
    cr_expect_null(strstr(text, ET_KEY), "the log holds the key");
    cr_expect_null(strstr(text, "sk-wrong"), "the log holds a presented key");
    const char *want[] = {"absent", "mismatched", "matched"};
    const int status[] = {401, 401, 200};
    cr_assert_eq(cJSON_GetArraySize(log), 3);
    for (int i = 0; i < 3; i++) {
        const cJSON *e = cJSON_GetArrayItem(log, i);
        cr_expect_str_eq(cJSON_GetObjectItem(e, "auth")->valuestring, want[i]);
        cr_expect_eq(cJSON_GetObjectItem(e, "status")->valueint, status[i]);
        cr_expect_str_eq(cJSON_GetObjectItem(e, "method")->valuestring, "POST");
        cr_expect_str_eq(cJSON_GetObjectItem(e, "path")->valuestring, GEN);
        cr_expect_eq(cJSON_GetObjectItem(e, "bodySize")->valueint, (int)strlen(CHEAP));
        cr_expect_str_eq(cJSON_GetObjectItem(e, "userAgent")->valuestring, "emu-client/1");
    }
    free(text);
    cJSON_Delete(log);
    cr_expect_eq(oai_emulator_images_made(emu, NULL), 1);
    oai_emulator_stop(emu);
}

Test(routes, unknown_paths_and_methods_are_404)
{
    oai_emulator *emu = et_start();
    ec_result r = ec_get(et_url(emu, "/images/generations"), ET_KEY, 0);
    cr_expect_eq(r.status, 404);
    cr_expect(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "error"), "message")->valuestring,
                     "Invalid URL (GET /v1/images/generations)"));
    ec_result_free(&r);
    r = ec_post_json(et_url(emu, "/images/upscales"), ET_KEY, "{}", 0);
    cr_expect_eq(r.status, 404);
    ec_result_free(&r);
    r = ec_get(et_url(emu, "/__files/img-999999.png"), NULL, 0);
    cr_expect_eq(r.status, 404);
    ec_result_free(&r);
    oai_emulator_stop(emu);
}

Test(faults, rate_limit_429_with_headers_for_count_requests)
{
    oai_emulator *emu = et_start();
    push(emu, EMU_FAULT_429, GEN, 2);
    for (int i = 0; i < 2; i++) {
        ec_result r = gen(emu, CHEAP, 0);
        cr_expect_eq(r.status, 429);
        cr_expect_str_eq(et_err_code(&r), "rate_limit_exceeded");
        char *ra = ec_header(&r, "Retry-After");
        char *rem = ec_header(&r, "x-ratelimit-remaining-requests");
        char *reset = ec_header(&r, "x-ratelimit-reset-requests");
        cr_expect_str_eq(ra, "2");
        cr_expect_str_eq(rem, "0");
        cr_expect_str_eq(reset, "2s");
        free(ra), free(rem), free(reset);
        ec_result_free(&r);
    }
    ec_result r = gen(emu, CHEAP, 0);
    cr_expect_eq(r.status, 200, "the fault outlived its count");
    ec_result_free(&r);
    cr_expect_eq(oai_emulator_images_made(emu, NULL), 1);
    oai_emulator_stop(emu);
}

Test(faults, server_errors_in_openai_shape_only_on_their_path)
{
    oai_emulator *emu = et_start();
    push(emu, EMU_FAULT_500, GEN, 1);
    push(emu, EMU_FAULT_502, GEN, 1);
    push(emu, EMU_FAULT_503, "/v1/images/edits", 1);
    const long want[] = {500, 502};
    for (int i = 0; i < 2; i++) {
        ec_result r = gen(emu, CHEAP, 0);
        cr_expect_eq(r.status, want[i]);
        cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "error"), "type")->valuestring,
                         "server_error");
        ec_result_free(&r);
    }
    ec_result r = gen(emu, CHEAP, 0);
    cr_expect_eq(r.status, 200, "the edits fault hit generations");
    ec_result_free(&r);
    r = ec_post_json(et_url(emu, "/images/edits"), ET_KEY, "{}", 0);
    cr_expect_eq(r.status, 503);
    ec_result_free(&r);
    oai_emulator_stop(emu);
}

Test(faults, timeout_holds_until_the_client_gives_up)
{
    oai_emulator *emu = et_start();
    push(emu, EMU_FAULT_TIMEOUT, GEN, 1);
    ec_result r = gen(emu, CHEAP, 300);
    cr_expect_eq(r.curl_code, CURLE_OPERATION_TIMEDOUT, "curl %d", r.curl_code);
    ec_result_free(&r);
    cr_expect_eq(emu_request_count(oai_emulator_server(emu), GEN), 1);
    /* A timeout with a delay answers normally afterwards (a slow response). */
    emu_fault slow = {.kind = EMU_FAULT_TIMEOUT, .path = GEN, .delay_ms = 50};
    emu_fault_push(oai_emulator_server(emu), &slow);
    r = gen(emu, CHEAP, 0);
    cr_expect_eq(r.status, 200);
    ec_result_free(&r);
    oai_emulator_stop(emu);
}

Test(faults, reset_truncate_and_malformed)
{
    oai_emulator *emu = et_start();
    push(emu, EMU_FAULT_RESET, GEN, 1);
    push(emu, EMU_FAULT_TRUNCATE, GEN, 1);
    push(emu, EMU_FAULT_MALFORMED, GEN, 1);
    ec_result r = gen(emu, CHEAP, 0);
    cr_expect(r.curl_code == CURLE_GOT_NOTHING || r.curl_code == CURLE_RECV_ERROR,
              "reset gave curl %d", r.curl_code);
    ec_result_free(&r);
    r = gen(emu, CHEAP, 0);
    cr_expect(r.curl_code == CURLE_PARTIAL_FILE || r.curl_code == CURLE_RECV_ERROR,
              "truncate gave curl %d", r.curl_code);
    ec_result_free(&r);
    r = gen(emu, CHEAP, 0);
    cr_expect_eq(r.curl_code, CURLE_OK);
    cr_expect_eq(r.status, 200);
    cr_expect_null(r.json, "malformed answer parsed: %s", r.body);
    ec_result_free(&r);
    cJSON *log = emu_request_log(oai_emulator_server(emu));
    const char *faults[] = {"reset", "truncate", "malformed"};
    for (int i = 0; i < 3; i++)
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(log, i),
                                                                  "fault")), faults[i]);
    cJSON_Delete(log);
    oai_emulator_stop(emu);
}

Test(faults, moderation_code_per_model_family)
{
    oai_emulator *emu = et_start();
    push(emu, EMU_FAULT_MODERATION, NULL, 3);
    ec_result r = gen(emu, CHEAP, 0);
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(et_err_code(&r), "moderation_blocked");
    ec_result_free(&r);
    r = gen(emu, CHEAP_DALLE, 0);
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(et_err_code(&r), "content_policy_violation");
    ec_result_free(&r);
    ec_part parts[] = {{.name = "prompt", .value = "p"}, {.name = "model", .value = "dall-e-2"}};
    r = ec_post_form(et_url(emu, "/images/edits"), ET_KEY, parts, 2, 0);
    cr_expect_str_eq(et_err_code(&r), "content_policy_violation");
    ec_result_free(&r);
    oai_emulator_stop(emu);
}

Test(faults, expired_result_url)
{
    oai_emulator *emu = et_start();
    ec_result r = gen(emu, CHEAP_DALLE, 0);
    cr_assert_eq(r.status, 200);
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "data"), 0), "url"));
    push(emu, EMU_FAULT_EXPIRED, "/v1/__files", 1);
    ec_result got = ec_get(url, NULL, 0);
    cr_expect(got.status == 403 || got.status == 404, "status %ld", got.status);
    cr_expect(strstr(got.body, "AuthenticationFailed"));
    ec_result_free(&got);
    got = ec_get(url, NULL, 0);
    cr_expect_eq(got.status, 200);
    ec_result_free(&got);
    ec_result_free(&r);
    oai_emulator_stop(emu);
}

Test(control, faults_and_log_over_http)
{
    oai_emulator *emu = et_start();
    char url[256];
    snprintf(url, sizeof url, "%s/__emulator/faults", emu_server_url(oai_emulator_server(emu)));
    ec_result c = ec_post_json(url, NULL,
                               "{\"path\":\"" GEN "\",\"fault\":\"429\",\"count\":1,"
                               "\"retryAfter\":7}", 0);
    cr_expect_eq(c.status, 200, "%s", c.body);
    ec_result_free(&c);
    c = ec_post_json(url, NULL, "{\"fault\":\"explode\"}", 0);
    cr_expect_eq(c.status, 400);
    ec_result_free(&c);
    ec_result r = gen(emu, CHEAP, 0);
    cr_expect_eq(r.status, 429);
    char *ra = ec_header(&r, "Retry-After");
    cr_expect_str_eq(ra, "7");
    free(ra);
    ec_result_free(&r);
    snprintf(url, sizeof url, "%s/__emulator/requests", emu_server_url(oai_emulator_server(emu)));
    c = ec_get(url, NULL, 0);
    cr_assert_eq(c.status, 200);
    cr_assert(cJSON_IsArray(c.json));
    cr_expect_eq(cJSON_GetArraySize(c.json), 1, "control requests are not logged");
    const cJSON *e = cJSON_GetArrayItem(c.json, 0);
    cr_expect_str_eq(cJSON_GetObjectItem(e, "fault")->valuestring, "429");
    cr_expect_eq(cJSON_GetObjectItem(e, "status")->valueint, 429);
    ec_result_free(&c);
    c = ec_request("DELETE", url, NULL, NULL, 0);
    cr_expect_eq(c.status, 200);
    ec_result_free(&c);
    cr_expect_eq(emu_request_count(oai_emulator_server(emu), NULL), 0);
    oai_emulator_stop(emu);
}

Test(lifecycle, two_emulators_at_once)
{
    oai_emulator *a = et_start(), *b = et_start();
    cr_expect_neq(emu_server_port(oai_emulator_server(a)), emu_server_port(oai_emulator_server(b)));
    push(a, EMU_FAULT_500, NULL, 1);
    ec_result ra = gen(a, CHEAP, 0), rb = gen(b, CHEAP, 0);
    cr_expect_eq(ra.status, 500);
    cr_expect_eq(rb.status, 200);
    cr_expect_eq(emu_request_count(oai_emulator_server(a), GEN), 1);
    cr_expect_eq(emu_request_count(oai_emulator_server(b), GEN), 1);
    cr_expect_eq(oai_emulator_images_made(a, NULL), 0);
    cr_expect_eq(oai_emulator_images_made(b, NULL), 1);
    ec_result_free(&ra), ec_result_free(&rb);
    oai_emulator_stop(a);
    oai_emulator_stop(b);
}

Test(lifecycle, stop_with_a_held_request_returns_promptly)
{
    oai_emulator *emu = et_start();
    push(emu, EMU_FAULT_TIMEOUT, GEN, 1);
    const char *headers[] = {"Authorization: Bearer " ET_KEY, NULL};
    ec_call call = {.method = "POST", .url = et_url(emu, "/images/generations"),
                    .headers = headers, .body = CHEAP};
    emu_held held;
    cr_assert_eq(emu_held_start(&held, oai_emulator_server(emu), GEN, &call), 0);
    long long t0 = emu_now_ms();
    oai_emulator_stop(emu);
    long long took = emu_now_ms() - t0;
    ec_result result = emu_held_finish(&held);
    cr_expect_lt(took, 10000, "stop took %lld ms", took);
    cr_expect_neq(result.curl_code, CURLE_OK, "the held request got an answer");
    ec_result_free(&result);
}

Test(playground, binary_serves_and_exits_on_sigterm)
{
    playground_process p = pp_start(IG_TEST_BINARY_DIR "/emulators/openai-emulator", "sk-play");
    char url[400];
    snprintf(url, sizeof url, "%s/images/generations", p.base_url);
    ec_result r = ec_post_json(url, "sk-play", CHEAP, 0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    ec_result_free(&r);
    pp_stop(&p);
}
