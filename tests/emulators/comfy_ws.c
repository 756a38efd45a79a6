/*
 * comfy_ws.c - the ComfyUI emulator's websocket, GET /ws?clientId= (RFC
 * 6455): the handshake, then JSON text frames as server.py sends them
 * ({"type": "status", "data": {"status": {"exec_info"}, "sid"}} first, then
 * execution_start, executing, progress, executed, execution_success |
 * execution_error | execution_interrupted for that client's prompts, status
 * for everyone). Frames of the client must be masked (else close 1002);
 * since nothing moves by the clock here, a ping advances the running prompt
 * one step, and its pong follows every frame that step made (so a client
 * reading up to the pong has seen them); close is echoed.
 */
#include <errno.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "emulators/comfy_internal.h"
#include "emulators/emu_images.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define MAX_FRAME (1u << 16)

/* --- SHA-1 (FIPS 180-4), only for Sec-WebSocket-Accept --- */

static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20)
            f = (b & c) | (~b & d), k = 0x5A827999;
        else if (i < 40)
            f = b ^ c ^ d, k = 0x6ED9EBA1;
        else if (i < 60)
            f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
        else
            f = b ^ c ^ d, k = 0xCA62C1D6;
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static void sha1(const unsigned char *data, size_t size, unsigned char out[20])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    unsigned char block[64];
    size_t i = 0;
    for (; i + 64 <= size; i += 64)
        sha1_block(h, data + i);
    size_t rest = size - i;
    memset(block, 0, sizeof block);
    memcpy(block, data + i, rest);
    block[rest] = 0x80;
    if (rest >= 56) {
        sha1_block(h, block);
        memset(block, 0, sizeof block);
    }
    uint64_t bits = (uint64_t)size * 8;
    for (int j = 0; j < 8; j++)
        block[63 - j] = (unsigned char)(bits >> (8 * j));
    sha1_block(h, block);
    for (int j = 0; j < 20; j++)
        out[j] = (unsigned char)(h[j / 4] >> (24 - 8 * (j % 4)));
}

/* --- the session --- */

typedef struct ws_session {
    comfy_emulator *emu;
    char client[128];
    long seq; /* last event sent */
} ws_session;

/* Writes all of data (the socket may be non-blocking). */
static bool send_all(int fd, const unsigned char *data, size_t size)
{
    while (size) {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = {fd, POLLOUT, 0};
            poll(&p, 1, 100);
            continue;
        }
        if (n <= 0)
            return false;
        data += n, size -= (size_t)n;
    }
    return true;
}

/* One unmasked server frame (FIN set). */
static bool send_frame(int fd, int opcode, const void *payload, size_t size)
{
    unsigned char head[10];
    size_t h = 2;
    head[0] = (unsigned char)(0x80 | opcode);
    if (size < 126) {
        head[1] = (unsigned char)size;
    } else if (size < 65536) {
        head[1] = 126, head[2] = (unsigned char)(size >> 8), head[3] = (unsigned char)size;
        h = 4;
    } else {
        head[1] = 127;
        for (int i = 0; i < 8; i++)
            head[2 + i] = (unsigned char)((uint64_t)size >> (56 - 8 * i));
        h = 10;
    }
    return send_all(fd, head, h) && send_all(fd, payload, size);
}

static bool send_json(int fd, cJSON *frame)
{
    char *text = cJSON_PrintUnformatted(frame);
    bool ok = text && send_frame(fd, 1, text, strlen(text));
    cJSON_free(text);
    return ok;
}

/* Sends the events of this client queued since the last call. */
static bool flush_events(ws_session *s, int fd, bool *stopping)
{
    cJSON *frames = cJSON_CreateArray();
    pthread_mutex_lock(&s->emu->lock);
    *stopping = s->emu->ws_stopping;
    const cJSON *e;
    cJSON_ArrayForEach(e, s->emu->events)
    {
        long seq = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "seq"));
        const char *client = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "client"));
        if (seq <= s->seq)
            continue;
        s->seq = seq;
        if (!client || !strcmp(client, s->client))
            cJSON_AddItemToArray(frames, cJSON_Duplicate(
                                             cJSON_GetObjectItemCaseSensitive(e, "frame"), true));
    }
    pthread_mutex_unlock(&s->emu->lock);
    bool ok = true;
    cJSON_ArrayForEach(e, frames) ok = ok && send_json(fd, (cJSON *)e);
    cJSON_Delete(frames);
    return ok;
}

/* Handles the complete client frames in buf; false when the session ends. */
static bool handle_frames(ws_session *s, int fd, unsigned char *buf, size_t *len)
{
    while (*len >= 2) {
        int opcode = buf[0] & 0x0f;
        bool masked = buf[1] & 0x80;
        uint64_t size = buf[1] & 0x7f;
        size_t h = 2;
        if (size == 126 && *len >= 4)
            size = (uint64_t)buf[2] << 8 | buf[3], h = 4;
        else if (size == 127 && *len >= 10) {
            size = 0, h = 10;
            for (int i = 0; i < 8; i++)
                size = size << 8 | buf[2 + i];
        } else if (size >= 126)
            return true; /* header incomplete */
        if (!masked || size > MAX_FRAME) {
            unsigned char code[2] = {0x03, masked ? 0xf1 : 0xea}; /* 1009 / 1002 */
            send_frame(fd, 8, code, 2);
            return false;
        }
        if (*len < h + 4 + size)
            return true;
        unsigned char *mask = buf + h, *payload = buf + h + 4;
        for (uint64_t i = 0; i < size; i++)
            payload[i] ^= mask[i % 4];
        if (opcode == 8) { /* close: echo it */
            send_frame(fd, 8, payload, size < 2 ? (size_t)size : 2);
            return false;
        }
        if (opcode == 9) { /* ping: one step of the running prompt, its frames, a pong */
            pthread_mutex_lock(&s->emu->lock);
            comfy_tick(s->emu);
            pthread_mutex_unlock(&s->emu->lock);
            bool stopping;
            if (!flush_events(s, fd, &stopping) || !send_frame(fd, 10, payload, (size_t)size))
                return false;
        }
        size_t used = h + 4 + (size_t)size;
        memmove(buf, buf + used, *len - used);
        *len -= used;
    }
    return true;
}

/* Core upgrade hook: the session, on the connection's thread. */
static void session(void *ctx, int fd, const char *extra, size_t extra_size)
{
    ws_session *s = ctx;
    comfy_emulator *emu = s->emu;
    size_t cap = MAX_FRAME + 16, len = 0;
    unsigned char *buf = malloc(cap);
    if (buf && extra_size <= cap) {
        memcpy(buf, extra, extra_size);
        len = extra_size;
    }
    pthread_mutex_lock(&emu->lock);
    cJSON *first = cJSON_CreateObject();
    cJSON_AddStringToObject(first, "type", "status");
    cJSON *data = comfy_status_data(emu);
    cJSON_AddStringToObject(data, "sid", s->client);
    cJSON_AddItemToObject(first, "data", data);
    pthread_mutex_unlock(&emu->lock);
    bool ok = buf && send_json(fd, first), stopping = false;
    cJSON_Delete(first);
    while (ok && flush_events(s, fd, &stopping) && !stopping) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        ssize_t n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            break;
        if (n > 0) {
            len += (size_t)n;
            ok = handle_frames(s, fd, buf, &len) && len < cap;
        }
    }
    free(buf);
    pthread_mutex_lock(&emu->lock);
    emu->ws_open--;
    pthread_cond_broadcast(&emu->ws_ended);
    pthread_mutex_unlock(&emu->lock);
    free(s);
}

static const char *header(const emu_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->connection,
                                       MHD_HEADER_KIND, name);
}

void comfy_ws_route(comfy_emulator *emu, const emu_request *req, emu_response *out)
{
    const char *upgrade = header(req, "Upgrade"), *key = header(req, "Sec-WebSocket-Key");
    const char *version = header(req, "Sec-WebSocket-Version");
    if (!upgrade || strcasecmp(upgrade, "websocket") || !key || strlen(key) > 64 ||
        !version || strcmp(version, "13")) {
        const char *text = "400: Bad Request";
        emu_respond_bytes(out, 400, "text/plain; charset=utf-8", text, strlen(text));
        return;
    }
    char joined[128];
    unsigned char digest[20];
    snprintf(joined, sizeof joined, "%s" WS_GUID, key);
    sha1((const unsigned char *)joined, strlen(joined), digest);
    char *accept = emu_base64(digest, sizeof digest);
    ws_session *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->emu = emu;
    const char *client = MHD_lookup_connection_value((struct MHD_Connection *)req->connection,
                                                     MHD_GET_ARGUMENT_KIND, "clientId");
    pthread_mutex_lock(&emu->lock);
    s->seq = emu->event_seq; /* only what happens from now on */
    snprintf(s->client, sizeof s->client, "%s",
             client && *client ? client : "0123456789abcdef0123456789abcdef");
    emu->ws_open++;
    pthread_mutex_unlock(&emu->lock);
    out->status = MHD_HTTP_SWITCHING_PROTOCOLS;
    out->upgrade = session;
    out->upgrade_ctx = s;
    emu_response_header(out, "Upgrade", "websocket");
    emu_response_header(out, "Sec-WebSocket-Accept", accept);
    free(accept);
}

void comfy_ws_stop(comfy_emulator *emu)
{
    pthread_mutex_lock(&emu->lock);
    emu->ws_stopping = true;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5; /* a session whose upgrade never ran would wait forever */
    while (emu->ws_open > 0) /* sessions notice within one poll (20 ms) */
        if (pthread_cond_timedwait(&emu->ws_ended, &emu->lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&emu->lock);
}
