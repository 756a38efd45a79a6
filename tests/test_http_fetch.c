/* test_http_fetch.c - the bounded, SSRF-guarded HTTP GET. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "providers/transport/http_fetch.h"
#include "support/test_http_server.h"

static const char body[] = "0123456789abcdef-this-is-the-body";
static unsigned char big[100000];

static const ts_route routes[] = {
    {.path = "/ok", .behaviour = TS_RESPOND, .status = 200,
     .content_type = "image/png", .body = body, .body_size = sizeof body - 1},
    {.path = "/missing", .behaviour = TS_RESPOND, .status = 404,
     .content_type = "text/plain", .body = "nope", .body_size = 4},
    {.path = "/busy", .behaviour = TS_RESPOND, .status = 503, .body = "", .body_size = 0},
    {.path = "/limited", .behaviour = TS_RESPOND, .status = 429, .body = "", .body_size = 0},
    {.path = "/r1", .behaviour = TS_REDIRECT, .location = "/r2"},
    {.path = "/r2", .behaviour = TS_REDIRECT, .location = "/r3"},
    {.path = "/r3", .behaviour = TS_REDIRECT, .location = "/ok"},
    {.path = "/to-ftp", .behaviour = TS_REDIRECT, .location = "ftp://127.0.0.1/x"},
    {.path = "/hang", .behaviour = TS_HANG},
    {.path = "/truncated", .behaviour = TS_TRUNCATE, .body_size = 20000},
    {.path = "/big", .behaviour = TS_RESPOND, .status = 200, .body = big,
     .body_size = sizeof big},
    {.path = "/chunked", .behaviour = TS_CHUNKED_HUGE, .body_size = 5000000},
    {.path = "/chunked-small", .behaviour = TS_CHUNKED_HUGE, .body_size = 3000},
};

static ts_server *srv;

static void start(void)
{
    srv = ts_server_start(routes, sizeof routes / sizeof routes[0]);
}

static void stop(void)
{
    ts_server_stop(srv);
}

TestSuite(fetch, .init = start, .fini = stop, .timeout = 30);

static ig_fetch_opts opts_private(void)
{
    return (ig_fetch_opts){.max_bytes = 1 << 20, .timeout_ms = 5000,
                           .connect_timeout_ms = 2000, .max_redirects = 5,
                           .allow_private = true, .field = "image"};
}

static char *url(const char *path)
{
    char *u = NULL;
    cr_assert(asprintf(&u, "%s%s", ts_server_base_url(srv), path) > 0);
    return u;
}

static int fetch(const char *path, const ig_fetch_opts *o, ig_fetch_result *r,
                 ig_error *err)
{
    char *u = url(path);
    ig_error_clear(err);
    int rc = ig_http_fetch(u, o, r, err);
    free(u);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

Test(fetch, ok_body_status_and_type)
{
    ig_fetch_opts o = opts_private();
    ig_fetch_result r;
    ig_error err;
    cr_assert_eq(fetch("/ok", &o, &r, &err), 0, "%s", err.message);
    cr_expect_eq(r.http_status, 200);
    cr_expect_eq(r.size, sizeof body - 1);
    cr_expect(r.body && !memcmp(r.body, body, r.size));
    cr_expect_str_eq(r.content_type, "image/png");
    free(r.body);
    cr_expect_eq(ts_server_hits(srv, "/ok"), 1);
}

Test(fetch, loopback_refused_by_default_without_a_request)
{
    ig_fetch_opts o = opts_private();
    o.allow_private = false;
    ig_fetch_result r;
    ig_error err;
    cr_assert_eq(fetch("/ok", &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_URL_REFUSED);
    cr_expect_str_eq(err.field, "image");
    cr_expect(strstr(err.message, "refused to connect to 127.0.0.1 (loopback address)"),
              "%s", err.message);
    cr_expect(strstr(err.message, "imageGeneration.allowPrivateUrls"), "%s", err.message);
    cr_expect_null(r.body);
    cr_expect_eq(ts_server_hits(srv, NULL), 0);
}

Test(fetch, localhost_name_refused)
{
    ig_fetch_opts o = opts_private();
    o.allow_private = false;
    char u[128];
    snprintf(u, sizeof u, "http://localhost:%d/ok", ts_server_port(srv));
    ig_fetch_result r;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_http_fetch(u, &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_URL_REFUSED, "%s", err.message);
    cr_expect(strstr(err.message, "loopback address"), "%s", err.message);
    cr_expect_eq(ts_server_hits(srv, NULL), 0);
}

Test(fetch, http_errors_and_retryable)
{
    ig_fetch_opts o = opts_private();
    ig_fetch_result r;
    ig_error err;
    cr_assert_eq(fetch("/missing", &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_URL_FETCH_FAILED);
    cr_expect(strstr(err.message, "server answered HTTP 404"), "%s", err.message);
    cr_expect_not(err.retryable);
    cr_assert_eq(fetch("/busy", &o, &r, &err), -1);
    cr_expect(strstr(err.message, "HTTP 503"), "%s", err.message);
    cr_expect(err.retryable);
    cr_assert_eq(fetch("/limited", &o, &r, &err), -1);
    cr_expect(strstr(err.message, "HTTP 429"), "%s", err.message);
    cr_expect(err.retryable);
}

Test(fetch, errors_hide_userinfo_and_query)
{
    ig_fetch_opts o = opts_private();
    char u[256];
    snprintf(u, sizeof u, "http://bob:hunter2secret@127.0.0.1:%d/missing?token=abc#frag",
             ts_server_port(srv));
    ig_fetch_result r;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_http_fetch(u, &o, &r, &err), -1);
    cr_expect(strstr(err.message, "HTTP 404"), "%s", err.message);
    cr_expect_null(strstr(err.message, "hunter2"), "%s", err.message);
    cr_expect_null(strstr(err.message, "bob"), "%s", err.message);
    cr_expect_null(strstr(err.message, "token"), "%s", err.message);
    cr_expect(strstr(err.message, "/missing?<redacted>"), "%s", err.message);
}

Test(fetch, redirects_followed_and_limited)
{
    ig_fetch_opts o = opts_private();
    ig_fetch_result r;
    ig_error err;
    cr_assert_eq(fetch("/r1", &o, &r, &err), 0, "%s", err.message);
    cr_expect_eq(r.size, sizeof body - 1);
    free(r.body);
    o.max_redirects = 2;
    cr_assert_eq(fetch("/r1", &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_URL_REFUSED);
    cr_expect(strstr(err.message, "more than 2"), "%s", err.message);
    o.max_redirects = 0;
    cr_assert_eq(fetch("/r3", &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_URL_REFUSED);
    cr_expect_eq(ts_server_hits(srv, "/ok"), 1); /* only the first chain got there */
}

Test(fetch, redirect_to_other_scheme_refused)
{
    ig_fetch_opts o = opts_private();
    ig_fetch_result r;
    ig_error err;
    cr_assert_eq(fetch("/to-ftp", &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_URL_REFUSED, "%s", err.message);
}

Test(fetch, non_http_scheme_refused)
{
    ig_fetch_opts o = opts_private();
    ig_fetch_result r;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_http_fetch("ftp://127.0.0.1/x", &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_URL_REFUSED);
    ig_error_clear(&err);
    cr_assert_eq(ig_http_fetch("file:///etc/passwd", &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_URL_REFUSED);
}

Test(fetch, truncated_body)
{
    ig_fetch_opts o = opts_private();
    ig_fetch_result r;
    ig_error err;
    cr_assert_eq(fetch("/truncated", &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_URL_FETCH_FAILED, "%s", err.message);
    cr_expect(err.retryable);
    cr_expect_null(r.body);
}

Test(fetch, body_cap_with_and_without_length)
{
    ig_fetch_opts o = opts_private();
    o.max_bytes = 10000;
    ig_fetch_result r;
    ig_error err;
    cr_assert_eq(fetch("/big", &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_TOO_LARGE, "%s", err.message);
    cr_expect(strstr(err.message, "10000 bytes"), "%s", err.message);
    cr_assert_eq(fetch("/chunked", &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_TOO_LARGE, "%s", err.message);
    cr_assert_eq(fetch("/chunked-small", &o, &r, &err), 0, "%s", err.message);
    cr_expect_eq(r.size, 3000);
    free(r.body);
    o.max_bytes = sizeof big; /* exactly at the cap is fine */
    cr_assert_eq(fetch("/big", &o, &r, &err), 0, "%s", err.message);
    cr_expect_eq(r.size, sizeof big);
    free(r.body);
}

Test(fetch, hang_times_out)
{
    ig_fetch_opts o = opts_private();
    o.timeout_ms = 300;
    ig_fetch_result r;
    ig_error err;
    double t0 = now_s();
    cr_assert_eq(fetch("/hang", &o, &r, &err), -1);
    double took = now_s() - t0;
    cr_expect_eq(err.code, IG_ERR_URL_FETCH_FAILED, "%s", err.message);
    cr_expect(strstr(err.message, "timed out after 300 ms"), "%s", err.message);
    cr_expect(err.retryable);
    cr_expect(took >= 0.25 && took < 20.0, "took %.2fs", took); /* the cap fired */
}

typedef struct canceller {
    atomic_bool flag;
    double set_at;
} canceller;

/* Cancels once the server holds the request (polling its hit count, so the
 * cancel always lands mid-transfer, however slow the machine). */
static void *cancel_when_held(void *arg)
{
    canceller *c = arg;
    while (ts_server_hits(srv, "/hang") == 0)
        usleep(5000);
    c->set_at = now_s();
    atomic_store(&c->flag, true);
    return NULL;
}

Test(fetch, cancel_from_another_thread)
{
    canceller c = {.flag = false};
    ig_fetch_opts o = opts_private();
    o.timeout_ms = 20000;
    o.cancel = &c.flag;
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, cancel_when_held, &c), 0);
    ig_fetch_result r;
    ig_error err;
    int rc = fetch("/hang", &o, &r, &err);
    double done = now_s();
    pthread_join(th, NULL);
    cr_assert_eq(rc, -1);
    cr_expect_eq(err.code, IG_ERR_CANCELED, "%s", err.message);
    /* Well before the 20 s transfer timeout: the cancel interrupted it. */
    cr_expect(done - c.set_at < 10.0, "returned %.2fs after the cancel", done - c.set_at);
    cr_expect_eq(ts_server_hits(srv, "/hang"), 1);
}

Test(fetch, connection_refused)
{
    ts_server *gone = ts_server_start(NULL, 0);
    int port = ts_server_port(gone);
    ts_server_stop(gone);
    char u[96];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/x", port);
    ig_fetch_opts o = opts_private();
    ig_fetch_result r;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_http_fetch(u, &o, &r, &err), -1);
    cr_expect_eq(err.code, IG_ERR_URL_FETCH_FAILED, "%s", err.message);
}

Test(fetch, user_agent)
{
    cr_expect_str_eq(ig_user_agent(), "agentos-image-generation/" IG_VERSION " (+libcurl)");
}

static bool private_addr(const char *text)
{
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
    memset(&in4, 0, sizeof in4);
    memset(&in6, 0, sizeof in6);
    if (inet_pton(AF_INET, text, &in4.sin_addr) == 1) {
        in4.sin_family = AF_INET;
        return ig_addr_is_private((const struct sockaddr *)&in4);
    }
    cr_assert_eq(inet_pton(AF_INET6, text, &in6.sin6_addr), 1, "bad test address %s", text);
    in6.sin6_family = AF_INET6;
    return ig_addr_is_private((const struct sockaddr *)&in6);
}

Test(addr, private_and_public)
{
    static const char *const priv[] = {
        "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1",
        "100.127.255.254", "127.0.0.1", "127.255.0.9", "169.254.169.254",
        "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.168.1.1",
        "198.18.0.1", "198.19.255.255", "224.0.0.1", "239.255.255.250",
        "240.0.0.1", "255.255.255.255", "192.0.2.1", "::", "::1", "fc00::1",
        "fd12:3456::1", "fe80::1", "febf::1", "ff02::1", "::ffff:127.0.0.1",
        "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::127.0.0.1",
        "::10.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "2002:c0a8:101::1",
        "2001:db8::1", "::ffff:0:127.0.0.1", "::ffff:0:10.0.0.1", "64:ff9b:1::a00:1",
        "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"};
    static const char *const pub[] = {
        "8.8.8.8", "1.1.1.1", "93.184.216.34", "172.15.255.255", "172.32.0.1",
        "100.63.255.255", "100.128.0.1", "169.253.0.1", "169.255.0.1",
        "192.167.0.1", "192.169.0.1", "198.17.255.255", "198.20.0.1",
        "223.255.255.255", "11.0.0.1", "2606:4700:4700::1111",
        "2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::808:808",
        "2002:808:808::1", "fbff::1", "2001:db9::1", "2001:4860:4860::8888"};
    for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++)
        cr_expect(private_addr(priv[i]), "%s should be private", priv[i]);
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++)
        cr_expect_not(private_addr(pub[i]), "%s should be public", pub[i]);
    cr_expect(private_addr("fec0::1"), "deprecated site-local is refused too");
    struct sockaddr unix_like = {.sa_family = AF_UNIX};
    cr_expect(ig_addr_is_private(&unix_like));
    cr_expect(ig_addr_is_private(NULL));
}

Test(redact, url_forms)
{
    char out[256];
    ig_url_redact("https://user:pw@example.com:8443/a/b.png?sig=1&x=2#frag", out, sizeof out);
    cr_expect_str_eq(out, "https://example.com:8443/a/b.png?<redacted>#<redacted>");
    ig_url_redact("http://example.com/plain.png", out, sizeof out);
    cr_expect_str_eq(out, "http://example.com/plain.png");
    ig_url_redact("http://a@b@example.com?q", out, sizeof out);
    cr_expect_str_eq(out, "http://example.com?<redacted>");
    ig_url_redact("http://example.com/\x01\n", out, sizeof out);
    cr_expect_str_eq(out, "http://example.com/??");
    ig_url_redact("http://example.com/very/long/path/indeed.png", out, 20);
    cr_expect_eq(strlen(out), 19);
    cr_expect_str_eq(out + 16, "...");
    ig_url_redact(NULL, out, sizeof out);
    cr_expect_str_eq(out, "(none)");
}
