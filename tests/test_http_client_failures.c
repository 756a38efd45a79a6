/* test_http_client_failures.c - the provider HTTP client when things go
 * wrong: cancel, timeouts, network errors, redirects; pooling, threads and
 * secrets. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "providers/transport/http_client_internal.h"
#include "providers/transport/http_fetch.h"
#include "test_http_client_fixture.h"

/* ---- cancel and timeouts ---------------------------------------------- */

typedef struct bg_call {
    ig_http_request req;
    ig_http_response res;
    ig_error err;
    int rc;
    double ended;
} bg_call;

static void *bg_perform(void *arg)
{
    bg_call *c = arg;
    c->rc = perform(&c->req, "/hang", &c->res, &c->err);
    c->ended = now_s();
    return NULL;
}

Test(http_client, cancel_stops_a_hung_request_quickly)
{
    atomic_bool cancel = false;
    bg_call c = {.req = {.method = "POST", .body = "{}", .body_size = 2,
                         .cancel = &cancel}};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, bg_perform, &c), 0);
    double deadline = now_s() + 10;
    while (ts_server_hits(srv, "/hang") < 1 && now_s() < deadline) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL); /* polling the server, not a guess of timing */
    }
    cr_assert_eq(ts_server_hits(srv, "/hang"), 1, "the request never arrived");
    double set = now_s();
    atomic_store(&cancel, true);
    pthread_join(t, NULL);
    cr_assert_eq(c.rc, -1);
    cr_assert_eq(c.err.code, IG_ERR_CANCELED, "%s", c.err.message);
    cr_assert(!c.err.retryable);
    cr_assert_lt(c.ended - set, 10.0, "took %.3f s", c.ended - set); /* vs the 120 s default timeout */
    ig_http_response_free(&c.res);
}

Test(http_client, total_timeout)
{
    ig_http_request req = {.method = "GET", .timeout_ms = 600, .idle_timeout_ms = 30000};
    ig_http_response res;
    ig_error err;
    double t0 = now_s();
    cr_assert_eq(perform(&req, "/hang", &res, &err), -1);
    cr_assert_lt(now_s() - t0, 20.0); /* the 600 ms cap, not the 30 s idle one */
    cr_assert_eq(err.code, IG_ERR_PROVIDER_TIMEOUT, "%s", err.message);
    cr_assert(err.retryable);
    cr_assert(strstr(err.message, "total timeout"), "%s", err.message);
    cr_assert(!strncmp(err.message, "testprov: ", 10), "%s", err.message);
    cr_assert_neq(err.hint[0], '\0');
    ig_http_response_free(&res);
}

Test(http_client, idle_timeout_on_a_stalled_body)
{
    ig_http_request req = {.method = "GET", .timeout_ms = 30000, .idle_timeout_ms = 1000};
    ig_http_response res;
    ig_error err;
    double t0 = now_s();
    cr_assert_eq(perform(&req, "/trickle", &res, &err), -1);
    cr_assert_lt(now_s() - t0, 25.0); /* the idle cap, not the 30 s total one */
    cr_assert_eq(err.code, IG_ERR_PROVIDER_TIMEOUT, "%s", err.message);
    cr_assert(err.retryable);
    cr_assert(strstr(err.message, "idle timeout"), "%s", err.message);
    cr_assert_eq(res.status, 200, "the headers and first bytes did arrive");
    ig_http_response_free(&res);
}

/* ---- network failures ------------------------------------------------- */

Test(http_client, reset_is_a_retryable_network_error)
{
    ig_http_request req = {.method = "POST", .body = "{}", .body_size = 2};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/reset", &res, &err), -1);
    cr_assert_eq(err.code, IG_ERR_PROVIDER_NETWORK, "%s", err.message);
    cr_assert(err.retryable);
    cr_assert_eq(res.status, 0);
    cr_assert(res.request_sent, "the server read the request before it hung up");
    ig_http_response_free(&res);
}

Test(http_client, refused_connection_is_a_retryable_network_error)
{
    char u[128];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/v1/images", closed_port());
    ig_http_request req = {.method = "GET", .url = u, .provider = "openai",
                           .field = "prompt"};
    ig_http_response res;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_http_perform(http, &req, &res, &err), -1);
    cr_assert_eq(err.code, IG_ERR_PROVIDER_NETWORK);
    cr_assert(err.retryable);
    cr_assert_not(res.request_sent, "nothing reached a server");
    cr_assert_str_eq(err.field, "prompt");
    char want[200];
    snprintf(want, sizeof want, "openai: could not connect to the server (%s)", u);
    cr_assert_str_eq(err.message, want);
    ig_http_response_free(&res);
}

/* A proxy from the environment is used, unless the request says no_proxy. */
Test(http_client, no_proxy_bypasses_the_proxy_environment)
{
    ts_server *proxy = ts_proxy_env_start();
    ig_http_request req = {.method = "GET"};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/echo", &res, &err), 0, "%s", err.message);
    cr_expect_eq(ts_server_hits(proxy, NULL), 1, "went through the proxy");
    ig_http_response_free(&res);
    req = (ig_http_request){.method = "GET", .no_proxy = true};
    cr_assert_eq(perform(&req, "/echo", &res, &err), 0, "%s", err.message);
    cr_expect_eq(res.status, 200, "answered by the server itself");
    cr_expect_eq(ts_server_hits(proxy, NULL), 1, "the proxy saw nothing more");
    ig_http_response_free(&res);
    ts_proxy_env_stop(proxy);
}

Test(http_client, non_http_urls_are_refused)
{
    ig_http_request req = {.method = "GET", .url = "ftp://127.0.0.1/x"};
    ig_http_response res;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_http_perform(http, &req, &res, &err), -1);
    cr_assert_eq(err.code, IG_ERR_PROVIDER_UNAVAILABLE, "%s", err.message);
    cr_assert(!err.retryable);
}

Test(http_client, bad_arguments)
{
    ig_http_request req = {.method = "PATCH", .url = "http://127.0.0.1/"};
    ig_http_response res;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_http_perform(http, &req, &res, &err), -1);
    cr_assert_eq(err.code, IG_ERR_INTERNAL);
    cr_assert_null(res.body);
    ig_error_clear(&err);
    cr_assert_eq(ig_http_perform(NULL, &req, &res, &err), -1);
    ig_http_free(NULL);
    ig_http_response_free(NULL);
}

/* ---- redirects -------------------------------------------------------- */

Test(http_client, redirects_follow_up_to_the_limit)
{
    ig_http_request req = {.method = "GET", .max_redirects = 3};
    ig_http_response res;
    ig_error err;
    cr_assert_eq(perform(&req, "/r1", &res, &err), 0, "%s", err.message);
    cJSON *doc = echo_of(&res);
    cr_assert_str_eq(str_at(doc, "path"), "/echo");
    cJSON_Delete(doc);
    ig_http_response_free(&res);

    req.max_redirects = 2;
    cr_assert_eq(perform(&req, "/r1", &res, &err), -1);
    cr_assert_eq(err.code, IG_ERR_PROVIDER_ERROR, "%s", err.message);
    cr_assert(strstr(err.message, "more than 2"), "%s", err.message);
    cr_assert(!err.retryable);
    ig_http_response_free(&res);

    req.max_redirects = 0; /* not followed: the 302 is the answer */
    cr_assert_eq(perform(&req, "/r1", &res, &err), 0, "%s", err.message);
    cr_assert_eq(res.status, 302);
    ig_http_response_free(&res);
}

/* ---- pooling and threads ---------------------------------------------- */

Test(http_client, sequential_requests_reuse_connections)
{
    for (int i = 0; i < 20; i++) {
        ig_http_request req = {.method = i % 2 ? "GET" : "POST", .body = "{}",
                               .body_size = 2};
        ig_http_response res;
        ig_error err;
        cr_assert_eq(perform(&req, i % 2 ? "/ok" : "/echo", &res, &err), 0, "%s",
                     err.message);
        cr_assert_eq(res.status, 200);
        ig_http_response_free(&res);
    }
    int conns = ts_server_connections(srv);
    cr_assert_lt(conns, 20, "%d connections for 20 requests", conns);
    cr_assert_leq(conns, 2, "%d connections for 20 sequential requests", conns);
}

typedef struct worker {
    int id, ok;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 20; i++) {
        char body[64];
        int n = snprintf(body, sizeof body, "{\"thread\":%d,\"i\":%d}", w->id, i);
        ig_http_request req = {.method = "POST", .body = body, .body_size = (size_t)n};
        ig_http_response res;
        ig_error err;
        if (perform(&req, "/echo", &res, &err) == 0 && res.status == 200) {
            cJSON *doc = cJSON_Parse(res.body);
            const char *echoed = doc ? str_at(doc, "body") : NULL;
            if (echoed && !strcmp(echoed, body))
                w->ok++;
            cJSON_Delete(doc);
        }
        ig_http_response_free(&res);
    }
    return NULL;
}

Test(http_client, concurrent_requests_on_one_client)
{
    pthread_t t[8];
    worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (worker){.id = i};
        cr_assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(w[i].ok, 20, "thread %d: %d of 20 succeeded", i, w[i].ok);
    cr_assert_eq(ts_server_hits(srv, "/echo"), 160);
    cr_assert_lt(ts_server_connections(srv), 160);
}

/* ---- secrets ---------------------------------------------------------- */

/* Asserts that err carries no trace of SECRET. */
static void expect_clean(const ig_error *err)
{
    cr_assert_neq(err->code, IG_OK);
    cr_assert_null(strstr(err->message, "SECRETKEY"), "%s", err->message);
    cr_assert_null(strstr(err->hint, "SECRETKEY"), "%s", err->hint);
    cr_assert_null(strstr(err->field, "SECRETKEY"), "%s", err->field);
}

Test(http_client, secrets_never_reach_error_messages)
{
    const char *headers[] = {"Authorization: Bearer " SECRET, "x-key: " SECRET, NULL};
    ig_http_response res;
    ig_error err;
    /* in a path segment and the query */
    ig_http_request req = {.method = "POST", .headers = headers, .body = SECRET,
                           .body_size = strlen(SECRET)};
    cr_assert_eq(perform(&req, "/v1/" SECRET "/reset?key=" SECRET, &res, &err), -1);
    expect_clean(&err);
    cr_assert(strstr(err.message, "/v1/[REDACTED]/reset"), "%s", err.message);
    ig_http_response_free(&res);
    /* in the query of a timed-out request */
    ig_http_request slow = {.method = "GET", .headers = headers, .timeout_ms = 300};
    cr_assert_eq(perform(&slow, "/hang?key=" SECRET "&x=1", &res, &err), -1);
    expect_clean(&err);
    cr_assert_null(strstr(err.message, "?"), "%s", err.message);
    ig_http_response_free(&res);
    /* as URL credentials on a refused connection */
    char u[256];
    snprintf(u, sizeof u, "http://user:%s@127.0.0.1:%d/x", SECRET, closed_port());
    ig_http_request creds = {.method = "GET", .url = u, .headers = headers};
    ig_error_clear(&err);
    cr_assert_eq(ig_http_perform(http, &creds, &res, &err), -1);
    expect_clean(&err);
    cr_assert_null(strstr(err.message, "user"), "%s", err.message);
    ig_http_response_free(&res);
}
