/*
 * test_stability_emulator_faults.c - auth, routing, every fault kind in
 * Stability's error shapes, content filtering, the request log (never the
 * key), the HTTP control paths, stopping with a held request, and the
 * playground binary.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_held.h"
#include "support/playground_process.h"
#include "support/test_images.h"
#include "test_stability_emulator_util.h"

#define N(a) (sizeof(a) / sizeof *(a))
#define CORE ST_GEN "core"

static const ec_part cheap[] = {{.name = "prompt", .value = "p"},
                                {.name = "aspect_ratio", .value = "21:9"}};

/* A cheap generate/core request with ST_KEY. */
static ec_result gen(stab_emulator *emu, long timeout_ms)
{
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", ST_KEY);
    const char *h[] = {auth, "Accept: image/*", NULL};
    ec_call call = {.method = "POST", .url = st_url(emu, CORE), .headers = h, .parts = cheap,
                    .part_count = N(cheap), .timeout_ms = timeout_ms};
    return ec_send(&call);
}

/* Queues a fault through the C API. */
static void push(stab_emulator *emu, emu_fault_kind kind, const char *path, int count)
{
    emu_fault f = {.kind = kind, .path = path, .count = count, .retry_after = 2};
    cr_assert_eq(emu_fault_push(stab_emulator_server(emu), &f), 0);
}

/* POSTs cheap parts with an arbitrary Authorization line (NULL = none). */
static ec_result post_with_auth(stab_emulator *emu, const char *auth_line)
{
    const char *with[] = {auth_line, "Accept: image/*", NULL};
    const char *without[] = {"Accept: image/*", NULL};
    const char *const *h = auth_line ? with : without;
    ec_call call = {.method = "POST", .url = st_url(emu, CORE), .headers = h, .parts = cheap,
                    .part_count = N(cheap)};
    return ec_send(&call);
}

Test(auth, missing_or_wrong_key_is_401_and_never_echoed_or_logged)
{
    stab_emulator *emu = st_start();
    ec_result r = post_with_auth(emu, NULL);
    st_expect_error(&r, 401, "unauthorized", "authorization", "no key");
    ec_result_free(&r);
    r = post_with_auth(emu, "Authorization: Bearer sk-wrong-secret-key-999");
    st_expect_error(&r, 401, "unauthorized", "authorization", "wrong key");
    cr_expect_null(strstr(r.body, "sk-wrong"), "the presented key is echoed");
    ec_result_free(&r);
    r = post_with_auth(emu, "Authorization: " ST_KEY); /* no Bearer */
    cr_expect_eq(r.status, 401);
    ec_result_free(&r);
    r = gen(emu, 0);
    st_expect_image(&r, "png", 1536, 640, NULL);
    ec_result_free(&r);
    cJSON *log = emu_request_log(stab_emulator_server(emu));
    char *text = cJSON_PrintUnformatted(log);
    cr_expect_null(strstr(text, ST_KEY), "the log holds the key");
    cr_expect_null(strstr(text, "sk-wrong"), "the log holds a presented key");
    const char *want[] = {"absent", "mismatched", "mismatched", "matched"};
    const int status[] = {401, 401, 401, 200};
    cr_assert_eq(cJSON_GetArraySize(log), 4);
    for (int i = 0; i < 4; i++) {
        const cJSON *e = cJSON_GetArrayItem(log, i);
        cr_expect_str_eq(cJSON_GetObjectItem(e, "auth")->valuestring, want[i]);
        cr_expect_eq(cJSON_GetObjectItem(e, "status")->valueint, status[i]);
        cr_expect_str_eq(cJSON_GetObjectItem(e, "path")->valuestring, CORE);
        cr_expect_str_eq(cJSON_GetObjectItem(e, "accept")->valuestring, "image/*");
        const cJSON *parts = cJSON_GetObjectItem(e, "parts");
        cr_expect_eq(cJSON_GetArraySize(parts), 2);
        cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 0), "name")->valuestring,
                         "prompt");
    }
    free(text);
    cJSON_Delete(log);
    cr_expect_eq(stab_emulator_images_made(emu, NULL), 1);
    stab_emulator_stop(emu);
}

Test(routes, unknown_paths_and_methods_are_404)
{
    stab_emulator *emu = st_start();
    ec_result r = st_post(emu, ST_GEN "sdxl", "image/*", cheap, N(cheap));
    st_expect_error(&r, 404, "not_found", NULL, "unknown endpoint");
    ec_result_free(&r);
    r = st_get(emu, CORE, "image/*");
    st_expect_error(&r, 404, "not_found", NULL, "GET of a POST endpoint");
    ec_result_free(&r);
    r = st_post(emu, "/v2beta/results/abc", "image/*", cheap, N(cheap));
    st_expect_error(&r, 404, "not_found", NULL, "POST to results");
    ec_result_free(&r);
    r = st_get(emu, "/v1/generation/x", NULL);
    st_expect_error(&r, 404, "not_found", NULL, "v1 path");
    ec_result_free(&r);
    stab_emulator_stop(emu);
}

Test(faults, rate_limit_429_with_retry_after_for_count_requests)
{
    stab_emulator *emu = st_start();
    push(emu, EMU_FAULT_429, CORE, 2);
    for (int i = 0; i < 2; i++) {
        ec_result r = gen(emu, 0);
        st_expect_error(&r, 429, "rate_limit_exceeded", NULL, "429");
        char *ra = ec_header(&r, "Retry-After");
        cr_expect_str_eq(ra ? ra : "(none)", "2");
        free(ra);
        ec_result_free(&r);
    }
    ec_result r = gen(emu, 0);
    cr_expect_eq(r.status, 200, "the fault outlived its count");
    ec_result_free(&r);
    cr_expect_eq(stab_emulator_images_made(emu, NULL), 1);
    stab_emulator_stop(emu);
}

Test(faults, server_errors_in_stability_shape_only_on_their_path)
{
    stab_emulator *emu = st_start();
    push(emu, EMU_FAULT_500, CORE, 1);
    push(emu, EMU_FAULT_502, CORE, 1);
    push(emu, EMU_FAULT_503, "/v2beta/stable-image/edit", 1); /* a prefix */
    const long want[] = {500, 502};
    const char *names[] = {"internal_error", "bad_gateway"};
    for (int i = 0; i < 2; i++) {
        ec_result r = gen(emu, 0);
        st_expect_error(&r, want[i], names[i], NULL, names[i]);
        ec_result_free(&r);
    }
    ec_result r = gen(emu, 0);
    cr_expect_eq(r.status, 200, "the edit fault hit generate");
    ec_result_free(&r);
    r = st_post(emu, ST_EDIT "erase", "image/*", cheap, N(cheap));
    st_expect_error(&r, 503, "service_unavailable", NULL, "503");
    ec_result_free(&r);
    stab_emulator_stop(emu);
}

Test(faults, moderation_is_403_content_moderation)
{
    stab_emulator *emu = st_start();
    push(emu, EMU_FAULT_MODERATION, NULL, 1);
    ec_result r = gen(emu, 0);
    st_expect_error(&r, 403, "content_moderation", NULL, "moderation");
    cr_expect(strstr(r.body, "not charged"), "%s", r.body);
    ec_result_free(&r);
    cr_expect_eq(stab_emulator_images_made(emu, NULL), 0);
    stab_emulator_stop(emu);
}

Test(faults, expired_result_is_404_once)
{
    stab_emulator *emu = st_start();
    stab_emulator_set_pending_polls(emu, 0);
    size_t n;
    unsigned char *img = ti_encode("png", 64, 64, 3, &n);
    ec_part parts[] = {st_file("image", img, n), {.name = "prompt", .value = "x"}};
    ec_result r = st_post(emu, ST_UPSCALE "creative", NULL, parts, N(parts));
    cr_assert_eq(r.status, 200, "%s", r.body);
    char path[160];
    snprintf(path, sizeof path, "/v2beta/results/%s",
             cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id")));
    ec_result_free(&r);
    free(img);
    push(emu, EMU_FAULT_EXPIRED, "/v2beta/results", 1);
    r = st_get(emu, path, "image/*");
    st_expect_error(&r, 404, "not_found", "id", "expired");
    ec_result_free(&r);
    r = st_get(emu, path, "image/*");
    st_expect_image(&r, "png", 2048, 2048, NULL);
    ec_result_free(&r);
    stab_emulator_stop(emu);
}

Test(faults, timeout_holds_until_the_client_gives_up)
{
    stab_emulator *emu = st_start();
    push(emu, EMU_FAULT_TIMEOUT, CORE, 1);
    ec_result r = gen(emu, 300);
    cr_expect_eq(r.curl_code, CURLE_OPERATION_TIMEDOUT, "curl %d", r.curl_code);
    ec_result_free(&r);
    emu_fault slow = {.kind = EMU_FAULT_TIMEOUT, .path = CORE, .delay_ms = 50};
    cr_assert_eq(emu_fault_push(stab_emulator_server(emu), &slow), 0);
    r = gen(emu, 0);
    cr_expect_eq(r.status, 200, "a delayed answer is still an answer");
    ec_result_free(&r);
    stab_emulator_stop(emu);
}

Test(faults, reset_truncate_and_malformed)
{
    stab_emulator *emu = st_start();
    push(emu, EMU_FAULT_RESET, CORE, 1);
    push(emu, EMU_FAULT_TRUNCATE, CORE, 1);
    push(emu, EMU_FAULT_MALFORMED, CORE, 1);
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
    cJSON *log = emu_request_log(stab_emulator_server(emu));
    const char *faults[] = {"reset", "truncate", "malformed"};
    for (int i = 0; i < 3; i++)
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(log, i),
                                                                  "fault")), faults[i]);
    cJSON_Delete(log);
    stab_emulator_stop(emu);
}

Test(filter, content_filtered_answers_are_blurred_images)
{
    stab_emulator *emu = st_start();
    ec_part seeded[] = {{.name = "prompt", .value = "p"}, {.name = "seed", .value = "5"}};
    ec_result clean = st_post(emu, CORE, "image/*", seeded, N(seeded));
    st_expect_image(&clean, "png", 1024, 1024, NULL);
    stab_emulator_filter_next(emu, 3);
    ec_result r = st_post(emu, CORE, "image/*", seeded, N(seeded));
    st_expect_image(&r, "png", 1024, 1024, "CONTENT_FILTERED");
    cr_expect_eq(st_seed_header(&r), 5);
    cr_expect(r.size != clean.size || memcmp(r.body, clean.body, r.size),
              "the filtered image is not blurred");
    ec_result_free(&r);
    r = st_post(emu, CORE, "application/json", seeded, N(seeded));
    cr_assert_eq(r.status, 200);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "finish_reason")),
                     "CONTENT_FILTERED");
    ec_result_free(&r);
    /* an async job takes the third one */
    size_t n;
    unsigned char *img = ti_encode("png", 64, 64, 3, &n);
    ec_part parts[] = {st_file("image", img, n), {.name = "prompt", .value = "x"}};
    stab_emulator_set_pending_polls(emu, 0);
    r = st_post(emu, ST_UPSCALE "creative", NULL, parts, N(parts));
    char path[160];
    snprintf(path, sizeof path, "/v2beta/results/%s",
             cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id")));
    ec_result_free(&r);
    free(img);
    r = st_get(emu, path, "image/*");
    st_expect_image(&r, "png", 2048, 2048, "CONTENT_FILTERED");
    ec_result_free(&r);
    r = st_post(emu, CORE, "image/*", seeded, N(seeded));
    st_expect_image(&r, "png", 1024, 1024, NULL);
    cr_expect(r.size == clean.size && !memcmp(r.body, clean.body, r.size));
    ec_result_free(&r);
    ec_result_free(&clean);
    stab_emulator_stop(emu);
}

Test(control, faults_and_log_over_http)
{
    stab_emulator *emu = st_start();
    char url[256];
    snprintf(url, sizeof url, "%s/__emulator/faults", stab_emulator_base_url(emu));
    ec_result c = ec_post_json(url, NULL,
                               "{\"path\":\"" CORE "\",\"fault\":\"429\",\"count\":1,"
                               "\"retryAfter\":7}", 0);
    cr_expect_eq(c.status, 200, "%s", c.body);
    ec_result_free(&c);
    ec_result r = gen(emu, 0);
    st_expect_error(&r, 429, "rate_limit_exceeded", NULL, "429 over HTTP");
    char *ra = ec_header(&r, "Retry-After");
    cr_expect_str_eq(ra ? ra : "(none)", "7");
    free(ra);
    ec_result_free(&r);
    snprintf(url, sizeof url, "%s/__emulator/requests", stab_emulator_base_url(emu));
    c = ec_get(url, NULL, 0);
    cr_assert(cJSON_IsArray(c.json));
    cr_expect_eq(cJSON_GetArraySize(c.json), 1, "control requests are not logged");
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(c.json, 0), "fault")->valuestring,
                     "429");
    ec_result_free(&c);
    c = ec_request("DELETE", url, NULL, NULL, 0);
    cr_expect_eq(c.status, 200);
    ec_result_free(&c);
    cr_expect_eq(emu_request_count(stab_emulator_server(emu), NULL), 0);
    stab_emulator_stop(emu);
}

Test(lifecycle, stop_with_a_held_request_returns_promptly)
{
    stab_emulator *emu = st_start();
    push(emu, EMU_FAULT_TIMEOUT, CORE, 1);
    const char *headers[] = {"Authorization: Bearer " ST_KEY, "Accept: image/*", NULL};
    ec_call call = {.method = "POST", .url = st_url(emu, CORE), .headers = headers,
                    .parts = cheap, .part_count = N(cheap)};
    emu_held held;
    cr_assert_eq(emu_held_start(&held, stab_emulator_server(emu), CORE, &call), 0);
    long long t0 = emu_now_ms();
    stab_emulator_stop(emu);
    long long took = emu_now_ms() - t0;
    ec_result result = emu_held_finish(&held);
    cr_expect_lt(took, 10000, "stop took %lld ms", took);
    cr_expect_neq(result.curl_code, CURLE_OK, "the held request got an answer");
    ec_result_free(&result);
}

Test(playground, binary_serves_and_exits_on_sigterm)
{
    playground_process p = pp_start(IG_TEST_BINARY_DIR "/emulators/stability-emulator", "sk-play");
    char url[400], auth[64];
    snprintf(url, sizeof url, "%s" CORE, p.base_url);
    snprintf(auth, sizeof auth, "Authorization: Bearer sk-play");
    const char *h[] = {auth, NULL};
    ec_call call = {.method = "POST", .url = url, .headers = h, .parts = cheap,
                    .part_count = N(cheap)};
    ec_result r = ec_send(&call);
    st_expect_image(&r, "png", 1536, 640, NULL);
    ec_result_free(&r);
    pp_stop(&p);
}
