/*
 * test_sd_comfy_ws.c - the ComfyUI progress socket's frame parser
 * (providers/sd_local/sd_comfy_ws.c) fed crafted server frames over a
 * socketpair: lengths that would wrap or overflow, oversized or fragmented
 * control frames and masked frames drop the socket at once (the backend
 * then goes on polling /history); fragmented text messages are skipped;
 * progress numbers are clamped.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "providers/sd_local/sd_comfy_ws_internal.h"

static int peer = -1;
static comfy_ws *ws;
static atomic_bool cancel;
static ig_backend_ctx ctx;

static void setup(void)
{
    int fds[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    ws = ig_comfy_ws_adopt(fds[0]);
    cr_assert(ws);
    peer = fds[1];
    atomic_init(&cancel, false);
    memset(&ctx, 0, sizeof ctx);
    ctx.cancel = &cancel;
}

static void teardown(void)
{
    ig_comfy_ws_close(ws);
    close(peer);
}

TestSuite(comfy_ws, .init = setup, .fini = teardown, .timeout = 30);

/* Sends raw bytes as the server. */
static void server_sends(const void *bytes, size_t size)
{
    cr_assert_eq(write(peer, bytes, size), (ssize_t)size);
}

/* One unmasked server frame with a 7-bit length. */
static void server_frame(unsigned char first, const char *payload)
{
    size_t n = strlen(payload);
    cr_assert(n <= 125);
    unsigned char head[2] = {first, (unsigned char)n};
    server_sends(head, 2);
    server_sends(payload, n);
}

/* ig_comfy_ws_wait for 200 ms; its result, and the elapsed time into *ms. */
static int wait_frames(comfy_ws_event *ev, double *ms)
{
    double start = ig_backend_now_ms();
    int rc = ig_comfy_ws_wait(ws, &ctx, "p1", 200, ev);
    *ms = ig_backend_now_ms() - start;
    return rc;
}

/* The frame (header bytes only) must drop the socket within a second. */
static void expect_dropped(const unsigned char *head, size_t size, const char *what)
{
    server_sends(head, size);
    comfy_ws_event ev = {0};
    double ms;
    cr_expect_eq(wait_frames(&ev, &ms), -1, "%s was not rejected", what);
    cr_expect_lt(ms, 1000, "%s: took %.0f ms", what, ms);
    cr_expect_not(ev.ended);
}

Test(comfy_ws, a_64_bit_length_with_the_top_bit_set_drops_the_socket)
{
    /* 2^64 - 10: h + size wrapped to a small number before the fix */
    const unsigned char wrap[] = {0x81, 0x7f, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xf6, '{', '}'};
    expect_dropped(wrap, sizeof wrap, "length 2^64-10");
}

Test(comfy_ws, a_huge_64_bit_length_drops_the_socket)
{
    const unsigned char huge[] = {0x82, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0};
    expect_dropped(huge, sizeof huge, "length 2^62");
}

Test(comfy_ws, an_oversized_or_fragmented_control_frame_drops_the_socket)
{
    const unsigned char ping_200[] = {0x89, 0x7e, 0x00, 0xc8};
    expect_dropped(ping_200, sizeof ping_200, "a 200-byte ping");
}

Test(comfy_ws, a_control_frame_without_fin_drops_the_socket)
{
    const unsigned char ping_no_fin[] = {0x09, 0x00};
    expect_dropped(ping_no_fin, sizeof ping_no_fin, "a ping without FIN");
}

Test(comfy_ws, a_masked_server_frame_drops_the_socket)
{
    const unsigned char masked[] = {0x81, 0x82, 1, 2, 3, 4, '{' ^ 1, '}' ^ 2};
    expect_dropped(masked, sizeof masked, "a masked frame");
}

Test(comfy_ws, fragmented_text_is_skipped_whole_and_progress_is_clamped)
{
    const char *end = "{\"type\":\"execution_success\",\"data\":{\"prompt_id\":\"p1\"}}";
    server_frame(0x01, end);  /* text without FIN: a fragment, never parsed alone */
    server_frame(0x00, " ");  /* continuation without FIN */
    server_frame(0x80, "");   /* the last continuation */
    server_frame(0x81, "{\"type\":\"progress\",\"data\":{\"prompt_id\":\"p1\","
                       "\"value\":1e300,\"max\":10}}");
    server_frame(0x81, "{\"type\":\"progress\",\"data\":{\"prompt_id\":\"p1\","
                       "\"value\":3,\"max\":-5}}"); /* no max: ignored */
    server_frame(0x81, "{\"type\":\"progress\",\"data\":{\"prompt_id\":\"p1\","
                       "\"value\":\"x\",\"max\":1e300}}");
    server_frame(0x8a, ""); /* a pong ends the wait */
    comfy_ws_event ev = {0};
    double ms;
    cr_expect_eq(wait_frames(&ev, &ms), 0);
    cr_expect_not(ev.ended, "a fragment was parsed as a whole message");
    cr_expect(ev.changed);
    cr_expect_gt(ev.max, 0);
    cr_expect(ev.value >= 0 && ev.value <= ev.max, "value %d of %d", ev.value, ev.max);
}

/* Writer thread: a 2 MiB binary frame (a preview image, bigger than the
 * parser's buffer), then a text frame that ends the prompt. A thread,
 * because the socketpair holds far less than 2 MiB. */
static void *send_big_then_end(void *arg)
{
    (void)arg;
    const unsigned char head[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 0x20, 0, 0};
    server_sends(head, sizeof head);
    static unsigned char zeros[1 << 16];
    for (int i = 0; i < 32; i++)
        server_sends(zeros, sizeof zeros);
    server_frame(0x81, "{\"type\":\"execution_success\",\"data\":{\"prompt_id\":\"p1\"}}");
    return NULL;
}

Test(comfy_ws, a_text_frame_after_an_oversized_one_is_read)
{
    pthread_t writer;
    cr_assert_eq(pthread_create(&writer, NULL, send_big_then_end, NULL), 0);
    comfy_ws_event ev = {0};
    for (int i = 0; i < 50 && !ev.ended; i++) {
        double ms;
        cr_assert_eq(wait_frames(&ev, &ms), 0);
    }
    pthread_join(writer, NULL);
    cr_expect(ev.ended, "the frame behind the skipped one was lost");
}

Test(comfy_ws, a_cancel_ends_the_wait_at_once)
{
    atomic_store(&cancel, true);
    server_frame(0x81, "{\"type\":\"execution_success\",\"data\":{\"prompt_id\":\"p1\"}}");
    comfy_ws_event ev = {0};
    double ms;
    cr_expect_eq(wait_frames(&ev, &ms), 0);
    cr_expect_lt(ms, 1000);
}
