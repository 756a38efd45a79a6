/*
 * http_client_internal.h - state of one ig_http_perform call, shared by the
 * pieces of the client: http_client.c (handles, options, the transfer loop),
 * http_client_recv.c (header and body callbacks) and http_client_errors.c
 * (turning a failed transfer into an ig_error). Not for other modules.
 */
#ifndef IG_HTTP_CLIENT_INTERNAL_H
#define IG_HTTP_CLIENT_INTERNAL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "providers/transport/http_client.h"

/* Bytes kept of a non-2xx body: enough for any provider's error JSON. */
#define IG_HTTP_ERROR_BODY_KEEP ((size_t)64 * 1024)

/* Read position in one multipart file part (the caller's buffer). */
typedef struct ig_http_part_reader {
    const unsigned char *data;
    size_t size;
    size_t pos;
} ig_http_part_reader;

typedef struct ig_http_xfer {
    const ig_http_request *req;
    ig_http_response *res;        /* status, headers as they arrive */
    const ig_redactor *redactor;
    CURL *easy;

    /* effective limits (defaults applied) */
    uint64_t cap;                 /* max 2xx body bytes */
    long timeout_ms, connect_timeout_ms, idle_timeout_ms;
    bool following;               /* CURLOPT_FOLLOWLOCATION is on */

    /* request resources, freed after the call */
    struct curl_slist *headers;
    curl_mime *mime;
    ig_http_part_reader *readers;

    /* what the current (latest) response looked like */
    bool headers_done;            /* its header block ended (final, not 1xx) */
    bool saw_location;            /* it carries a Location header */
    uint64_t received;            /* its 2xx body bytes so far */

    /* the body when buffered; NUL-terminated once anything is stored */
    char *buf;
    size_t len, alloc;

    /* why the transfer stopped early, if it did */
    bool canceled;
    bool too_large;
    bool error_body_cut;          /* stopped reading a non-2xx body at the keep limit */
    bool sink_failed;
    bool out_of_memory;
    ig_error sink_err;
    char errbuf[CURL_ERROR_SIZE];
} ig_http_xfer;

/* CURLOPT_HEADERFUNCTION / CURLOPT_WRITEFUNCTION (userp is the xfer). */
size_t ig_http_on_header(char *data, size_t size, size_t nmemb, void *userp);
size_t ig_http_on_body(char *data, size_t size, size_t nmemb, void *userp);

/* Retry-After value (delta-seconds or HTTP date) in seconds from now
 * (>= 0), or -1 when it cannot be parsed. */
double ig_http_parse_retry_after(const char *value);

/* Decides the call's outcome after the transfer: 0 when an HTTP response
 * arrived, else -1 with err filled (message redacted). */
int ig_http_report(ig_http_xfer *x, CURLcode res, ig_error *err);

#endif
