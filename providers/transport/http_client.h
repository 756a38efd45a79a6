/*
 * http_client.h - the one HTTP layer every provider backend uses (libcurl).
 *
 * An ig_http belongs to an extension instance and is shared by its threads.
 * It reuses DNS answers and TLS sessions across calls (a CURLSH share handle
 * with per-data locks) and connections too: each request runs on its own
 * easy handle driven by a multi handle borrowed from a pool for the call
 * (a multi keeps its finished transfers' connections; libcurl does not
 * support one connection cache shared by concurrent threads), so a cancel
 * flag is noticed within ~50 ms even mid-transfer. Redirects are limited,
 * TLS is verified, the response is size-capped, and every request carries
 * the extension's User-Agent and no Accept-Encoding (identity bodies).
 * The standard proxy environment variables (https_proxy, no_proxy ...) are
 * honoured. Error text never contains a secret (the instance's redactor
 * is applied) nor URL credentials or query strings.
 */
#ifndef IG_HTTP_CLIENT_H
#define IG_HTTP_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ig_error.h"
#include "core/redact.h"

typedef struct ig_http ig_http;

/* Creates the client (curl_global_init once per process). redactor is
 * borrowed for the client's life and may be NULL. NULL with err on failure. */
ig_http *ig_http_new(const ig_redactor *redactor, ig_error *err);
/* Frees it; no request may be running. NULL is ignored. */
void ig_http_free(ig_http *http);

/* One multipart/form-data part: a text field (value) or a file (data+size,
 * streamed from the caller's buffer without a copy, with filename and a real
 * content type such as "image/png"). */
typedef struct ig_http_part {
    const char *name;
    const char *value;          /* text part when non-NULL */
    const unsigned char *data;  /* file part bytes (borrowed for the call) */
    size_t size;
    const char *filename;
    const char *content_type;
} ig_http_part;

/* Receives the body of a 2xx response as it arrives. Returns 0 to go on,
 * -1 to abort the transfer (then err must be filled). */
typedef int (*ig_http_sink_fn)(void *ctx, const void *data, size_t size,
                               ig_error *err);

typedef struct ig_http_request {
    const char *method;           /* "GET", "POST", "PUT", "DELETE" (NULL = GET);
                                   * GET sends no body; DELETE sends one if given */
    const char *url;
    const char *const *headers;   /* NULL-terminated "Name: value" lines, or NULL;
                                   * set Content-Type for raw bodies (curl's
                                   * default is form-urlencoded) */
    const char *body;             /* raw body (e.g. JSON) or NULL; borrowed */
    size_t body_size;
    const ig_http_part *parts;    /* multipart body when n_parts > 0 (wins over body) */
    size_t n_parts;
    long connect_timeout_ms;      /* 0 = 10 s (never above timeout_ms) */
    long timeout_ms;              /* whole transfer; 0 = 120 s */
    long idle_timeout_ms;         /* abort when no byte moves this long; 0 = 60 s.
                                   * Whole seconds (rounded up); libcurl averages
                                   * speed over ~5 s, so after data has flowed the
                                   * abort can come up to ~5 s late */
    int max_redirects;            /* 0 = do not follow (a 3xx is then the answer).
                                   * Beware: custom headers other than
                                   * Authorization are re-sent to another host */
    uint64_t max_response_bytes;  /* 2xx body cap, sink or memory; 0 = 64 MiB */
    const atomic_bool *cancel;    /* may be NULL */
    ig_http_sink_fn sink;         /* 2xx bodies go here instead of memory */
    void *sink_ctx;
    const char *const *capture_headers; /* NULL-terminated names (at most
                                   * IG_HTTP_MAX_CAPTURED) whose values the
                                   * response keeps, e.g. "finish-reason" */
    const char *field;            /* argument named in errors, or NULL */
    const char *provider;         /* provider name for messages ("openai") */
    bool no_proxy;                /* never through a proxy, whatever the proxy
                                   * environment says (a local server under
                                   * priority privacy must be reached directly) */
} ig_http_request;

#define IG_HTTP_MAX_CAPTURED 4

typedef struct ig_http_response {
    long status;                  /* HTTP status, 0 if none arrived */
    char *body;                   /* malloc'd, NUL-terminated; for non-2xx always
                                   * buffered (first 64 KiB), for 2xx only when
                                   * no sink was given */
    size_t size;
    char content_type[128];
    double retry_after_s;         /* Retry-After (seconds or HTTP date), -1 if absent */
    char request_id[128];         /* x-request-id / request-id header, or "" */
    char captured[IG_HTTP_MAX_CAPTURED][128]; /* values of capture_headers[i], or "" */
    double elapsed_ms;
    bool request_sent;            /* the request went out whole, so even when no
                                   * answer arrived the server may have acted on it
                                   * (an async job may exist and be charged) */
} ig_http_response;

/*
 * Performs the request. Returns 0 whenever an HTTP response arrived (any
 * status: the caller classifies provider errors from status and body; a
 * non-2xx answer whose body broke off still counts), or -1 with err when
 * none did: IG_ERR_CANCELED, IG_ERR_PROVIDER_TIMEOUT (retryable; the message
 * says connect, idle or total timeout), IG_ERR_PROVIDER_NETWORK (DNS,
 * connect, reset, truncated 2xx body, TLS; retryable except TLS
 * verification), IG_ERR_PROVIDER_RESPONSE_TOO_LARGE, IG_ERR_PROVIDER_ERROR
 * (more than max_redirects redirects), IG_ERR_PROVIDER_UNAVAILABLE (not an
 * http(s) URL), IG_ERR_INTERNAL (bad arguments, out of memory), or what the
 * sink reported. Messages read "<provider>: <what> (<url without query>)".
 * *out is filled either way (free it with ig_http_response_free); on -1 it
 * holds no body. Any thread; many requests may run at once.
 */
int ig_http_perform(ig_http *http, const ig_http_request *req,
                    ig_http_response *out, ig_error *err);
void ig_http_response_free(ig_http_response *res);

#endif
