/*
 * http_fetch.c - see http_fetch.h.
 *
 * One easy handle per call, driven through a private multi handle so that the
 * cancel flag is looked at every 100 ms even while the server sends nothing.
 * The SSRF check lives in the open-socket callback: it sees the address curl
 * is about to connect to (after DNS, for every redirect hop), so neither DNS
 * rebinding nor redirects can reach a private address.
 */
#include "providers/transport/http_fetch.h"
#include "providers/transport/curl_common.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IG_VERSION
#define IG_VERSION "dev"
#endif

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define CANCEL_POLL_MS 100

typedef struct fetch_ctx {
    CURL *easy;
    const ig_fetch_opts *opts;
    unsigned char *buf;
    size_t size, cap;
    bool too_large;       /* the body passed max_bytes */
    bool status_abort;    /* stopped reading an error status's body */
    bool canceled;
    char refused[160];    /* "127.0.0.1 (loopback address)" when refused */
} fetch_ctx;

const char *ig_user_agent(void)
{
    return "agentos-image-generation/" IG_VERSION " (+libcurl)";
}

/* ---- address classification ------------------------------------------ */

typedef struct v4_range {
    uint32_t net;
    int bits;
    const char *label;
} v4_range;

/* Non-public IPv4 ranges; the first match names the address's kind. */
static const v4_range v4_ranges[] = {
    {0xFFFFFFFFu, 32, "broadcast address"},
    {0x00000000u, 8, "\"this network\" address"},
    {0x0A000000u, 8, "private address"},
    {0x64400000u, 10, "carrier-grade NAT address"},
    {0x7F000000u, 8, "loopback address"},
    {0xA9FE0000u, 16, "link-local address"},
    {0xAC100000u, 12, "private address"},
    {0xC0000000u, 24, "IETF protocol address"},
    {0xC0000200u, 24, "documentation address"},
    {0xC0A80000u, 16, "private address"},
    {0xC6120000u, 15, "benchmarking address"},
    {0xC6336400u, 24, "documentation address"},
    {0xCB007100u, 24, "documentation address"},
    {0xE0000000u, 4, "multicast address"},
    {0xF0000000u, 4, "reserved address"},
};

/* Kind of a non-public IPv4 address (host order), or NULL when public. */
static const char *v4_label(uint32_t a)
{
    for (size_t i = 0; i < sizeof v4_ranges / sizeof v4_ranges[0]; i++) {
        uint32_t mask = v4_ranges[i].bits ? ~0u << (32 - v4_ranges[i].bits) : 0;
        if ((a & mask) == v4_ranges[i].net)
            return v4_ranges[i].label;
    }
    return NULL;
}

static uint32_t v4_at(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static bool all_zero(const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* Kind of a non-public IPv6 address, or NULL when public. Addresses that
 * embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by it. */
static const char *v6_label(const unsigned char *b)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
    /* SIIT IPv4-translated ::ffff:0:a.b.c.d (RFC 2765) */
    static const unsigned char translated[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    if (all_zero(b, 16))
        return "unspecified address";
    if (all_zero(b, 15) && b[15] == 1)
        return "loopback address";
    if (!memcmp(b, mapped, 12) || all_zero(b, 12) || !memcmp(b, nat64, 12) ||
        !memcmp(b, translated, 12))
        return v4_label(v4_at(b + 12));
    /* Local-use NAT64 64:ff9b:1::/48 (RFC 8215) and Teredo 2001::/32 reach
     * whatever IPv4 network the translator or relay sits in. */
    if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 1)
        return "local-use NAT64 address";
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        return "Teredo address";
    if (b[0] == 0x20 && b[1] == 0x02) /* 6to4 2002:a.b.c.d::/48 */
        return v4_label(v4_at(b + 2));
    if ((b[0] & 0xfe) == 0xfc)
        return "unique-local address";
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return "link-local address";
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
        return "site-local address";
    if (b[0] == 0xff)
        return "multicast address";
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return "documentation address";
    if (b[0] == 0x01 && all_zero(b + 1, 7)) /* 100::/64 discard */
        return "discard-only address";
    return NULL;
}

/* Kind of any socket address; unknown families count as non-public. */
static const char *addr_label(const struct sockaddr *addr)
{
    if (!addr)
        return "missing address";
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)addr;
        return v4_label(ntohl(in->sin_addr.s_addr));
    }
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)addr;
        return v6_label(in6->sin6_addr.s6_addr);
    }
    return "non-IP address";
}

bool ig_addr_is_private(const struct sockaddr *addr)
{
    return addr_label(addr) != NULL;
}

/* ---- URL redaction ---------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t cap, len;
    bool cut;
} sbuf;

/* Appends n bytes, replacing control characters; notes overflow. */
static void sb_put(sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b->len + 1 >= b->cap) {
            b->cut = true;
            return;
        }
        unsigned char c = (unsigned char)s[i];
        b->p[b->len++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
}

void ig_url_redact(const char *url, char *out, size_t cap)
{
    if (!out || cap == 0)
        return;
    if (!url) {
        snprintf(out, cap, "(none)");
        return;
    }
    sbuf b = {out, cap, 0, false};
    const char *p = url;
    const char *sep = strstr(url, "://");
    if (sep && sep > url && strcspn(url, "/?#") > (size_t)(sep - url)) {
        sb_put(&b, url, (size_t)(sep - url) + 3);
        const char *auth = sep + 3;
        size_t alen = strcspn(auth, "/?#");
        const char *host = auth;
        for (const char *q = auth; q < auth + alen; q++)
            if (*q == '@')
                host = q + 1; /* drop user:password@ */
        sb_put(&b, host, (size_t)(auth + alen - host));
        p = auth + alen;
    }
    size_t plen = strcspn(p, "?#");
    sb_put(&b, p, plen);
    if (p[plen] == '?')
        sb_put(&b, "?<redacted>", 11);
    if (strchr(p + plen, '#'))
        sb_put(&b, "#<redacted>", 11);
    out[b.len] = '\0';
    if (b.cut && cap > 4)
        memcpy(out + cap - 4, "...", 4);
}

/* ---- curl callbacks --------------------------------------------------- */

/* Opens the socket only when the resolved address may be contacted. */
static curl_socket_t on_open_socket(void *userp, curlsocktype purpose,
                                    struct curl_sockaddr *a)
{
    fetch_ctx *c = userp;
    (void)purpose;
    const char *label = addr_label(&a->addr);
    if (label && !c->opts->allow_private) {
        char ip[INET6_ADDRSTRLEN] = "?";
        const void *raw = NULL;
        if (a->family == AF_INET)
            raw = &((const struct sockaddr_in *)(const void *)&a->addr)->sin_addr;
        else if (a->family == AF_INET6)
            raw = &((const struct sockaddr_in6 *)(const void *)&a->addr)->sin6_addr;
        if (raw)
            inet_ntop(a->family, raw, ip, sizeof ip);
        if (!c->refused[0])
            snprintf(c->refused, sizeof c->refused, "%s (%s)", ip, label);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Collects a 2xx body up to max_bytes; stops early on error statuses. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    fetch_ctx *c = userp;
    size_t n = size * nmemb;
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300 && status < 400)
        return n; /* a redirect's body: ignored */
    if (status < 200 || status >= 300) {
        c->status_abort = true;
        return 0;
    }
    uint64_t max = c->opts->max_bytes;
    if (max && (uint64_t)c->size + n > max) {
        c->too_large = true;
        return 0;
    }
    if (c->size + n > c->cap) {
        size_t cap = c->cap ? c->cap : 65536;
        while (cap < c->size + n)
            cap *= 2;
        if (max && cap > max)
            cap = (size_t)max;
        unsigned char *grown = realloc(c->buf, cap);
        if (!grown)
            return 0;
        c->buf = grown;
        c->cap = cap;
    }
    memcpy(c->buf + c->size, data, n);
    c->size += n;
    return n;
}

/* Progress hook: aborts the transfer once the cancel flag is set. */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    fetch_ctx *c = userp;
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    if (c->opts->cancel && atomic_load(c->opts->cancel)) {
        c->canceled = true;
        return 1;
    }
    return 0;
}

/* ---- the request ------------------------------------------------------ */

static bool setup(CURL *h, const char *url, fetch_ctx *c)
{
    const ig_fetch_opts *o = c->opts;
    long timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    long connect = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
                                             : DEFAULT_CONNECT_TIMEOUT_MS;
    if (connect > timeout)
        connect = timeout;
    CURLcode rc = CURLE_OK;
#define SET(opt, val) \
    do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, (long)(o->max_redirects > 0 ? o->max_redirects : 0));
    SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    SET(CURLOPT_OPENSOCKETDATA, c);
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, c);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, c);
    SET(CURLOPT_TIMEOUT_MS, timeout);
    SET(CURLOPT_CONNECTTIMEOUT_MS, connect);
    SET(CURLOPT_USERAGENT, ig_user_agent());
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->max_bytes)
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes);
#undef SET
    return rc == CURLE_OK;
}

/* Runs the transfer on a private multi handle, checking the cancel flag
 * between short polls. */
static CURLcode run(CURL *h, fetch_ctx *c)
{
    CURLM *m = curl_multi_init();
    if (!m)
        return CURLE_OUT_OF_MEMORY;
    CURLcode res = ig_curl_run_cancellable(m, h, c->opts->cancel, CANCEL_POLL_MS,
                                           &c->canceled);
    curl_multi_cleanup(m);
    return res;
}

static bool retryable_code(CURLcode res)
{
    return res == CURLE_OPERATION_TIMEDOUT || res == CURLE_PARTIAL_FILE ||
           res == CURLE_RECV_ERROR || res == CURLE_SEND_ERROR ||
           res == CURLE_GOT_NOTHING;
}

static const char *const hint_fetch =
    "Check that the URL is reachable and points to a PNG, JPEG or WebP image, "
    "or pass the image as a file path or data: URL instead.";

/* Turns a finished transfer into 0 or an ig_error. */
static int report(fetch_ctx *c, CURLcode res, const char *shown, ig_error *err)
{
    const ig_fetch_opts *o = c->opts;
    const char *f = o->field ? o->field : "url";
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    if (c->canceled)
        return ig_fail(err, IG_ERR_CANCELED, o->field,
                       "%s: fetching %s was cancelled", f, shown);
    if (c->refused[0] && res == CURLE_COULDNT_CONNECT) {
        ig_fail(err, IG_ERR_URL_REFUSED, o->field,
                "%s: refused to connect to %s for %s; set "
                "imageGeneration.allowPrivateUrls in the config to allow it",
                f, c->refused, shown);
        ig_error_hint(err, "Only public internet addresses may be fetched. Pass "
                           "a local image as a file path instead of a URL.");
        return -1;
    }
    if (res == CURLE_TOO_MANY_REDIRECTS) {
        ig_fail(err, IG_ERR_URL_REFUSED, o->field,
                "%s: %s redirected more than %d times", f, shown,
                o->max_redirects > 0 ? o->max_redirects : 0);
        ig_error_hint(err, "Pass the final URL of the image directly.");
        return -1;
    }
    if (res == CURLE_UNSUPPORTED_PROTOCOL) {
        ig_fail(err, IG_ERR_URL_REFUSED, o->field,
                "%s: %s led to a scheme other than http or https", f, shown);
        ig_error_hint(err, "%s", hint_fetch);
        return -1;
    }
    if (res == CURLE_FILESIZE_EXCEEDED || c->too_large) {
        ig_fail(err, IG_ERR_IMAGE_TOO_LARGE, o->field,
                "%s: the image at %s is larger than the limit of %llu bytes",
                f, shown, (unsigned long long)o->max_bytes);
        ig_error_hint(err, "Use a smaller image or raise imageGeneration.maxInputBytes.");
        return -1;
    }
    if (res == CURLE_URL_MALFORMAT)
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, o->field,
                       "%s: %s is not a valid http(s) URL", f, shown);
    if (res == CURLE_OK || c->status_abort) {
        if (status >= 200 && status < 300)
            return 0;
        ig_fail(err, IG_ERR_URL_FETCH_FAILED, o->field,
                "%s: server answered HTTP %ld for %s", f, status, shown);
        ig_error_hint(err, "%s", hint_fetch);
        if (err && err->code == IG_ERR_URL_FETCH_FAILED)
            err->retryable = status >= 500 || status == 429 || status == 408;
        return -1;
    }
    if (res == CURLE_OPERATION_TIMEDOUT)
        ig_fail(err, IG_ERR_URL_FETCH_FAILED, o->field,
                "%s: fetching %s timed out after %ld ms", f, shown,
                o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS);
    else if (res == CURLE_PARTIAL_FILE)
        ig_fail(err, IG_ERR_URL_FETCH_FAILED, o->field,
                "%s: the connection closed before the whole body of %s arrived",
                f, shown);
    else
        ig_fail(err, IG_ERR_URL_FETCH_FAILED, o->field,
                "%s: fetching %s failed: %s", f, shown, curl_easy_strerror(res));
    ig_error_hint(err, "%s", hint_fetch);
    if (err && err->code == IG_ERR_URL_FETCH_FAILED)
        err->retryable = retryable_code(res);
    return -1;
}

int ig_http_fetch(const char *url, const ig_fetch_opts *opts,
                  ig_fetch_result *out, ig_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!url || !opts || !out)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "ig_http_fetch: bad arguments");
    const char *f = opts->field ? opts->field : "url";
    char shown[512];
    ig_url_redact(url, shown, sizeof shown);
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
        ig_fail(err, IG_ERR_URL_REFUSED, opts->field,
                "%s: %s is not an http or https URL", f, shown);
        ig_error_hint(err, "%s", hint_fetch);
        return -1;
    }
    CURL *h = ig_curl_global_init() ? curl_easy_init() : NULL;
    if (!h)
        return ig_fail(err, IG_ERR_INTERNAL, opts->field, "libcurl failed to start");
    fetch_ctx c = {.easy = h, .opts = opts};
    int rc;
    if (!setup(h, url, &c)) {
        rc = ig_fail(err, IG_ERR_INTERNAL, opts->field,
                     "libcurl rejected the request options");
    } else {
        CURLcode res = run(h, &c);
        rc = report(&c, res, shown, err);
    }
    if (rc == 0) {
        const char *ct = NULL;
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(out->content_type, sizeof out->content_type, "%s", ct ? ct : "");
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->http_status);
        out->body = c.buf;
        out->size = c.size;
    } else {
        free(c.buf);
    }
    curl_easy_cleanup(h);
    return rc;
}
