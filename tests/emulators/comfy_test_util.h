/* comfy_test_util.h - helpers of the ComfyUI emulator suite (Criterion):
 * a started emulator, graphs, uploads and a tiny RFC 6455 client. */
#ifndef IG_COMFY_TEST_UTIL_H
#define IG_COMFY_TEST_UTIL_H

#include <stddef.h>

#include "emulators/comfy_emulator.h"
#include "emulators/emu_client.h"

extern comfy_emulator *ct_emu;

/* Starts ct_emu without auth (asserts); stops it. */
void ct_start(void);
void ct_stop(void);
/* base URL + suffix, in a static per-thread buffer. */
const char *ct_url(const char *suffix);

/* A txt2img graph (API format) of w x h, batch n, with prefix; caller
 * deletes. */
cJSON *ct_txt2img(int w, int h, int n, const char *prefix);
/* POST /prompt {"prompt": graph, "client_id"}; graph is borrowed. */
ec_result ct_queue(const cJSON *graph, const char *client_id);
/* POST /upload/image of a w x h PNG as name. */
ec_result ct_upload(const char *name, int w, int h, const char *overwrite);
/* GETs /history/<id> until it is not {} (at most 50 times); the entry
 * (caller deletes) or NULL. */
cJSON *ct_wait_history(const char *prompt_id);

/* --- websocket client --- */
typedef struct ct_ws {
    int fd;
    unsigned char buf[1 << 17];
    size_t len;
} ct_ws;

/* Connects to path ("/ws?clientId=x") and checks the 101 and the
 * Sec-WebSocket-Accept (asserts). Returns the handshake's answer head. */
void ct_ws_open(ct_ws *ws, const char *path);
/* Sends a masked frame. */
void ct_ws_send(ct_ws *ws, int opcode, const void *payload, size_t size, int masked);
/* Reads one frame (up to 10 s): its opcode, payload into out (NUL-ended). */
int ct_ws_read(ct_ws *ws, char *out, size_t cap);
/* Reads text frames until one of type `type` (JSON parsed, caller deletes),
 * skipping pongs; NULL after 200 frames or a close. */
cJSON *ct_ws_until(ct_ws *ws, const char *type);
void ct_ws_close(ct_ws *ws);

#endif
