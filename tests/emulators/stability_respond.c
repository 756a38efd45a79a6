/*
 * stability_respond.c - image answers of the Stability emulator: accept
 * negotiation, drawing the output (blurred when content-filtered, as the
 * real API blurs filtered results) and the two answer shapes (raw bytes with
 * finish-reason/seed headers, or JSON with base64).
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <vips/vips.h>

#include "emulators/stability_internal.h"

stab_accept stab_accept_of(const emu_request *req)
{
    const char *v = MHD_lookup_connection_value((struct MHD_Connection *)req->connection,
                                                MHD_HEADER_KIND, "Accept");
    if (!v)
        return STAB_ACCEPT_IMAGE; /* the documented default: raw image bytes */
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strcspn(v, ";");
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n == 0 || (n == 3 && !strncmp(v, "*/*", 3)) || (n == 7 && !strncasecmp(v, "image/*", 7)))
        return STAB_ACCEPT_IMAGE;
    if (n == 16 && !strncasecmp(v, "application/json", 16))
        return STAB_ACCEPT_JSON;
    return STAB_ACCEPT_INVALID;
}

/* Encodes a vips image as format; malloc'd bytes or NULL. */
static unsigned char *encode(VipsImage *img, const char *format, size_t *size)
{
    void *buf = NULL;
    size_t len = 0;
    int rc;
    if (!strcmp(format, "jpeg"))
        rc = vips_jpegsave_buffer(img, &buf, &len, "Q", 90, NULL);
    else if (!strcmp(format, "webp"))
        rc = vips_webpsave_buffer(img, &buf, &len, "Q", 90, NULL);
    else
        rc = vips_pngsave_buffer(img, &buf, &len, "compression", 1, NULL);
    if (rc != 0) {
        vips_error_clear();
        return NULL;
    }
    unsigned char *out = malloc(len);
    if (out)
        memcpy(out, buf, len);
    g_free(buf);
    *size = len;
    return out;
}

/* A heavily blurred copy of an encoded image at the same size and format:
 * shrunk 16x and stretched back. NULL on failure. */
static unsigned char *blur(const unsigned char *data, size_t size, const char *format,
                           size_t *out_size)
{
    VipsImage *img = vips_image_new_from_buffer(data, size, "", NULL);
    VipsImage *small = NULL, *big = NULL, *exact = NULL;
    unsigned char *out = NULL;
    if (img) {
        int w = vips_image_get_width(img), h = vips_image_get_height(img);
        if (vips_resize(img, &small, 1.0 / 16, NULL) == 0 &&
            vips_resize(small, &big, (double)w / vips_image_get_width(small), "vscale",
                        (double)h / vips_image_get_height(small), NULL) == 0 &&
            vips_gravity(big, &exact, VIPS_COMPASS_DIRECTION_CENTRE, w, h, NULL) == 0)
            out = encode(exact, format, out_size);
    }
    VipsImage *all[] = {img, small, big, exact};
    for (size_t i = 0; i < 4; i++)
        if (all[i])
            g_object_unref(all[i]);
    vips_error_clear();
    return out;
}

unsigned char *stab_render(const stab_params *p, unsigned pattern_seed, bool filtered,
                           size_t *size)
{
    unsigned char *img = emu_image_make(p->width, p->height, p->output_format, 90, p->alpha,
                                        pattern_seed, size);
    if (!img || !filtered)
        return img;
    size_t blurred_size = 0;
    unsigned char *blurred = blur(img, *size, p->output_format, &blurred_size);
    free(img);
    *size = blurred_size;
    return blurred;
}

void stab_respond_image(emu_response *out, int status, stab_accept accept, const char *format,
                        const unsigned char *image, size_t size, bool filtered, long long seed)
{
    const char *reason = filtered ? "CONTENT_FILTERED" : "SUCCESS";
    char type[64], seed_text[24], id[33];
    snprintf(seed_text, sizeof seed_text, "%lld", seed);
    if (accept == STAB_ACCEPT_JSON) {
        char *b64 = emu_base64(image, size);
        cJSON *root = cJSON_CreateObject();
        cJSON_AddItemToObject(root, "image", cJSON_CreateString(b64));
        cJSON_AddStringToObject(root, "finish_reason", reason);
        cJSON_AddNumberToObject(root, "seed", (double)seed);
        free(b64);
        char *text = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
        if (!text)
            abort();
        snprintf(type, sizeof type, "application/json; type=image/%s", format);
        emu_respond_bytes(out, status, type, text, strlen(text));
        free(text);
    } else {
        snprintf(type, sizeof type, "image/%s", format);
        emu_respond_bytes(out, status, type, image, size);
    }
    stab_hex_id(id, 32);
    emu_response_header(out, "finish-reason", reason);
    emu_response_header(out, "seed", seed_text);
    emu_response_header(out, "x-request-id", id);
}
