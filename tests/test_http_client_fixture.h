/*
 * test_http_client_fixture.h - the loopback server, routes and helpers the
 * http_client suites share (test_http_client.c, test_http_client_failures.c).
 */
#ifndef IG_TEST_HTTP_CLIENT_FIXTURE_H
#define IG_TEST_HTTP_CLIENT_FIXTURE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "providers/transport/http_client.h"
#include "support/test_http_server.h"

#define SECRET "sk-SECRETKEY1234567890"
#define BIG_SIZE 5000000

extern unsigned char big[BIG_SIZE];  /* /big: 5 MB with Content-Length */
extern char error_body[200000];      /* /big-error: a 500 with a long body */
extern const char bad_json[], limited_json[], boom_json[];
extern ts_server *srv;               /* started per test by the suite */
extern ig_http *http;                /* its redactor knows SECRET */

/* Runs req against path on srv (provider "testprov" unless set). */
int perform(ig_http_request *req, const char *path, ig_http_response *res,
            ig_error *err);
/* The TS_ECHO description in a 200 response body (cJSON_Delete it). */
cJSON *echo_of(const ig_http_response *res);
const char *str_at(const cJSON *obj, const char *key);
double num_at(const cJSON *obj, const char *key);
/* A request header as the echo saw it (lower-case name), or NULL. */
const char *header_of(const cJSON *doc, const char *name);
double now_s(void);
/* A loopback port with nothing listening. */
int closed_port(void);

#endif
