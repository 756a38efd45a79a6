/*
 * http_client.c - see http_client.h. Handles, request options and the
 * transfer loop; http_client_recv.c reads responses and http_client_errors.c
 * words failures.
 *
 * Sharing. DNS answers and TLS sessions live in one CURLSH share handle with
 * a mutex per kind of data, so every thread benefits from them. Connections
 * are NOT put in the share (CURL_LOCK_DATA_CONNECT): libcurl documents a
 * shared connection cache as unsupported between concurrent threads (its
 * known bug "A shared connection cache is not thread-safe", still present in
 * 7.88). Instead each request borrows a multi handle from a small pool: a
 * multi handle keeps the connections of the transfers that ran on it, only
 * one request at a time uses a given multi, and the next request on it
 * reuses its idle connections. Same reuse for sequential calls, no race.
 *
 * Proxies. Unlike ig_http_fetch (image inputs, which must never be steered
 * through a proxy past the SSRF check), provider calls honour the standard
 * proxy environment variables (https_proxy, HTTPS_PROXY, http_proxy,
 * NO_PROXY ...): corporate networks often only reach the internet that way.
 *
 * Encoding. No Accept-Encoding is sent: responses carry already-compressed
 * images, so identity is cheapest and keeps size caps honest.
 */
#include "providers/transport/http_client.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "providers/transport/curl_common.h"
#include "providers/transport/http_client_internal.h"
#include "providers/transport/http_fetch.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 120000L
#define DEFAULT_IDLE_TIMEOUT_MS 60000L
#define DEFAULT_MAX_RESPONSE_BYTES ((uint64_t)64 * 1024 * 1024)
#define CANCEL_POLL_MS 50
#define POOL_MAX 16 /* idle multi handles kept (each with its connections) */

struct ig_http {
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_lock;
    CURLM *pool[POOL_MAX];
    size_t pooled;
    const ig_redactor *redactor;
};

/* ---- the client ------------------------------------------------------- */

/* Share-handle lock callback: one mutex per kind of shared data. */
static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access,
                       void *userp)
{
    ig_http *http = userp;
    (void)h, (void)access;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&http->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userp)
{
    ig_http *http = userp;
    (void)h;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&http->locks[data]);
}

ig_http *ig_http_new(const ig_redactor *redactor, ig_error *err)
{
    if (!ig_curl_global_init()) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "libcurl failed to initialise");
        return NULL;
    }
    ig_http *http = calloc(1, sizeof *http);
    if (!http) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory creating the HTTP client");
        return NULL;
    }
    http->redactor = redactor;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&http->locks[i], NULL);
    pthread_mutex_init(&http->pool_lock, NULL);
    http->share = curl_share_init();
    CURLSHcode rc = http->share ? CURLSHE_OK : CURLSHE_NOMEM;
    if (rc == CURLSHE_OK)
        rc = curl_share_setopt(http->share, CURLSHOPT_LOCKFUNC, share_lock);
    if (rc == CURLSHE_OK)
        rc = curl_share_setopt(http->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    if (rc == CURLSHE_OK)
        rc = curl_share_setopt(http->share, CURLSHOPT_USERDATA, http);
    if (rc == CURLSHE_OK)
        rc = curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    if (rc == CURLSHE_OK)
        rc = curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    if (rc != CURLSHE_OK) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "libcurl share handle: %s",
                curl_share_strerror(rc));
        ig_http_free(http);
        return NULL;
    }
    return http;
}

void ig_http_free(ig_http *http)
{
    if (!http)
        return;
    for (size_t i = 0; i < http->pooled; i++)
        curl_multi_cleanup(http->pool[i]); /* closes its idle connections */
    if (http->share)
        curl_share_cleanup(http->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&http->locks[i]);
    pthread_mutex_destroy(&http->pool_lock);
    free(http);
}

/* Borrows a multi handle (with its warm connections) or makes a new one. */
static CURLM *pool_take(ig_http *http)
{
    CURLM *m = NULL;
    pthread_mutex_lock(&http->pool_lock);
    if (http->pooled)
        m = http->pool[--http->pooled];
    pthread_mutex_unlock(&http->pool_lock);
    return m ? m : curl_multi_init();
}

/* Returns a multi handle for the next request; drops it when the pool is full. */
static void pool_give(ig_http *http, CURLM *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&http->pool_lock);
    if (http->pooled < POOL_MAX) {
        http->pool[http->pooled++] = m;
        m = NULL;
    }
    pthread_mutex_unlock(&http->pool_lock);
    if (m)
        curl_multi_cleanup(m);
}

/* ---- request options -------------------------------------------------- */

/* Multipart file part reader: serves the caller's buffer without a copy. */
static size_t part_read(char *buf, size_t size, size_t nitems, void *arg)
{
    ig_http_part_reader *r = arg;
    size_t want = size * nitems, left = r->size - r->pos;
    size_t n = want < left ? want : left;
    if (n)
        memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return n;
}

/* Lets curl rewind a file part (resent after a redirect or a stale connection). */
static int part_seek(void *arg, curl_off_t offset, int origin)
{
    ig_http_part_reader *r = arg;
    curl_off_t base = origin == SEEK_SET ? 0
                      : origin == SEEK_CUR ? (curl_off_t)r->pos
                      : origin == SEEK_END ? (curl_off_t)r->size : -1;
    if (base < 0 || offset < -base || offset > (curl_off_t)r->size - base)
        return CURL_SEEKFUNC_FAIL;
    r->pos = (size_t)(base + offset);
    return CURL_SEEKFUNC_OK;
}

/* Builds the multipart/form-data body from the caller's parts. */
static bool build_mime(ig_http_xfer *x)
{
    const ig_http_request *req = x->req;
    x->mime = curl_mime_init(x->easy);
    x->readers = calloc(req->n_parts, sizeof *x->readers);
    if (!x->mime || !x->readers)
        return false;
    for (size_t i = 0; i < req->n_parts; i++) {
        const ig_http_part *p = &req->parts[i];
        curl_mimepart *mp = curl_mime_addpart(x->mime);
        if (!mp || curl_mime_name(mp, p->name) != CURLE_OK)
            return false;
        CURLcode rc;
        if (p->value) {
            rc = curl_mime_data(mp, p->value, CURL_ZERO_TERMINATED);
        } else {
            x->readers[i] = (ig_http_part_reader){p->data, p->data ? p->size : 0, 0};
            rc = curl_mime_data_cb(mp, (curl_off_t)x->readers[i].size, part_read,
                                   part_seek, NULL, &x->readers[i]);
        }
        if (rc == CURLE_OK && p->filename)
            rc = curl_mime_filename(mp, p->filename);
        if (rc == CURLE_OK && p->content_type)
            rc = curl_mime_type(mp, p->content_type);
        if (rc != CURLE_OK)
            return false;
    }
    return true;
}

/* Method and body: GET, POST/PUT (raw body or multipart), DELETE. */
static bool set_method(ig_http_xfer *x, const char *method)
{
    const ig_http_request *req = x->req;
    CURL *h = x->easy;
    bool has_body = req->n_parts > 0 || req->body;
    CURLcode rc = CURLE_OK;
    if (!strcmp(method, "GET"))
        return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    if (!strcmp(method, "POST") || !strcmp(method, "PUT") || has_body) {
        if (req->n_parts > 0) {
            if (!build_mime(x))
                return false;
            rc = curl_easy_setopt(h, CURLOPT_MIMEPOST, x->mime);
        } else {
            rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                                  (curl_off_t)(req->body ? req->body_size : 0));
            if (rc == CURLE_OK)
                rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        }
    }
    if (rc == CURLE_OK && strcmp(method, "POST") != 0)
        rc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    return rc == CURLE_OK;
}

/* Request headers: the caller's lines, minus 100-continue. */
static bool set_headers(ig_http_xfer *x)
{
    for (const char *const *line = x->req->headers; line && *line; line++) {
        struct curl_slist *next = curl_slist_append(x->headers, *line);
        if (!next)
            return false;
        x->headers = next;
    }
    struct curl_slist *next = curl_slist_append(x->headers, "Expect:");
    if (!next)
        return false;
    x->headers = next;
    return curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers) == CURLE_OK;
}

/* Every option of the easy handle; false when curl refused one. */
static bool setup(ig_http *http, ig_http_xfer *x, const char *method)
{
    const ig_http_request *req = x->req;
    CURL *h = x->easy;
    CURLcode rc = CURLE_OK;
#define SET(opt, val) \
    do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_SHARE, http->share);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, x->following ? 1L : 0L);
    SET(CURLOPT_MAXREDIRS, (long)(x->following ? req->max_redirects : 0));
    SET(CURLOPT_CONNECTTIMEOUT_MS, x->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, x->timeout_ms);
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L); /* idle: under 1 byte/s for ... */
    SET(CURLOPT_LOW_SPEED_TIME, (x->idle_timeout_ms + 999) / 1000); /* ... seconds */
    SET(CURLOPT_USERAGENT, ig_user_agent());
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L); /* a proxy's CONNECT answer is not ours */
    if (req->no_proxy)
        SET(CURLOPT_NOPROXY, "*");
    SET(CURLOPT_TCP_KEEPALIVE, 1L); /* providers may think for minutes */
    SET(CURLOPT_HEADERFUNCTION, ig_http_on_header);
    SET(CURLOPT_HEADERDATA, x);
    SET(CURLOPT_WRITEFUNCTION, ig_http_on_body);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
#undef SET
    return rc == CURLE_OK && set_headers(x) && set_method(x, method);
}

/* ---- the transfer ----------------------------------------------------- */

/* Drives the easy handle on m, looking at the cancel flag between short polls. */
static CURLcode run(CURLM *m, ig_http_xfer *x)
{
    return ig_curl_run_cancellable(m, x->easy, x->req->cancel, CANCEL_POLL_MS, &x->canceled);
}

/* The canonical method name, or NULL when unsupported. */
static const char *canonical_method(const char *method)
{
    static const char *const known[] = {"GET", "POST", "PUT", "DELETE"};
    if (!method)
        return "GET";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcasecmp(method, known[i]))
            return known[i];
    return NULL;
}

/* Limits with the documented defaults filled in. */
static void apply_defaults(ig_http_xfer *x)
{
    const ig_http_request *req = x->req;
    x->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
    x->connect_timeout_ms =
        req->connect_timeout_ms > 0 ? req->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    if (x->connect_timeout_ms > x->timeout_ms)
        x->connect_timeout_ms = x->timeout_ms;
    x->idle_timeout_ms =
        req->idle_timeout_ms > 0 ? req->idle_timeout_ms : DEFAULT_IDLE_TIMEOUT_MS;
    x->cap = req->max_response_bytes ? req->max_response_bytes : DEFAULT_MAX_RESPONSE_BYTES;
    x->following = req->max_redirects > 0;
}

int ig_http_perform(ig_http *http, const ig_http_request *req,
                    ig_http_response *out, ig_error *err)
{
    if (out) {
        memset(out, 0, sizeof *out);
        out->retry_after_s = -1;
    }
    if (!http || !req || !req->url || !out || (req->n_parts && !req->parts))
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "ig_http_perform: bad arguments");
    const char *method = canonical_method(req->method);
    if (!method)
        return ig_fail(err, IG_ERR_INTERNAL, req->field,
                       "ig_http_perform: unsupported method");
    ig_http_xfer x = {.req = req, .res = out, .redactor = http->redactor};
    apply_defaults(&x);
    x.easy = curl_easy_init();
    int rc;
    if (!x.easy || !setup(http, &x, method)) {
        rc = ig_fail(err, IG_ERR_INTERNAL, req->field,
                     "libcurl could not set up the request (out of memory?)");
    } else {
        CURLM *m = pool_take(http);
        CURLcode res = m ? run(m, &x) : CURLE_OUT_OF_MEMORY;
        pool_give(http, m);
        curl_off_t total_us = 0, upload_bytes = 0;
        long header_bytes = 0;
        curl_easy_getinfo(x.easy, CURLINFO_TOTAL_TIME_T, &total_us);
        curl_easy_getinfo(x.easy, CURLINFO_REQUEST_SIZE, &header_bytes);
        curl_easy_getinfo(x.easy, CURLINFO_SIZE_UPLOAD_T, &upload_bytes);
        out->elapsed_ms = (double)total_us / 1000.0;
        /* The headers went out, and the body too when there is one. */
        bool has_body = req->n_parts || (req->body && req->body_size);
        out->request_sent = header_bytes > 0 && (!has_body || upload_bytes > 0);
        rc = ig_http_report(&x, res, err);
    }
    bool to_sink = req->sink && out->status >= 200 && out->status < 300;
    if (rc == 0 && !to_sink) {
        out->body = x.buf ? x.buf : calloc(1, 1);
        out->size = x.len;
        x.buf = NULL;
        if (!out->body)
            rc = ig_fail(err, IG_ERR_INTERNAL, req->field, "out of memory");
    }
    free(x.buf);
    curl_easy_cleanup(x.easy); /* before the mime and headers it points to */
    curl_mime_free(x.mime);
    for (struct curl_slist *h = x.headers; h; h = h->next) /* they may hold keys */
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(x.headers);
    free(x.readers);
    return rc;
}

void ig_http_response_free(ig_http_response *res)
{
    if (!res)
        return;
    free(res->body);
    res->body = NULL;
    res->size = 0;
}
