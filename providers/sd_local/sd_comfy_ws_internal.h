/*
 * sd_comfy_ws_internal.h - the frame parser of sd_comfy_ws.c, exposed so
 * that tests can feed it crafted server frames over a socketpair. Not for
 * the rest of the backend: it uses ig_comfy_ws_open / _wait / _close.
 */
#ifndef IG_SD_COMFY_WS_INTERNAL_H
#define IG_SD_COMFY_WS_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>

#include "providers/sd_local/sd_comfy.h"

/* A comfy_ws on an already connected socket (the handshake done), owning
 * fd (-1 = none yet); close with ig_comfy_ws_close. NULL when out of memory. */
comfy_ws *ig_comfy_ws_adopt(int fd);

/*
 * Handles the complete frames in the buffer: text frames about prompt_id
 * update ev, pings are answered, a pong sets *ponged. Frames too big for
 * the buffer are skipped; fragmented messages are skipped whole. Returns
 * 0 (more bytes needed, or cancel set), or -1 when the socket must be
 * dropped: a close frame, a masked frame, a 64-bit length with its top bit
 * set, a control frame over 125 bytes or without FIN (RFC 6455 5.1-5.5).
 */
int ig_comfy_ws_frames(comfy_ws *ws, const atomic_bool *cancel, const char *prompt_id,
                       comfy_ws_event *ev, bool *ponged);

#endif
