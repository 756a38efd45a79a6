/*
 * http_fetch.h - bounded HTTP(S) GET on libcurl for image inputs.
 *
 * Guards against server-side request forgery: only http and https, every
 * connection's resolved address is checked before connect (so DNS tricks and
 * redirects to 127.0.0.1, 10/8, 169.254/16, ::1, fc00::/7 ... are refused
 * unless allow_private is set), redirects are limited, the body is capped
 * (checked against Content-Length and while streaming), TLS is verified,
 * environment proxies are not used. Thread-safe; uses no global state but
 * curl_global_init, done once.
 */
#ifndef IG_HTTP_FETCH_H
#define IG_HTTP_FETCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ig_error.h"

typedef struct ig_fetch_opts {
    uint64_t max_bytes;      /* body cap (0 = none) */
    long timeout_ms;         /* total transfer (<= 0: 30 s) */
    long connect_timeout_ms; /* (<= 0: 10 s; never above timeout_ms) */
    int max_redirects;       /* 0 = do not follow redirects */
    bool allow_private;
    const atomic_bool *cancel; /* may be NULL */
    const char *field;         /* argument name for errors */
} ig_fetch_opts;

typedef struct ig_fetch_result {
    unsigned char *body; /* owned; free with free() */
    size_t size;
    long http_status;
    char content_type[128];
} ig_fetch_result;

/* User-Agent every request of the extension carries. Static string. */
const char *ig_user_agent(void);

/*
 * GETs url (borrowed) into *out. Returns 0 on a 2xx response, else -1 with err:
 * IG_ERR_URL_REFUSED (scheme, address, too many redirects),
 * IG_ERR_IMAGE_TOO_LARGE (body over max_bytes), IG_ERR_URL_FETCH_FAILED
 * (DNS, connect, timeout, non-2xx status; retryable set for 5xx/timeouts),
 * IG_ERR_CANCELED (the flag is polled at least every 100 ms).
 * Error text never includes URL userinfo or query strings. Messages start
 * with "<field>: ". The Content-Type is reported, not checked.
 */
int ig_http_fetch(const char *url, const ig_fetch_opts *opts,
                  ig_fetch_result *out, ig_error *err);

/*
 * Writes a log-safe form of url to out (cap bytes): userinfo removed, a
 * query becomes "?<redacted>", a fragment "#<redacted>", control characters
 * become '?', and an over-long result is cut with "...". Used in every error.
 */
void ig_url_redact(const char *url, char *out, size_t cap);

/* True when the IPv4/IPv6 socket address is loopback, private, link-local,
 * unique-local, multicast, unspecified, CGNAT or otherwise non-public. */
struct sockaddr;
bool ig_addr_is_private(const struct sockaddr *addr);

#endif
