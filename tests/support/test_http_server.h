/*
 * test_http_server.h - an in-process loopback HTTP server for tests
 * (libmicrohttpd, 127.0.0.1 only, ephemeral port).
 *
 * Routes are registered before start: each path answers with fixed status,
 * content type, headers and body, or with a behaviour (hang until the server
 * stops, close the connection mid-body, redirect, echo the request, trickle a
 * few bytes then stall, close without answering). The server counts requests
 * per path so tests can prove that nothing was requested, and counts accepted
 * connections so tests can prove that connections are reused.
 */
#ifndef IG_TEST_HTTP_SERVER_H
#define IG_TEST_HTTP_SERVER_H

#include <stddef.h>

typedef struct ts_server ts_server;

typedef enum ts_behaviour {
    TS_RESPOND,        /* status + body */
    TS_REDIRECT,       /* 302 to `location` */
    TS_HANG,           /* never answer until ts_server_stop */
    TS_TRUNCATE,       /* announce Content-Length of body_size, send half */
    TS_CHUNKED_HUGE,   /* stream `body_size` bytes with no Content-Length */
    TS_ECHO,           /* `status` (default 200) with a JSON description of the
                        * request: {"method","path","headers":{lower-case
                        * name: value, ...},"body_size","body" (when text of
                        * at most 64 KiB),"parts":[{"name","filename",
                        * "content_type","size"}] (multipart/form-data only)} */
    TS_TRICKLE,        /* 200, chunked: `body` (or "hello") then stall until stop */
    TS_RESET,          /* close the connection without any answer */
} ts_behaviour;

typedef struct ts_route {
    const char *path;           /* exact path, e.g. "/cat.png" */
    ts_behaviour behaviour;
    int status;                 /* TS_RESPOND, TS_ECHO */
    const char *content_type;   /* TS_RESPOND */
    const void *body;           /* borrowed until stop */
    size_t body_size;
    const char *location;       /* TS_REDIRECT */
} ts_route;

/* Starts a server on 127.0.0.1; routes are copied. Aborts the test on failure. */
ts_server *ts_server_start(const ts_route *routes, size_t count);

/* "http://127.0.0.1:<port>" (static within the server's life). */
const char *ts_server_base_url(const ts_server *server);
int ts_server_port(const ts_server *server);

/* Requests received for path so far (any method), or for all paths if NULL. */
int ts_server_hits(ts_server *server, const char *path);

/* Extra response headers for path's answers (any answering behaviour):
 * "Name: value" lines separated by '\n', copied; NULL removes them. */
void ts_server_set_headers(ts_server *server, const char *path, const char *headers);

/* Connections accepted so far (each new TCP connection counts once). */
int ts_server_connections(ts_server *server);

/* Stops the server (releasing hung requests) and frees it. */
void ts_server_stop(ts_server *server);

/* A server standing in for a proxy: every proxy variable of the
 * environment (http_proxy, HTTPS_PROXY, all_proxy, ...) points at it and
 * no_proxy is unset, so its hits and connections show what went through a
 * proxy. ts_proxy_env_stop unsets them and stops it. */
ts_server *ts_proxy_env_start(void);
void ts_proxy_env_stop(ts_server *proxy);

#endif
