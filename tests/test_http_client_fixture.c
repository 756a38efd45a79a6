/* test_http_client_fixture.c - see test_http_client_fixture.h. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test_http_client_fixture.h"

unsigned char big[BIG_SIZE];
char error_body[200000];
const char bad_json[] = "{\"error\":{\"message\":\"bad prompt\"}}";
const char limited_json[] = "{\"error\":{\"message\":\"slow down\"}}";
const char boom_json[] = "{\"error\":{\"message\":\"server exploded\"}}";

static const ts_route routes[] = {
    {.path = "/echo", .behaviour = TS_ECHO},
    {.path = "/ok", .behaviour = TS_RESPOND, .status = 200, .content_type = "text/plain",
     .body = "hello", .body_size = 5},
    {.path = "/bad", .behaviour = TS_RESPOND, .status = 400,
     .content_type = "application/json", .body = bad_json, .body_size = sizeof bad_json - 1},
    {.path = "/limited", .behaviour = TS_RESPOND, .status = 429,
     .content_type = "application/json", .body = limited_json,
     .body_size = sizeof limited_json - 1},
    {.path = "/boom", .behaviour = TS_RESPOND, .status = 500,
     .content_type = "application/json", .body = boom_json, .body_size = sizeof boom_json - 1},
    {.path = "/big-error", .behaviour = TS_RESPOND, .status = 500, .body = error_body,
     .body_size = sizeof error_body},
    {.path = "/big", .behaviour = TS_RESPOND, .status = 200,
     .content_type = "application/octet-stream", .body = big, .body_size = sizeof big},
    {.path = "/stream", .behaviour = TS_CHUNKED_HUGE, .body_size = BIG_SIZE},
    {.path = "/cap-cl", .behaviour = TS_RESPOND, .status = 200, .body = big,
     .body_size = 100000},
    {.path = "/cap-chunked", .behaviour = TS_CHUNKED_HUGE, .body_size = 100000},
    {.path = "/hang", .behaviour = TS_HANG},
    {.path = "/trickle", .behaviour = TS_TRICKLE},
    {.path = "/reset", .behaviour = TS_RESET},
    {.path = "/v1/" SECRET "/reset", .behaviour = TS_RESET},
    {.path = "/r1", .behaviour = TS_REDIRECT, .location = "/r2"},
    {.path = "/r2", .behaviour = TS_REDIRECT, .location = "/r3"},
    {.path = "/r3", .behaviour = TS_REDIRECT, .location = "/echo"},
};

ts_server *srv;
ig_http *http;
static ig_redactor *redactor;

static void start(void)
{
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7u + (i >> 13));
    memset(error_body, 'e', sizeof error_body);
    memcpy(error_body, "{\"error\":", 9);
    srv = ts_server_start(routes, sizeof routes / sizeof routes[0]);
    ts_server_set_headers(srv, "/ok", "x-request-id: req-ok-1");
    ts_server_set_headers(srv, "/limited", "Retry-After: 7\nrequest-id: rid-429");
    redactor = ig_redactor_new(NULL);
    cr_assert_not_null(redactor);
    ig_redactor_add(redactor, SECRET);
    ig_error err;
    ig_error_clear(&err);
    http = ig_http_new(redactor, &err);
    cr_assert_not_null(http, "%s", err.message);
}

static void stop(void)
{
    ig_http_free(http);
    ts_server_stop(srv);
    ig_redactor_free(redactor);
}

TestSuite(http_client, .init = start, .fini = stop, .timeout = 60);

static char *url_of(const char *path)
{
    char *u = NULL;
    cr_assert(asprintf(&u, "%s%s", ts_server_base_url(srv), path) > 0);
    return u;
}

/* Runs req against path on the suite's server. */
int perform(ig_http_request *req, const char *path, ig_http_response *res,
                   ig_error *err)
{
    char *u = url_of(path);
    req->url = u;
    if (!req->provider)
        req->provider = "testprov";
    ig_error_clear(err);
    int rc = ig_http_perform(http, req, res, err);
    req->url = NULL;
    free(u);
    return rc;
}

/* The TS_ECHO description in a response body. */
cJSON *echo_of(const ig_http_response *res)
{
    cr_assert_eq(res->status, 200);
    cr_assert_not_null(res->body);
    cJSON *doc = cJSON_Parse(res->body);
    cr_assert_not_null(doc, "not JSON: %s", res->body);
    return doc;
}

const char *str_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double num_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    cr_assert(cJSON_IsNumber(v), "no number %s", key);
    return v->valuedouble;
}

const char *header_of(const cJSON *doc, const char *name)
{
    return str_at(cJSON_GetObjectItemCaseSensitive(doc, "headers"), name);
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A loopback port with nothing listening. */
int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}
