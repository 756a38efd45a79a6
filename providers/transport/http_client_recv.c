/*
 * http_client_recv.c - the response side of an ig_http transfer: header lines
 * (status, Content-Type, Retry-After, request id, Content-Length against the
 * cap) and body bytes (to the caller's sink, or into memory).
 *
 * curl calls the header callback for every response of a transfer: 1xx
 * interim answers, each redirect hop and the final answer. A status line
 * starts a new response, so everything captured so far is reset there and
 * only the last response's fields survive.
 */
#include "providers/transport/http_client_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static bool is_2xx(long status)
{
    return status >= 200 && status < 300;
}

/* Trims spaces, tabs and CR/LF from both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* Copies a header value into a fixed field, cut to fit, NUL-terminated. */
static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

double ig_http_parse_retry_after(const char *value)
{
    if (!value)
        return -1;
    while (isspace((unsigned char)*value))
        value++;
    if (isdigit((unsigned char)*value)) { /* delta-seconds */
        char *end = NULL;
        errno = 0;
        double s = strtod(value, &end);
        while (end && isspace((unsigned char)*end))
            end++;
        if (errno == 0 && end && *end == '\0' && s >= 0)
            return s;
        return -1;
    }
    time_t when = curl_getdate(value, NULL); /* HTTP-date */
    if (when == (time_t)-1)
        return -1;
    double d = difftime(when, time(NULL));
    return d > 0 ? d : 0;
}

/* A status line starts a new response: forget the previous one's fields. */
static void start_response(ig_http_xfer *x, const char *line, size_t n)
{
    ig_http_response *r = x->res;
    const char *sp = memchr(line, ' ', n);
    long status = 0;
    if (sp && (size_t)(sp - line) + 4 <= n && isdigit((unsigned char)sp[1]) &&
        isdigit((unsigned char)sp[2]) && isdigit((unsigned char)sp[3]))
        status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
    r->status = status;
    r->content_type[0] = '\0';
    r->request_id[0] = '\0';
    memset(r->captured, 0, sizeof r->captured);
    r->retry_after_s = -1;
    x->headers_done = false;
    x->saw_location = false;
    x->received = 0;
    x->len = 0;
    if (x->buf)
        x->buf[0] = '\0';
    x->error_body_cut = false;
}

/* Looks at one "Name: value" line; returns false to abort the transfer. */
static bool take_header(ig_http_xfer *x, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    if (!colon)
        return true;
    size_t name_len = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vn = n - name_len - 1;
    trim(&v, &vn);
    ig_http_response *r = x->res;
    for (int i = 0; x->req->capture_headers && x->req->capture_headers[i] &&
                    i < IG_HTTP_MAX_CAPTURED; i++) {
        const char *want = x->req->capture_headers[i];
        if (strlen(want) == name_len && !strncasecmp(line, want, name_len))
            copy_value(r->captured[i], sizeof r->captured[i], v, vn);
    }
#define IS(name) (name_len == sizeof(name) - 1 && !strncasecmp(line, name, name_len))
    if (IS("content-type")) {
        copy_value(r->content_type, sizeof r->content_type, v, vn);
    } else if (IS("x-request-id") || (IS("request-id") && !r->request_id[0])) {
        copy_value(r->request_id, sizeof r->request_id, v, vn);
    } else if (IS("retry-after")) {
        char tmp[128];
        copy_value(tmp, sizeof tmp, v, vn);
        r->retry_after_s = ig_http_parse_retry_after(tmp);
    } else if (IS("location")) {
        x->saw_location = true;
    } else if (IS("content-length") && is_2xx(r->status)) {
        char tmp[32];
        copy_value(tmp, sizeof tmp, v, vn);
        char *end = NULL;
        errno = 0;
        unsigned long long len = strtoull(tmp, &end, 10);
        if (errno == 0 && end != tmp && len > x->cap) { /* refuse before reading */
            x->too_large = true;
            return false;
        }
    }
#undef IS
    return true;
}

size_t ig_http_on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    ig_http_xfer *x = userp;
    size_t n = size * nmemb;
    if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
        start_response(x, data, n);
        return n;
    }
    const char *line = data;
    size_t len = n;
    trim(&line, &len);
    if (len == 0) { /* end of a header block; 1xx blocks are not final */
        if (x->res->status >= 200)
            x->headers_done = true;
        return n;
    }
    return take_header(x, line, len) ? n : 0;
}

/* Appends to the in-memory body, keeping it NUL-terminated. */
static bool append(ig_http_xfer *x, const char *data, size_t n)
{
    if (x->len + n + 1 > x->alloc) {
        size_t want = x->alloc ? x->alloc : 16384;
        while (want < x->len + n + 1)
            want *= 2;
        char *grown = realloc(x->buf, want);
        if (!grown) {
            x->out_of_memory = true;
            return false;
        }
        x->buf = grown;
        x->alloc = want;
    }
    memcpy(x->buf + x->len, data, n);
    x->len += n;
    x->buf[x->len] = '\0';
    return true;
}

size_t ig_http_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    ig_http_xfer *x = userp;
    size_t n = size * nmemb;
    long status = x->res->status;
    if (status >= 300 && status < 400 && x->following && x->saw_location)
        return n; /* a redirect hop's body: curl moves on to the next hop */
    if (is_2xx(status)) {
        if ((uint64_t)n > x->cap - x->received) {
            x->too_large = true;
            return 0;
        }
        x->received += n;
        if (x->req->sink) {
            if (x->req->sink(x->req->sink_ctx, data, n, &x->sink_err) != 0) {
                x->sink_failed = true;
                return 0;
            }
            return n;
        }
        return append(x, data, n) ? n : 0;
    }
    /* an error answer: keep the head (the error JSON), stop reading after */
    size_t room = IG_HTTP_ERROR_BODY_KEEP - x->len;
    if (n <= room)
        return append(x, data, n) ? n : 0;
    if (append(x, data, room))
        x->error_body_cut = true;
    return 0;
}
