/*
 * emulator_core.c - the daemon, request collection and fault dispatch of the
 * loopback emulators (see emulator_core.h). Faults, the request log and the
 * control paths live in emulator_state.c.
 */
#include "emulators/emulator_core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "emulators/emulator_internal.h"

#define DEFAULT_JSON_CAP (1u << 20)
#define DEFAULT_MULTIPART_CAP (64u << 20)

/* Per-request collection state (MHD's *con_cls). */
typedef struct conn_state {
    char *method, *path, *content_type;
    struct MHD_PostProcessor *pp;
    bool multipart, bad_form, too_big, last_call_empty;
    unsigned char *body;
    size_t body_size, body_cap, received;
    emu_part *parts;
    size_t part_count, part_cap;
} conn_state;

/* Body of a truncated answer: the bytes and how many of them to send. */
typedef struct half_body {
    unsigned char *data;
    size_t send;
} half_body;

static const char malformed_json[] = "{\"created\": 1700000000, \"data\": [{\"b64_json\": \"iVBORw0KGgo";

/* Grows a byte buffer to hold `need` more bytes plus a NUL. */
static void grow(unsigned char **buf, size_t *cap, size_t used, size_t need)
{
    if (used + need + 1 <= *cap)
        return;
    size_t n = *cap ? *cap : 1024;
    while (n < used + need + 1)
        n *= 2;
    unsigned char *p = realloc(*buf, n);
    if (!p)
        abort();
    *buf = p;
    *cap = n;
}

/* MHD post iterator: a part starts at off 0 and continues at off > 0. */
static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data,
                               uint64_t off, size_t size)
{
    conn_state *st = cls;
    (void)kind, (void)transfer_encoding;
    emu_part *last = st->part_count ? &st->parts[st->part_count - 1] : NULL;
    /* MHD may announce a part with an empty call before its data at off 0. */
    bool continues = last && (off > 0 || (st->last_call_empty && !strcmp(last->name, key ? key : "")));
    st->last_call_empty = off == 0 && size == 0;
    if (!continues) {
        if (st->part_count == st->part_cap) {
            st->part_cap = st->part_cap ? st->part_cap * 2 : 8;
            emu_part *p = realloc(st->parts, st->part_cap * sizeof *p);
            if (!p)
                abort();
            st->parts = p;
        }
        last = &st->parts[st->part_count++];
        memset(last, 0, sizeof *last);
        last->name = emu_xstrdup(key ? key : "");
        last->filename = emu_xstrdup(filename ? filename : "");
        last->content_type = emu_xstrdup(content_type ? content_type : "");
        last->data = emu_xalloc(1);
        last->data[0] = 0;
    }
    size_t cap = last->size + 1;
    grow(&last->data, &cap, last->size, size);
    memcpy(last->data + last->size, data, size);
    last->size += size;
    last->data[last->size] = 0;
    return MHD_YES;
}

/* Frees a connection's collection state (MHD completion callback). */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    conn_state *st = *con_cls;
    if (!st)
        return;
    if (st->pp)
        MHD_destroy_post_processor(st->pp);
    for (size_t i = 0; i < st->part_count; i++) {
        free(st->parts[i].name);
        free(st->parts[i].filename);
        free(st->parts[i].content_type);
        free(st->parts[i].data);
    }
    free(st->parts);
    free(st->body);
    free(st->method);
    free(st->path);
    free(st->content_type);
    free(st);
    *con_cls = NULL;
}

/* Truncated answer body: the first half, then an error that drops the link. */
static ssize_t read_half(void *cls, uint64_t pos, char *buf, size_t max)
{
    half_body *h = cls;
    if (pos >= h->send)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = h->send - (size_t)pos < max ? h->send - (size_t)pos : max;
    memcpy(buf, h->data + pos, n);
    return (ssize_t)n;
}

/* Frees a truncated answer's body. */
static void free_half(void *cls)
{
    half_body *h = cls;
    free(h->data);
    free(h);
}

/* What an upgraded connection runs (the response's upgrade hook). */
typedef struct upgrade_call {
    emu_upgrade_fn fn;
    void *ctx;
} upgrade_call;

/* MHD upgrade handler: runs the provider's hook on this connection's
 * thread, then closes the connection. */
static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls,
                       const char *extra_in, size_t extra_in_size, MHD_socket sock,
                       struct MHD_UpgradeResponseHandle *urh)
{
    (void)conn, (void)con_cls;
    upgrade_call *call = cls;
    call->fn(call->ctx, sock, extra_in, extra_in_size);
    free(call);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

/* Sends out (freeing it); truncated = announce the full length, send half. */
static enum MHD_Result send_response(struct MHD_Connection *conn, emu_response *out,
                                     bool truncated)
{
    struct MHD_Response *resp;
    if (out->upgrade) {
        upgrade_call *call = emu_xalloc(sizeof *call);
        *call = (upgrade_call){out->upgrade, out->upgrade_ctx};
        resp = MHD_create_response_for_upgrade(on_upgrade, call);
        if (!resp)
            free(call), free(out->upgrade_ctx);
    } else if (truncated) {
        half_body *h = emu_xalloc(sizeof *h);
        h->data = out->body;
        h->send = out->size / 2;
        out->body = NULL;
        resp = MHD_create_response_from_callback(out->size, 4096, read_half, h, free_half);
    } else {
        resp = MHD_create_response_from_buffer(out->size, out->body ? out->body : (void *)"",
                                               out->body ? MHD_RESPMEM_MUST_FREE
                                                         : MHD_RESPMEM_PERSISTENT);
        out->body = NULL;
    }
    if (!resp) {
        emu_response_clear(out);
        return MHD_NO;
    }
    if (!out->upgrade)
        MHD_add_response_header(resp, "Content-Type",
                                out->content_type ? out->content_type : "application/json");
    for (size_t i = 0; i < out->header_count; i++)
        MHD_add_response_header(resp, out->header_names[i], out->header_values[i]);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)out->status, resp);
    MHD_destroy_response(resp);
    emu_response_clear(out);
    return rc;
}

/* Holds a request for a timeout fault; true when released by stop. */
static bool hold(emu_server *s, int delay_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += delay_ms / 1000;
    until.tv_nsec += (long)(delay_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        if (delay_ms <= 0)
            pthread_cond_wait(&s->changed, &s->lock);
        else if (pthread_cond_timedwait(&s->changed, &s->lock, &until) == ETIMEDOUT)
            break;
    }
    bool stopped = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return stopped;
}

/* Fills the 429 extras every provider's rate limit answer carries. */
static void rate_limit_headers(emu_response *out, const emu_fault *f)
{
    char v[32];
    if (f->retry_after >= 0) {
        snprintf(v, sizeof v, "%d", f->retry_after);
        emu_response_header(out, "Retry-After", v);
    }
    emu_response_header(out, "x-ratelimit-limit-requests", "5");
    emu_response_header(out, "x-ratelimit-remaining-requests", "0");
    snprintf(v, sizeof v, "%ds", f->retry_after > 0 ? f->retry_after : 1);
    emu_response_header(out, "x-ratelimit-reset-requests", v);
    emu_response_header(out, "x-ratelimit-limit-tokens", "100000");
    emu_response_header(out, "x-ratelimit-remaining-tokens", "0");
    emu_response_header(out, "x-ratelimit-reset-tokens", v);
}

/* Decides the answer of a complete request: control path, fault or handler. */
static enum MHD_Result finish(emu_server *s, struct MHD_Connection *conn, conn_state *st)
{
    const char *auth = s->cfg.auth_header
                           ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND, s->cfg.auth_header)
                           : NULL;
    emu_request req = {
        .method = st->method, .path = st->path, .content_type = st->content_type,
        .body = st->body ? st->body : (const unsigned char *)"", .body_size = st->body_size,
        .parts = st->parts, .part_count = st->part_count, .multipart = st->multipart,
        .auth = !s->cfg.auth_header ? EMU_AUTH_NOT_CHECKED
                : !auth             ? EMU_AUTH_ABSENT
                : !strcmp(auth, s->cfg.auth_value ? s->cfg.auth_value : "")
                    ? EMU_AUTH_MATCHED
                    : EMU_AUTH_MISMATCHED,
        .auth_presented = auth, .connection = conn};
    emu_response out = {0};
    if (emu_control(s, &req, &out))
        return send_response(conn, &out, false);

    size_t idx = emu_log_append(
        s, &req, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent"),
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept"),
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key"));
    emu_fault f = {0};
    bool faulted = emu_fault_take(s, st->path, &f);
    bool truncated = false;
    if (st->too_big || st->bad_form) {
        s->cfg.error_response(s->cfg.ctx, st->too_big ? 413 : 400,
                              st->too_big ? "The request body is too large."
                                          : "Could not parse the multipart form.",
                              &out);
        emu_log_finish(s, idx, out.status, f.kind);
        return send_response(conn, &out, false);
    }
    switch (faulted ? f.kind : EMU_FAULT_NONE) {
    case EMU_FAULT_RESET:
        emu_log_finish(s, idx, -1, f.kind);
        return MHD_NO;
    case EMU_FAULT_TIMEOUT:
        if (hold(s, f.delay_ms)) {
            emu_log_finish(s, idx, -1, f.kind);
            return MHD_NO;
        }
        s->cfg.handler(s->cfg.ctx, &req, &out);
        break;
    case EMU_FAULT_429:
        rate_limit_headers(&out, &f);
        /* fall through */
    case EMU_FAULT_500:
    case EMU_FAULT_502:
    case EMU_FAULT_503:
    case EMU_FAULT_MODERATION:
    case EMU_FAULT_EXPIRED:
    case EMU_FAULT_QUOTA:
    case EMU_FAULT_INVALID:
        s->cfg.fault_response(s->cfg.ctx, &req, &f, &out);
        break;
    case EMU_FAULT_MALFORMED:
        emu_respond_bytes(&out, 200, "application/json", malformed_json, sizeof malformed_json - 1);
        break;
    case EMU_FAULT_TRUNCATE:
        truncated = true;
        s->cfg.handler(s->cfg.ctx, &req, &out);
        break;
    case EMU_FAULT_NONE:
        s->cfg.handler(s->cfg.ctx, &req, &out);
        break;
    }
    emu_log_finish(s, idx, out.status, faulted ? f.kind : EMU_FAULT_NONE);
    return send_response(conn, &out, truncated);
}

/* Starts collecting a request whose headers just arrived. */
static conn_state *begin(emu_server *s, struct MHD_Connection *conn, const char *url,
                         const char *method)
{
    conn_state *st = emu_xalloc(sizeof *st);
    memset(st, 0, sizeof *st);
    st->method = emu_xstrdup(method);
    st->path = emu_xstrdup(url);
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    st->content_type = emu_xstrdup(ct ? ct : "");
    if (ct && !strncasecmp(ct, "multipart/form-data", 19)) {
        st->multipart = true;
        st->pp = MHD_create_post_processor(conn, 64 * 1024, on_part, st);
        st->bad_form = st->pp == NULL;
    }
    (void)s;
    return st;
}

/* MHD access handler: collect the body, then answer once it is complete. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    emu_server *s = cls;
    (void)version;
    conn_state *st = *con_cls;
    if (!st) {
        *con_cls = begin(s, conn, url, method);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        size_t cap = st->multipart ? s->cfg.max_multipart_body : s->cfg.max_json_body;
        st->received += n;
        if (st->received > cap)
            st->too_big = true;
        if (st->too_big || st->bad_form) {
            /* drop the rest */
        } else if (st->pp) {
            if (MHD_post_process(st->pp, upload, n) != MHD_YES)
                st->bad_form = true;
        } else {
            grow(&st->body, &st->body_cap, st->body_size, n);
            memcpy(st->body + st->body_size, upload, n);
            st->body_size += n;
            st->body[st->body_size] = 0;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return finish(s, conn, st);
}

emu_server *emu_server_start(const emu_config *config)
{
    if (!config || !config->handler || !config->fault_response || !config->error_response)
        return NULL;
    emu_server *s = emu_xalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->cfg = *config;
    s->cfg.auth_header = config->auth_header ? emu_xstrdup(config->auth_header) : NULL;
    s->cfg.auth_value = config->auth_value ? emu_xstrdup(config->auth_value) : NULL;
    if (!s->cfg.max_json_body)
        s->cfg.max_json_body = DEFAULT_JSON_CAP;
    if (!s->cfg.max_multipart_body)
        s->cfg.max_multipart_body = DEFAULT_MULTIPART_CAP;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->changed, &attr);
    pthread_condattr_destroy(&attr);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)(config->port > 0 ? config->port : 0));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
            MHD_ALLOW_UPGRADE, /* websockets (the ComfyUI emulator's /ws) */
        0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        s->daemon ? MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info || !info->port) {
        s->stopping = true;
        emu_server_stop(s);
        return NULL;
    }
    s->port = info->port;
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
    return s;
}

void emu_server_stop(emu_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    emu_state_free(s);
    free((char *)s->cfg.auth_header);
    free((char *)s->cfg.auth_value);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
    free(s);
}

int emu_server_port(const emu_server *s)
{
    return s->port;
}

const char *emu_server_url(const emu_server *s)
{
    return s->url;
}
