/* comfy_test_util.c - see comfy_test_util.h. */
#include "emulators/comfy_test_util.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emulators/emu_images.h"

comfy_emulator *ct_emu;

void ct_start(void)
{
    ct_emu = comfy_emulator_start(0, NULL);
    cr_assert(ct_emu, "emulator did not start");
}

void ct_stop(void)
{
    comfy_emulator_stop(ct_emu);
    ct_emu = NULL;
}

const char *ct_url(const char *suffix)
{
    static _Thread_local char url[1024];
    snprintf(url, sizeof url, "%s%s", comfy_emulator_base_url(ct_emu), suffix);
    return url;
}

/* inputs[name] = [from, slot]. */
static void link_to(cJSON *inputs, const char *name, const char *from, int slot)
{
    cJSON *l = cJSON_AddArrayToObject(inputs, name);
    cJSON_AddItemToArray(l, cJSON_CreateString(from));
    cJSON_AddItemToArray(l, cJSON_CreateNumber(slot));
}

static cJSON *node(cJSON *g, const char *id, const char *class_type)
{
    cJSON *n = cJSON_AddObjectToObject(g, id);
    cJSON_AddStringToObject(n, "class_type", class_type);
    return cJSON_AddObjectToObject(n, "inputs");
}

cJSON *ct_txt2img(int w, int h, int n, const char *prefix)
{
    cJSON *g = cJSON_CreateObject();
    cJSON_AddStringToObject(node(g, "4", "CheckpointLoaderSimple"), "ckpt_name",
                            "v1-5-pruned-emaonly.safetensors");
    cJSON *pos = node(g, "6", "CLIPTextEncode");
    cJSON_AddStringToObject(pos, "text", "a lighthouse");
    link_to(pos, "clip", "4", 1);
    cJSON *neg = node(g, "7", "CLIPTextEncode");
    cJSON_AddStringToObject(neg, "text", "blurry");
    link_to(neg, "clip", "4", 1);
    cJSON *lat = node(g, "5", "EmptyLatentImage");
    cJSON_AddNumberToObject(lat, "width", w);
    cJSON_AddNumberToObject(lat, "height", h);
    cJSON_AddNumberToObject(lat, "batch_size", n);
    cJSON *ks = node(g, "3", "KSampler");
    link_to(ks, "model", "4", 0);
    cJSON_AddNumberToObject(ks, "seed", 42);
    cJSON_AddNumberToObject(ks, "steps", 20);
    cJSON_AddNumberToObject(ks, "cfg", 8);
    cJSON_AddStringToObject(ks, "sampler_name", "euler");
    cJSON_AddStringToObject(ks, "scheduler", "normal");
    link_to(ks, "positive", "6", 0);
    link_to(ks, "negative", "7", 0);
    link_to(ks, "latent_image", "5", 0);
    cJSON_AddNumberToObject(ks, "denoise", 1);
    cJSON *dec = node(g, "8", "VAEDecode");
    link_to(dec, "samples", "3", 0);
    link_to(dec, "vae", "4", 2);
    cJSON *save = node(g, "9", "SaveImage");
    link_to(save, "images", "8", 0);
    cJSON_AddStringToObject(save, "filename_prefix", prefix);
    return g;
}

ec_result ct_queue(const cJSON *graph, const char *client_id)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(body, "prompt", (cJSON *)graph);
    if (client_id)
        cJSON_AddStringToObject(body, "client_id", client_id);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    ec_result r = ec_post_json(ct_url("/prompt"), NULL, text, 10000);
    cJSON_free(text);
    return r;
}

ec_result ct_upload(const char *name, int w, int h, const char *overwrite)
{
    size_t size = 0;
    unsigned char *png = emu_image_make(w, h, "png", 0, false, 7, &size);
    cr_assert(png);
    ec_part parts[] = {
        {.name = "image", .data = png, .size = size, .filename = name, .type = "image/png"},
        {.name = "type", .value = "input"},
        {.name = "overwrite", .value = overwrite},
    };
    ec_result r = ec_post_form(ct_url("/upload/image"), NULL, parts, overwrite ? 3 : 2, 10000);
    free(png);
    return r;
}

cJSON *ct_wait_history(const char *prompt_id)
{
    char path[128];
    snprintf(path, sizeof path, "/history/%s", prompt_id);
    for (int i = 0; i < 50; i++) {
        ec_result r = ec_get(ct_url(path), NULL, 10000);
        cr_assert_eq(r.status, 200);
        cJSON *entry = cJSON_DetachItemFromObject(r.json, prompt_id);
        ec_result_free(&r);
        if (entry)
            return entry;
    }
    return NULL;
}

/* --- websocket client --- */

void ct_ws_open(ct_ws *ws, const char *path)
{
    memset(ws, 0, sizeof *ws);
    ws->fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(ws->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_port = htons((uint16_t)emu_server_port(comfy_emulator_server(ct_emu)));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(ws->fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n", path);
    cr_assert_eq(send(ws->fd, req, (size_t)n, 0), n);
    /* Read the answer head byte by byte so no frame byte is consumed. */
    char head[2048];
    size_t len = 0;
    while (len + 1 < sizeof head) {
        struct pollfd p = {ws->fd, POLLIN, 0};
        cr_assert(poll(&p, 1, 10000) > 0, "no handshake answer");
        cr_assert_eq(recv(ws->fd, head + len, 1, 0), 1);
        len++;
        if (len >= 4 && !memcmp(head + len - 4, "\r\n\r\n", 4))
            break;
    }
    head[len] = '\0';
    cr_assert(strstr(head, " 101 "), "%s", head);
    /* RFC 6455's own example key and accept value. */
    cr_assert(strstr(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "%s", head);
}

void ct_ws_send(ct_ws *ws, int opcode, const void *payload, size_t size, int masked)
{
    unsigned char frame[512];
    cr_assert(size < 126);
    frame[0] = (unsigned char)(0x80 | opcode);
    frame[1] = (unsigned char)((masked ? 0x80 : 0) | size);
    size_t h = 2;
    const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    if (masked) {
        memcpy(frame + 2, key, 4);
        h = 6;
    }
    for (size_t i = 0; i < size; i++)
        frame[h + i] = ((const unsigned char *)payload)[i] ^ (masked ? key[i % 4] : 0);
    cr_assert_eq(send(ws->fd, frame, h + size, 0), (ssize_t)(h + size));
}

int ct_ws_read(ct_ws *ws, char *out, size_t cap)
{
    for (;;) {
        if (ws->len >= 2) {
            size_t size = ws->buf[1] & 0x7f, h = 2;
            cr_assert(!(ws->buf[1] & 0x80), "server frames must not be masked");
            if (size == 126 && ws->len >= 4)
                size = (size_t)ws->buf[2] << 8 | ws->buf[3], h = 4;
            if (size < 126 || h == 4) {
                if (ws->len >= h + size) {
                    int opcode = ws->buf[0] & 0x0f;
                    size_t n = size < cap - 1 ? size : cap - 1;
                    memcpy(out, ws->buf + h, n);
                    out[n] = '\0';
                    memmove(ws->buf, ws->buf + h + size, ws->len - h - size);
                    ws->len -= h + size;
                    return opcode;
                }
            }
        }
        struct pollfd p = {ws->fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0)
            return -1;
        ssize_t n = recv(ws->fd, ws->buf + ws->len, sizeof ws->buf - ws->len, 0);
        if (n <= 0)
            return -1;
        ws->len += (size_t)n;
    }
}

cJSON *ct_ws_until(ct_ws *ws, const char *type)
{
    static char text[1 << 16];
    for (int i = 0; i < 200; i++) {
        int op = ct_ws_read(ws, text, sizeof text);
        if (op == 10)
            continue; /* pongs of earlier pings */
        if (op != 1)
            return NULL;
        cJSON *f = cJSON_Parse(text);
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "type"));
        if (t && !strcmp(t, type))
            return f;
        cJSON_Delete(f);
    }
    return NULL;
}

void ct_ws_close(ct_ws *ws)
{
    if (ws->fd >= 0)
        close(ws->fd);
    ws->fd = -1;
}
