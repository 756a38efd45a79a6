/*
 * test_comfy_emulator_ws.c - the ComfyUI emulator's websocket: the RFC 6455
 * handshake, the first status frame with the sid, progress frames of the
 * client's own prompt (moved by reads and by pings), ping/pong, close, and
 * refusals (no upgrade headers, unmasked client frames).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "emulators/comfy_test_util.h"

TestSuite(comfy_ws, .init = ct_start, .fini = ct_stop, .timeout = 60);

static const cJSON *data(const cJSON *frame)
{
    return cJSON_GetObjectItemCaseSensitive(frame, "data");
}

Test(comfy_ws, progress_frames_of_the_clients_prompt)
{
    ct_ws ws;
    ct_ws_open(&ws, "/ws?clientId=me");
    cJSON *f = ct_ws_until(&ws, "status");
    cr_assert(f);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(data(f), "sid")), "me");
    cr_expect(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(data(f), "status"),
                                                      "exec_info"), "queue_remaining"));
    cJSON_Delete(f);

    cJSON *g = ct_txt2img(512, 512, 1, "ws");
    ec_result r = ct_queue(g, "me");
    cJSON_Delete(g);
    char id[64];
    snprintf(id, sizeof id, "%s",
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r.json, "prompt_id")));
    ec_result_free(&r);
    /* Nothing moves until something reads or pings; a ping's step comes
     * before its pong. */
    ct_ws_send(&ws, 9, "p1", 2, 1);
    char text[1024];
    int op;
    cJSON *progress = NULL;
    while ((op = ct_ws_read(&ws, text, sizeof text)) == 1) {
        f = cJSON_Parse(text);
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(f, "type"));
        if (type && !strcmp(type, "progress") && !progress)
            progress = f;
        else
            cJSON_Delete(f);
    }
    cr_expect_eq(op, 10, "a ping is answered by a pong");
    cr_expect_str_eq(text, "p1");
    f = progress;
    cr_assert(f, "no progress frame before the pong");
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(data(f), "value")), 1);
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(data(f), "max")), 3);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(data(f), "prompt_id")), id);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(data(f), "node")), "3");
    cJSON_Delete(f);
    ct_ws_send(&ws, 9, "", 0, 1);
    ct_ws_send(&ws, 9, "", 0, 1);
    f = ct_ws_until(&ws, "executed");
    cr_assert(f);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(data(f), "node")), "9");
    cJSON_Delete(f);
    f = ct_ws_until(&ws, "execution_success");
    cr_assert(f);
    cJSON_Delete(f);
    ct_ws_send(&ws, 8, "\x03\xe8", 2, 1);
    while ((op = ct_ws_read(&ws, text, sizeof text)) == 1 || op == 10)
        ; /* frames and pongs still on their way */
    cr_expect_eq(op, 8, "close is echoed");
    ct_ws_close(&ws);
}

Test(comfy_ws, other_clients_frames_are_not_sent)
{
    ct_ws ws;
    ct_ws_open(&ws, "/ws?clientId=watcher");
    cJSON *g = ct_txt2img(512, 512, 1, "ws");
    ec_result r = ct_queue(g, "someone");
    ec_result_free(&r);
    cJSON_Delete(g);
    for (int i = 0; i < 3; i++) {
        r = ec_get(ct_url("/queue"), NULL, 10000);
        ec_result_free(&r);
    }
    /* Only status frames (for everyone) arrive, then the pong. */
    ct_ws_send(&ws, 9, "end", 3, 1);
    char text[4096];
    int op;
    while ((op = ct_ws_read(&ws, text, sizeof text)) == 1)
        cr_expect(strstr(text, "\"type\":\"status\""), "%s", text);
    cr_expect_eq(op, 10);
    ct_ws_close(&ws);
}

Test(comfy_ws, refusals)
{
    ec_result r = ec_get(ct_url("/ws?clientId=x"), NULL, 10000);
    cr_expect_eq(r.status, 400, "a plain GET is no websocket");
    ec_result_free(&r);
    ct_ws ws;
    ct_ws_open(&ws, "/ws");
    cJSON *f = ct_ws_until(&ws, "status");
    cr_assert(f);
    cr_expect_eq(strlen(cJSON_GetStringValue(
                     cJSON_GetObjectItem(cJSON_GetObjectItem(f, "data"), "sid"))), 32);
    cJSON_Delete(f);
    ct_ws_send(&ws, 1, "hi", 2, 0); /* unmasked: protocol error */
    char text[64];
    int op;
    while ((op = ct_ws_read(&ws, text, sizeof text)) == 1)
        ;
    cr_expect_eq(op, 8);
    cr_expect_eq((unsigned char)text[0] << 8 | (unsigned char)text[1], 1002);
    ct_ws_close(&ws);
}
