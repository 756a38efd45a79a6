/* emu_images.c - real images for the emulators (see emu_images.h). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "emulators/emu_images.h"

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static int vips_rc = -1;

/* pthread_once body: VIPS_INIT may run only once per process. */
static void vips_init_once(void)
{
    vips_rc = VIPS_INIT("emulator") == 0 ? 0 : -1;
}

int emu_vips_init(void)
{
    pthread_once(&vips_once, vips_init_once);
    return vips_rc;
}

/* Sniffs the three formats providers take, so other bytes never reach libvips'
 * catch-all loaders (ImageMagick dlopens coders from connection threads). */
static bool sniff_supported(const unsigned char *d, size_t n)
{
    return (n >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8)) ||
           (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) ||
           (n >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4));
}

bool emu_image_probe(const unsigned char *data, size_t size, emu_probe *out)
{
    memset(out, 0, sizeof *out);
    if (emu_vips_init() != 0 || !sniff_supported(data, size))
        return false;
    const char *loader = vips_foreign_find_load_buffer(data, size);
    if (!loader)
        return false;
    VipsImage *img = vips_image_new_from_buffer(data, size, "", NULL);
    if (!img) {
        vips_error_clear();
        return false;
    }
    if (strstr(loader, "Png"))
        strcpy(out->format, "png");
    else if (strstr(loader, "Jpeg"))
        strcpy(out->format, "jpeg");
    else if (strstr(loader, "Webp"))
        strcpy(out->format, "webp");
    out->width = vips_image_get_width(img);
    out->height = vips_image_get_height(img);
    out->bands = vips_image_get_bands(img);
    out->alpha = vips_image_hasalpha(img) != 0;
    g_object_unref(img);
    return true;
}

unsigned char *emu_image_make(int width, int height, const char *format, int quality,
                              bool alpha, unsigned seed, size_t *size)
{
    if (emu_vips_init() != 0 || width <= 0 || height <= 0)
        return NULL;
    int bands = alpha ? 4 : 3;
    size_t n = (size_t)width * (size_t)height * (size_t)bands;
    unsigned char *px = malloc(n);
    if (!px)
        return NULL;
    unsigned s = seed * 2654435761u;
    unsigned r0 = s & 0xff, g0 = (s >> 8) & 0xff, b0 = (s >> 16) & 0xff;
    int cx = width / 2, cy = height / 2;
    long long r2 = (long long)(width < height ? width : height) * (width < height ? width : height) / 9;
    for (int y = 0; y < height; y++) {
        unsigned char *row = px + (size_t)y * (size_t)width * (size_t)bands;
        for (int x = 0; x < width; x++) {
            unsigned char *p = row + (size_t)x * (size_t)bands;
            p[0] = (unsigned char)(r0 + (unsigned)x * 255u / (unsigned)width);
            p[1] = (unsigned char)(g0 + (unsigned)y * 255u / (unsigned)height);
            p[2] = (unsigned char)(b0 + ((unsigned)(x + y) * 128u / (unsigned)(width + height)));
            if (alpha) { /* an opaque disc on a transparent background */
                long long dx = x - cx, dy = y - cy;
                p[3] = dx * dx + dy * dy <= r2 ? 255 : 0;
            }
        }
    }
    VipsImage *img = vips_image_new_from_memory(px, n, width, height, bands, VIPS_FORMAT_UCHAR);
    void *buf = NULL;
    size_t len = 0;
    int rc = -1;
    if (img) {
        img->Type = VIPS_INTERPRETATION_sRGB;
        if (!strcmp(format, "jpeg"))
            rc = vips_jpegsave_buffer(img, &buf, &len, "Q", quality, NULL);
        else if (!strcmp(format, "webp"))
            rc = vips_webpsave_buffer(img, &buf, &len, "Q", quality, NULL);
        else
            rc = vips_pngsave_buffer(img, &buf, &len, "compression", 1, NULL);
        g_object_unref(img);
    }
    free(px);
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

char *emu_base64(const unsigned char *data, size_t size)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((size + 2) / 3 * 4 + 1);
    if (!out)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < size; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < size)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < size)
            v |= data[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < size ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < size ? tbl[v & 63] : '=';
    }
    out[o] = 0;
    return out;
}

/* The value of one base64 character, or -1. */
static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

unsigned char *emu_base64_decode(const char *text, size_t *size)
{
    size_t len = strlen(text);
    while (len && text[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return NULL;
    unsigned char *out = malloc(len / 4 * 3 + 3);
    if (!out)
        abort();
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(text[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *size = o;
    return out;
}
