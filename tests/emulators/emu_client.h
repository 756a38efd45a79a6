/*
 * emu_client.h - a tiny libcurl client for the emulator suites (plain easy
 * handles, no project transport): JSON posts, multipart posts, GETs.
 */
#ifndef IG_EMU_CLIENT_H
#define IG_EMU_CLIENT_H

#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct ec_result {
    int curl_code;     /* CURLcode */
    long status;
    char *body;        /* malloc'd, NUL-terminated */
    size_t size;
    char *headers;     /* raw response header lines, malloc'd */
    cJSON *json;       /* parsed body or NULL */
} ec_result;

/* One multipart part: a field when filename is NULL, else a file. */
typedef struct ec_part {
    const char *name;
    const char *value;            /* fields */
    const unsigned char *data;    /* files */
    size_t size;
    const char *filename;
    const char *type;             /* file content type (NULL = curl's default) */
} ec_part;

/* POST a JSON text to url with "Authorization: Bearer key" (key NULL = none);
 * timeout_ms 0 = none. */
ec_result ec_post_json(const char *url, const char *key, const char *json, long timeout_ms);
/* POST multipart/form-data. */
ec_result ec_post_form(const char *url, const char *key, const ec_part *parts, size_t count,
                       long timeout_ms);
/* GET url (key may be NULL). */
ec_result ec_get(const char *url, const char *key, long timeout_ms);
/* A request with any method and optional JSON body. */
ec_result ec_request(const char *method, const char *url, const char *key, const char *body,
                     long timeout_ms);
/* Any request: headers are full lines (for example "x-key: k"),
 * NULL-terminated (may be NULL); body is sent as given with content_type
 * (NULL = application/json) unless parts are given (multipart). No
 * Authorization header is added: put it in headers. */
typedef struct ec_call {
    const char *method;
    const char *url;
    const char *const *headers;
    const char *body;
    const char *content_type;
    const ec_part *parts;
    size_t part_count;
    long timeout_ms;
} ec_call;
ec_result ec_send(const ec_call *call);
/* The value of a response header (case-insensitive), malloc'd, or NULL. */
char *ec_header(const ec_result *r, const char *name);
void ec_result_free(ec_result *r);

#endif
