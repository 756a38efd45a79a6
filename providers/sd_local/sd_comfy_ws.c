/*
 * sd_comfy_ws.c - a small RFC 6455 client for ComfyUI's progress socket,
 * GET /ws?clientId= (see sd_comfy.h). Plain sockets: libcurl 7.88 has no
 * websocket API, and ComfyUI listens on plain HTTP on the local machine
 * (an https base URL simply goes without the socket). Only what ComfyUI
 * needs: the handshake (Sec-WebSocket-Accept checked), masked client
 * frames, text frames, ping/pong and close; no extensions, no fragments
 * beyond skipping continuation frames. The socket only adds progress: the
 * caller still polls /history, so a socket that fails changes nothing.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/json_text.h"
#include "providers/sd_local/sd_comfy.h"
#include "providers/sd_local/sd_comfy_ws_internal.h"
#include "providers/transport/base64_stream.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_BUF (1u << 20) /* frames above this are skipped: no progress frame is */
/* Larger frames drop the socket: ComfyUI's biggest (preview images) are a
 * few MiB, and skipping gigabytes would only hold the pong back. */
#define WS_MAX_FRAME (256ull << 20)

struct comfy_ws {
    int fd;
    unsigned char *buf;
    size_t len;
    uint64_t skip;   /* bytes of an oversized frame still to drop (64-bit lengths) */
    bool fragmented; /* inside a fragmented message, which is skipped */
};

/* Splits "http://host[:port][/prefix]"; false for anything else, such as
 * "http://user:pw@host/" (dialing "user" with our Basic header would hand
 * the credentials to the wrong host; libcurl, for the rest, knows better). */
static bool split_url(const char *url, char *host, size_t host_cap, char *port,
                      size_t port_cap, char *prefix, size_t prefix_cap)
{
    if (strncasecmp(url, "http://", 7))
        return false;
    const char *h = url + 7, *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    if (memchr(h, '@', hl)) /* userinfo: the host is behind the '@', not ours to guess */
        return false;
    const char *colon = memchr(h, ':', hl);
    if (h[0] == '[') /* IPv6 literal */
        colon = memchr(h, ']', hl) ? strchr(memchr(h, ']', hl), ':') : NULL;
    size_t name = colon && colon < h + hl ? (size_t)(colon - h) : hl;
    if (!name || name >= host_cap)
        return false;
    if (port_cap < 6 || hl - name > port_cap || (slash && strlen(slash) >= prefix_cap))
        return false; /* never a cut port or path */
    bool bracketed = h[0] == '[' && name >= 2;
    snprintf(host, host_cap, "%.*s", (int)(bracketed ? name - 2 : name), bracketed ? h + 1 : h);
    snprintf(port, port_cap, "%.*s", colon && colon < h + hl ? (int)(hl - name - 1) : 2,
             colon && colon < h + hl ? colon + 1 : "80");
    snprintf(prefix, prefix_cap, "%s", slash ? slash : "");
    size_t pl = strlen(prefix);
    if (pl && prefix[pl - 1] == '/')
        prefix[pl - 1] = '\0';
    return true;
}

/* Connects with a timeout; -1 when it cannot. */
static int dial(const char *host, const char *port, int timeout_ms)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *list = NULL;
    if (getaddrinfo(host, port, &hints, &list) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = list; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        struct pollfd p = {fd, POLLOUT, 0};
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (errno != EINPROGRESS || poll(&p, 1, timeout_ms) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    return fd;
}

/* Writes all of data within timeout_ms. */
static bool send_all(int fd, const void *data, size_t size, int timeout_ms)
{
    const unsigned char *p = data;
    while (size) {
        ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd w = {fd, POLLOUT, 0};
            if (poll(&w, 1, timeout_ms) != 1)
                return false;
            continue;
        }
        if (n <= 0)
            return false;
        p += n, size -= (size_t)n;
    }
    return true;
}

/* One masked client frame (RFC 6455 5.3: every client frame is masked). */
static bool send_frame(comfy_ws *ws, int opcode, const void *payload, size_t size)
{
    unsigned char frame[6 + 125];
    uint32_t key = 0;
    if (size > 125 || getrandom(&key, sizeof key, 0) != (ssize_t)sizeof key)
        return false;
    frame[0] = (unsigned char)(0x80 | opcode);
    frame[1] = (unsigned char)(0x80 | size);
    memcpy(frame + 2, &key, 4);
    for (size_t i = 0; i < size; i++)
        frame[6 + i] = ((const unsigned char *)payload)[i] ^ frame[2 + i % 4];
    return send_all(ws->fd, frame, 6 + size, 2000);
}

/* The Sec-WebSocket-Accept a key must get back. */
static void expected_accept(const char *key, char *out, size_t cap)
{
    char joined[128];
    snprintf(joined, sizeof joined, "%s" WS_GUID, key);
    guint8 digest[20];
    gsize n = sizeof digest;
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(sum, (const guchar *)joined, (gssize)strlen(joined));
    g_checksum_get_digest(sum, digest, &n);
    g_checksum_free(sum);
    char *b64 = ig_base64_encode(digest, n, "");
    snprintf(out, cap, "%s", b64 ? b64 : "");
    free(b64);
}

/* Reads the answer head; true when it is a 101 with the right accept. */
static bool handshake_answer(comfy_ws *ws, const char *accept, int timeout_ms)
{
    char head[4096];
    size_t len = 0;
    while (len + 1 < sizeof head) {
        struct pollfd p = {ws->fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) != 1)
            return false;
        ssize_t n = recv(ws->fd, head + len, sizeof head - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
        head[len] = '\0';
        char *end = strstr(head, "\r\n\r\n");
        if (!end)
            continue;
        size_t used = (size_t)(end + 4 - head);
        memcpy(ws->buf, head + used, len - used); /* frames right behind the head */
        ws->len = len - used;
        *end = '\0';
        if (strncmp(head, "HTTP/1.1 101", 12))
            return false;
        for (char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n"))
            if (!strncasecmp(line + 2, "Sec-WebSocket-Accept:", 21)) {
                const char *v = line + 23;
                while (*v == ' ')
                    v++;
                return !strncmp(v, accept, strlen(accept));
            }
        return false;
    }
    return false;
}

comfy_ws *ig_comfy_ws_open(const ig_backend_ctx *ctx, const char *client_id, int timeout_ms)
{
    char host[256], port[16], prefix[512];
    if (!split_url(ctx->base_url, host, sizeof host, port, sizeof port, prefix, sizeof prefix))
        return NULL;
    comfy_ws *ws = ig_comfy_ws_adopt(-1);
    if (!ws)
        return NULL;
    ws->fd = dial(host, port, timeout_ms);
    unsigned char nonce[16];
    char *key = ws->fd >= 0 && getrandom(nonce, sizeof nonce, 0) == (ssize_t)sizeof nonce
                    ? ig_base64_encode(nonce, sizeof nonce, "") : NULL;
    bool ok = key != NULL;
    if (ok) {
        char auth[1024], request[2400], accept[64];
        ok = ig_sd_local_auth_header(ctx, auth, sizeof auth);
        int n = snprintf(request, sizeof request,
                         "GET %s/ws?clientId=%s HTTP/1.1\r\nHost: %s:%s\r\n"
                         "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s%s\r\n",
                         prefix, client_id, host, port, key, auth, auth[0] ? "\r\n" : "");
        ok = ok && n > 0 && (size_t)n < sizeof request &&
             send_all(ws->fd, request, (size_t)n, timeout_ms);
        /* explicit_bzero: plain memsets of dead buffers may be optimised away */
        explicit_bzero(auth, sizeof auth);
        explicit_bzero(request, sizeof request);
        expected_accept(key, accept, sizeof accept);
        ok = ok && handshake_answer(ws, accept, timeout_ms);
    }
    free(key);
    if (!ok) {
        ig_comfy_ws_close(ws);
        return NULL;
    }
    return ws;
}

void ig_comfy_ws_close(comfy_ws *ws)
{
    if (!ws)
        return;
    if (ws->fd >= 0) {
        send_frame(ws, 8, "\x03\xe8", 2); /* 1000: normal closure */
        close(ws->fd);
    }
    free(ws->buf);
    free(ws);
}

/* A number of a progress frame as a step count in 0..cap (NaN, infinities
 * and non-numbers are 0: (int) of those is undefined). */
static int step_count(const cJSON *item, int cap)
{
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) || item->valuedouble < 0)
        return 0;
    return item->valuedouble > cap ? cap : (int)item->valuedouble;
}

/* Applies one text frame about prompt_id to ev. */
static void apply(const char *text, size_t size, const char *prompt_id, comfy_ws_event *ev)
{
    cJSON *doc = cJSON_ParseWithLength(text, size);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "type"));
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, "prompt_id"));
    if (type && id && !strcmp(id, prompt_id)) {
        if (!strcmp(type, "progress")) {
            /* clamped so that the caller's fraction value/max stays in 0..1 */
            int max = step_count(cJSON_GetObjectItemCaseSensitive(data, "max"), 1000000);
            if (max > 0) {
                ev->max = max;
                ev->value = step_count(cJSON_GetObjectItemCaseSensitive(data, "value"), max);
                ev->changed = true;
            }
        } else if (!strcmp(type, "execution_start")) {
            ev->started = ev->changed = true;
        } else if (!strcmp(type, "execution_success") || !strcmp(type, "execution_error") ||
                   !strcmp(type, "execution_interrupted")) {
            ev->ended = true;
        }
    }
    cJSON_Delete(doc);
}

/* Drops n bytes from the front of the buffer. */
static void consume(comfy_ws *ws, size_t n)
{
    memmove(ws->buf, ws->buf + n, ws->len - n);
    ws->len -= n;
}

/* A frame header read from the buffer. */
typedef struct frame_head {
    bool fin;
    int opcode;
    uint64_t size;
    size_t h; /* header bytes */
} frame_head;

/* Reads the header at the front of the buffer: 1 read, 0 incomplete, -1 a
 * frame no server may send (RFC 6455 5.1, 5.2, 5.5). */
static int read_head(const comfy_ws *ws, frame_head *f)
{
    if (ws->len < 2)
        return 0;
    f->fin = ws->buf[0] & 0x80;
    f->opcode = ws->buf[0] & 0x0f;
    f->size = ws->buf[1] & 0x7f;
    f->h = 2;
    if (f->size == 126) {
        if (ws->len < 4)
            return 0;
        f->size = (uint64_t)ws->buf[2] << 8 | ws->buf[3], f->h = 4;
    } else if (f->size == 127) {
        if (ws->len < 10)
            return 0;
        if (ws->buf[2] & 0x80) /* the most significant bit must be 0 */
            return -1;
        f->size = 0, f->h = 10;
        for (int i = 0; i < 8; i++)
            f->size = f->size << 8 | ws->buf[2 + i];
    }
    if (ws->buf[1] & 0x80) /* a server must not mask */
        return -1;
    if ((f->opcode & 0x08) && (!f->fin || f->size > 125)) /* control frames */
        return -1;
    if (f->size > WS_MAX_FRAME)
        return -1;
    return 1;
}

/* Whether a data frame belongs to a fragmented message, which is skipped
 * whole: a fragment alone is not a JSON text. Updates ws->fragmented. */
static bool in_fragmented_message(comfy_ws *ws, const frame_head *f)
{
    if (f->opcode == 0) { /* continuation: belongs to whatever started */
        if (f->fin)
            ws->fragmented = false;
        return true;
    }
    if ((f->opcode == 1 || f->opcode == 2) && !f->fin) {
        ws->fragmented = true;
        return true;
    }
    return false;
}

/* Acts on one whole frame at the front of the buffer; -1 to drop the socket. */
static int handle(comfy_ws *ws, const frame_head *f, bool skipped, const char *prompt_id,
                  comfy_ws_event *ev, bool *ponged)
{
    const unsigned char *payload = ws->buf + f->h;
    size_t size = (size_t)f->size;
    if (f->opcode == 8)
        return -1;
    if (f->opcode == 9 && !send_frame(ws, 10, payload, size))
        return -1;
    if (f->opcode == 10)
        *ponged = true;
    if (f->opcode == 1 && !skipped)
        apply((const char *)payload, size, prompt_id, ev);
    consume(ws, f->h + size);
    return 0;
}

int ig_comfy_ws_frames(comfy_ws *ws, const atomic_bool *cancel, const char *prompt_id,
                       comfy_ws_event *ev, bool *ponged)
{
    for (;;) {
        if (cancel && atomic_load(cancel)) /* a flood of frames must not hold a cancel */
            return 0;
        if (ws->skip) {
            size_t n = ws->skip < ws->len ? (size_t)ws->skip : ws->len;
            consume(ws, n);
            ws->skip -= n;
            if (ws->skip)
                return 0;
        }
        frame_head f;
        int got = read_head(ws, &f);
        if (got <= 0)
            return got;
        bool skipped = !(f.opcode & 0x08) && in_fragmented_message(ws, &f);
        if (f.size > WS_BUF - f.h) { /* a preview image, say: not ours to read */
            if (f.opcode & 0x08) /* cannot happen (<= 125), but never skip a control */
                return -1;
            ws->skip = f.size; /* compared, never added: h + size could wrap */
            consume(ws, f.h);
            continue;
        }
        if (ws->len - f.h < f.size)
            return 0;
        if (handle(ws, &f, skipped, prompt_id, ev, ponged) != 0)
            return -1;
    }
}

comfy_ws *ig_comfy_ws_adopt(int fd)
{
    comfy_ws *ws = calloc(1, sizeof *ws);
    if (!ws || !(ws->buf = malloc(WS_BUF))) {
        free(ws);
        return NULL;
    }
    ws->fd = fd;
    return ws;
}

int ig_comfy_ws_wait(comfy_ws *ws, const ig_backend_ctx *ctx, const char *prompt_id,
                     long ms, comfy_ws_event *ev)
{
    double until = ig_backend_now_ms() + (double)ms;
    bool ponged = false;
    /* A ping first: what the server sent before its pong is read at once
     * (and ComfyUI answers pings itself, so this also keeps the link up). */
    if (!send_frame(ws, 9, "ig", 2))
        return -1;
    while (!ev->ended) {
        if (ctx->cancel && atomic_load(ctx->cancel))
            return 0;
        if (ig_comfy_ws_frames(ws, ctx->cancel, prompt_id, ev, &ponged) != 0)
            return -1;
        double left = until - ig_backend_now_ms();
        if (ponged && left <= 0)
            break;
        struct pollfd p = {ws->fd, POLLIN, 0};
        int wait = ponged ? (left < 50 ? (int)left + 1 : 50) : 50;
        int r = poll(&p, 1, wait);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r == 1) {
            ssize_t n = recv(ws->fd, ws->buf + ws->len, WS_BUF - ws->len, 0);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                return -1;
            if (n > 0)
                ws->len += (size_t)n;
        }
        if (!ponged && ig_backend_now_ms() > until + 5000.0)
            return -1; /* no pong at all: treat the socket as gone */
    }
    return 0;
}
