/* test_http_client.c - the pooled provider HTTP client: methods, bodies,
 * statuses, response headers, sinks and the size cap. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "providers/transport/http_client_internal.h"
#include "providers/transport/http_fetch.h"
#include "test_http_client_fixture.h"

/* ---- methods, headers, bodies ---------------------------------------- */

Test(http_client, get_carries_user_agent_and_headers)
{
    const char *headers[] = {"Authorization: Bearer tok-123", "X-Custom: yes", NULL};
    ig_http_request req = {.method = "GET", .headers = headers};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/echo", &res, &err), 0, "%s", err.message);
    cJSON *doc = echo_of(&res);
    cr_assert_str_eq(str_at(doc, "method"), "GET");
    cr_assert_str_eq(str_at(doc, "path"), "/echo");
    cr_assert_str_eq(header_of(doc, "user-agent"), ig_user_agent());
    cr_assert_str_eq(header_of(doc, "authorization"), "Bearer tok-123");
    cr_assert_str_eq(header_of(doc, "x-custom"), "yes");
    cr_assert_null(header_of(doc, "expect"));
    cr_assert_null(header_of(doc, "accept-encoding"));
    cr_assert_eq(num_at(doc, "body_size"), 0);
    cr_assert_str_eq(res.content_type, "application/json");
    cr_assert_eq(res.size, strlen(res.body));
    cr_assert(res.elapsed_ms > 0);
    cJSON_Delete(doc);
    ig_http_response_free(&res);
}

Test(http_client, post_json_body_arrives)
{
    static const char json[] = "{\"prompt\":\"a cat in a hat\",\"n\":1}";
    const char *headers[] = {"Content-Type: application/json", NULL};
    ig_http_request req = {.method = "POST", .headers = headers, .body = json,
                           .body_size = sizeof json - 1};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/echo", &res, &err), 0, "%s", err.message);
    cJSON *doc = echo_of(&res);
    cr_assert_str_eq(str_at(doc, "method"), "POST");
    cr_assert_str_eq(str_at(doc, "body"), json);
    cr_assert_str_eq(header_of(doc, "content-type"), "application/json");
    cr_assert_null(header_of(doc, "expect"));
    cJSON_Delete(doc);
    ig_http_response_free(&res);
}

Test(http_client, large_post_sends_no_expect_100_continue)
{
    size_t n = 2 * 1024 * 1024;
    char *body = malloc(n);
    cr_assert_not_null(body);
    memset(body, 'a', n);
    body[0] = '"', body[n - 1] = '"';
    const char *headers[] = {"Content-Type: application/json", NULL};
    ig_http_request req = {.method = "POST", .headers = headers, .body = body,
                           .body_size = n};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/echo", &res, &err), 0, "%s", err.message);
    cJSON *doc = echo_of(&res);
    cr_assert_eq(num_at(doc, "body_size"), (double)n);
    cr_assert_null(header_of(doc, "expect"));
    cJSON_Delete(doc);
    ig_http_response_free(&res);
    free(body);
}

Test(http_client, put_and_delete_use_their_methods)
{
    static const char json[] = "{\"x\":1}";
    ig_http_request put = {.method = "PUT", .body = json, .body_size = sizeof json - 1};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&put, "/echo", &res, &err), 0, "%s", err.message);
    cJSON *doc = echo_of(&res);
    cr_assert_str_eq(str_at(doc, "method"), "PUT");
    cr_assert_str_eq(str_at(doc, "body"), json);
    cJSON_Delete(doc);
    ig_http_response_free(&res);

    ig_http_request del = {.method = "DELETE"};
    cr_assert_eq(perform(&del, "/echo", &res, &err), 0, "%s", err.message);
    doc = echo_of(&res);
    cr_assert_str_eq(str_at(doc, "method"), "DELETE");
    cr_assert_eq(num_at(doc, "body_size"), 0);
    cJSON_Delete(doc);
    ig_http_response_free(&res);
}

/* Checks one echoed multipart part. */
static void expect_part(const cJSON *parts, int i, const char *name, const char *filename,
                        const char *type, size_t size)
{
    const cJSON *p = cJSON_GetArrayItem(parts, i);
    cr_assert_not_null(p, "part %d missing", i);
    cr_assert_str_eq(str_at(p, "name"), name);
    if (filename)
        cr_assert_str_eq(str_at(p, "filename"), filename);
    else
        cr_assert_null(str_at(p, "filename"));
    if (type)
        cr_assert_str_eq(str_at(p, "content_type"), type);
    cr_assert_eq(num_at(p, "size"), (double)size, "part %s: %g bytes, expected %zu",
                 name, num_at(p, "size"), size);
}

Test(http_client, multipart_parts_arrive_exactly)
{
    size_t image_size = 3 * 1024 * 1024 + 17, mask_size = 1500;
    unsigned char *image = malloc(image_size), *mask = malloc(mask_size);
    cr_assert(image && mask);
    for (size_t i = 0; i < image_size; i++) /* binary, with CR LF and dashes */
        image[i] = (unsigned char)("\r\n--\0\xff" "abc"[i % 9]);
    memset(mask, 0, mask_size);
    ig_http_part parts[] = {
        {.name = "prompt", .value = "a cat"},
        {.name = "image", .data = image, .size = image_size, .filename = "cat.png",
         .content_type = "image/png"},
        {.name = "mask", .data = mask, .size = mask_size, .filename = "mask.webp",
         .content_type = "image/webp"},
        {.name = "model", .value = "gpt-image-1"},
    };
    ig_http_request req = {.method = "POST", .parts = parts, .n_parts = 4};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/echo", &res, &err), 0, "%s", err.message);
    cJSON *doc = echo_of(&res);
    cr_assert_str_eq(str_at(doc, "method"), "POST");
    cr_assert(!strncmp(header_of(doc, "content-type"), "multipart/form-data; boundary=", 30));
    cr_assert_null(header_of(doc, "expect"));
    const cJSON *got = cJSON_GetObjectItemCaseSensitive(doc, "parts");
    cr_assert_eq(cJSON_GetArraySize(got), 4, "%s", res.body);
    expect_part(got, 0, "prompt", NULL, NULL, 5);
    expect_part(got, 1, "image", "cat.png", "image/png", image_size);
    expect_part(got, 2, "mask", "mask.webp", "image/webp", mask_size);
    expect_part(got, 3, "model", NULL, NULL, strlen("gpt-image-1"));
    cJSON_Delete(doc);
    ig_http_response_free(&res);
    free(image);
    free(mask);
}

/* ---- statuses and response headers ------------------------------------ */

Test(http_client, every_status_is_a_response)
{
    struct { const char *path; long status; const char *body; } cases[] = {
        {"/ok", 200, "hello"}, {"/bad", 400, bad_json},
        {"/limited", 429, limited_json}, {"/boom", 500, boom_json},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ig_http_request req = {.method = "GET"};
        ig_http_response res;
        ig_error err;
        cr_assert_eq(perform(&req, cases[i].path, &res, &err), 0, "%s: %s",
                     cases[i].path, err.message);
        cr_assert_eq(err.code, IG_OK);
        cr_assert_eq(res.status, cases[i].status);
        cr_assert_str_eq(res.body, cases[i].body);
        cr_assert_eq(res.size, strlen(cases[i].body));
        ig_http_response_free(&res);
    }
}

Test(http_client, response_headers_are_captured)
{
    ig_http_request req = {.method = "GET"};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/limited", &res, &err), 0);
    cr_assert_eq(res.retry_after_s, 7.0);
    cr_assert_str_eq(res.request_id, "rid-429");
    cr_assert_str_eq(res.content_type, "application/json");
    ig_http_response_free(&res);
    cr_assert_eq(perform(&req, "/ok", &res, &err), 0);
    cr_assert_eq(res.retry_after_s, -1.0);
    cr_assert_str_eq(res.request_id, "req-ok-1");
    cr_assert_str_eq(res.content_type, "text/plain");
    ig_http_response_free(&res);
}

Test(http_client, retry_after_as_http_date)
{
    char future[128], past[128], fhdr[160], phdr[160];
    time_t now = time(NULL), later = now + 120, before = now - 3600;
    struct tm tm;
    strftime(future, sizeof future, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&later, &tm));
    strftime(past, sizeof past, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&before, &tm));
    snprintf(fhdr, sizeof fhdr, "Retry-After: %s", future);
    snprintf(phdr, sizeof phdr, "Retry-After: %s", past);
    ts_route dated[] = {
        {.path = "/future", .behaviour = TS_RESPOND, .status = 503, .body = ""},
        {.path = "/past", .behaviour = TS_RESPOND, .status = 503, .body = ""},
    };
    ts_server *s2 = ts_server_start(dated, 2);
    ts_server_set_headers(s2, "/future", fhdr);
    ts_server_set_headers(s2, "/past", phdr);
    char u[128];
    ig_http_response res;
    ig_error err;
    ig_error_clear(&err);
    snprintf(u, sizeof u, "%s/future", ts_server_base_url(s2));
    ig_http_request req = {.method = "GET", .url = u};
    cr_assert_eq(ig_http_perform(http, &req, &res, &err), 0, "%s", err.message);
    cr_assert_eq(res.status, 503);
    cr_assert(res.retry_after_s > 100 && res.retry_after_s <= 121, "%g", res.retry_after_s);
    ig_http_response_free(&res);
    snprintf(u, sizeof u, "%s/past", ts_server_base_url(s2));
    cr_assert_eq(ig_http_perform(http, &req, &res, &err), 0, "%s", err.message);
    cr_assert_eq(res.retry_after_s, 0.0);
    ig_http_response_free(&res);
    ts_server_stop(s2);
}

Test(http_client, retry_after_parsing)
{
    cr_assert_eq(ig_http_parse_retry_after("30"), 30.0);
    cr_assert_eq(ig_http_parse_retry_after(" 2 "), 2.0);
    cr_assert_eq(ig_http_parse_retry_after("1.5"), 1.5);
    cr_assert_eq(ig_http_parse_retry_after("soon"), -1.0);
    cr_assert_eq(ig_http_parse_retry_after("12abc"), -1.0);
    cr_assert_eq(ig_http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), 0.0);
}

Test(http_client, error_bodies_keep_their_first_64k)
{
    ig_http_request req = {.method = "GET"};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/big-error", &res, &err), 0, "%s", err.message);
    cr_assert_eq(res.status, 500);
    cr_assert_eq(res.size, (size_t)64 * 1024);
    cr_assert(!memcmp(res.body, error_body, res.size));
    cr_assert_eq(res.body[res.size], '\0');
    ig_http_response_free(&res);
}

/* ---- streaming to a sink ---------------------------------------------- */

typedef struct collector {
    unsigned char *data;
    size_t size, cap;
    int chunks;
    int fail_after; /* return -1 on this chunk (1-based); 0 = never */
} collector;

static int collect(void *ctx, const void *data, size_t size, ig_error *err)
{
    collector *c = ctx;
    c->chunks++;
    if (c->fail_after && c->chunks >= c->fail_after)
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "sink says no");
    if (c->size + size > c->cap) {
        c->cap = (c->size + size) * 2;
        c->data = realloc(c->data, c->cap);
        cr_assert_not_null(c->data);
    }
    memcpy(c->data + c->size, data, size);
    c->size += size;
    return 0;
}

Test(http_client, sink_receives_exact_bytes_in_chunks)
{
    collector c = {0};
    ig_http_request req = {.method = "GET", .sink = collect, .sink_ctx = &c};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/big", &res, &err), 0, "%s", err.message);
    cr_assert_eq(res.status, 200);
    cr_assert_null(res.body, "2xx bodies go to the sink only");
    cr_assert_eq(c.size, sizeof big);
    cr_assert(!memcmp(c.data, big, sizeof big));
    cr_assert_gt(c.chunks, 1);
    ig_http_response_free(&res);

    c.size = 0, c.chunks = 0; /* chunked, no Content-Length */
    cr_assert_eq(perform(&req, "/stream", &res, &err), 0, "%s", err.message);
    cr_assert_eq(c.size, (size_t)BIG_SIZE);
    for (size_t i = 0; i < c.size; i++)
        if (c.data[i] != (unsigned char)(i * 31u))
            cr_assert_fail("byte %zu differs", i);
    cr_assert_gt(c.chunks, 1);
    ig_http_response_free(&res);
    free(c.data);
}

Test(http_client, sink_is_not_used_for_error_statuses)
{
    collector c = {0};
    ig_http_request req = {.method = "GET", .sink = collect, .sink_ctx = &c};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/bad", &res, &err), 0, "%s", err.message);
    cr_assert_eq(res.status, 400);
    cr_assert_eq(c.chunks, 0);
    cr_assert_str_eq(res.body, bad_json);
    ig_http_response_free(&res);
}

Test(http_client, sink_error_aborts_the_transfer)
{
    collector c = {.fail_after = 2};
    ig_http_request req = {.method = "GET", .sink = collect, .sink_ctx = &c};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/big", &res, &err), -1);
    cr_assert_eq(err.code, IG_ERR_PROVIDER_BAD_RESPONSE);
    cr_assert_str_eq(err.message, "sink says no");
    cr_assert_eq(c.chunks, 2, "no chunk after the failing one");
    ig_http_response_free(&res);
    free(c.data);
}

/* ---- size cap ----------------------------------------------------------- */

Test(http_client, size_cap_with_and_without_content_length)
{
    const char *paths[] = {"/cap-cl", "/cap-chunked"};
    for (int sink = 0; sink < 2; sink++)
        for (int i = 0; i < 2; i++) {
            collector c = {0};
            ig_http_request req = {.method = "GET", .max_response_bytes = 50000,
                                   .sink = sink ? collect : NULL, .sink_ctx = &c};
            ig_http_response res;
            ig_error err;
            cr_assert_eq(perform(&req, paths[i], &res, &err), -1, "%s", paths[i]);
            cr_assert_eq(err.code, IG_ERR_PROVIDER_RESPONSE_TOO_LARGE, "%s", err.message);
            cr_assert(!err.retryable);
            cr_assert(strstr(err.message, "50000"), "%s", err.message);
            if (i == 0) /* refused from Content-Length, before any byte */
                cr_assert_eq(c.chunks, 0);
            cr_assert_null(res.body);
            ig_http_response_free(&res);
            free(c.data);
        }
    ig_http_request exact = {.method = "GET", .max_response_bytes = 100000};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&exact, "/cap-chunked", &res, &err), 0, "%s", err.message);
    cr_assert_eq(res.size, 100000);
    ig_http_response_free(&res);
}
