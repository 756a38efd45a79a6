/* test_images.c - see test_images.h. */
#include "support/test_images.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "image/image_probe.h"
#include "support/test_util.h"

static void ensure_vips(void)
{
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_vips_ensure_init(&err), 0, "vips init: %s", err.message);
}

/* Copies a vips-allocated buffer into malloc'd memory (the header's promise). */
static unsigned char *to_malloc(void *buf, size_t len, size_t *size)
{
    unsigned char *copy = malloc(len ? len : 1);
    cr_assert_not_null(copy);
    memcpy(copy, buf, len);
    g_free(buf);
    *size = len;
    return copy;
}

/* Unrefs every non-NULL image of an array. */
static void unref_all(VipsImage **imgs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (imgs[i])
            g_object_unref(imgs[i]);
}

/* Builds a uchar pattern: band 0 a horizontal ramp, band 1 a vertical one,
 * band 2 a diagonal sawtooth, band 3 (alpha) a partly transparent ramp. */
static VipsImage *pattern(int width, int height, int bands)
{
    VipsImage *t[12] = {0};
    VipsImage *out = NULL;
    cr_assert(bands >= 1 && bands <= 4, "bands must be 1..4, got %d", bands);
    cr_assert_eq(vips_xyz(&t[0], width, height, NULL), 0, "vips_xyz");
    cr_assert_eq(vips_extract_band(t[0], &t[1], 0, NULL), 0);
    cr_assert_eq(vips_extract_band(t[0], &t[2], 1, NULL), 0);
    double sx = 255.0 / (width > 1 ? width - 1 : 1);
    double sy = 255.0 / (height > 1 ? height - 1 : 1);
    cr_assert_eq(vips_linear1(t[1], &t[3], sx, 0, NULL), 0);          /* red */
    cr_assert_eq(vips_linear1(t[2], &t[4], sy, 0, NULL), 0);          /* green */
    cr_assert_eq(vips_add(t[1], t[2], &t[5], NULL), 0);
    cr_assert_eq(vips_linear1(t[5], &t[6], 7, 0, NULL), 0);
    cr_assert_eq(vips_remainder_const1(t[6], &t[7], 256, NULL), 0);   /* blue */
    cr_assert_eq(vips_linear1(t[1], &t[8], sx * 0.5, 128, NULL), 0);  /* alpha */
    VipsImage *parts[4] = {t[3], t[4], t[7], t[8]};
    if (bands == 2)
        parts[1] = t[8]; /* grey + alpha */
    cr_assert_eq(vips_bandjoin(parts, &t[9], bands, NULL), 0);
    cr_assert_eq(vips_cast_uchar(t[9], &t[10], NULL), 0);
    VipsInterpretation interp = bands >= 3 ? VIPS_INTERPRETATION_sRGB
                                           : VIPS_INTERPRETATION_B_W;
    cr_assert_eq(vips_copy(t[10], &out, "interpretation", interp, NULL), 0);
    unref_all(t, sizeof t / sizeof t[0]);
    return out;
}

unsigned char *ti_encode(const char *format, int width, int height, int bands,
                         size_t *size)
{
    ensure_vips();
    const char *suffix = NULL;
    if (!strcmp(format, "png"))
        suffix = ".png";
    else if (!strcmp(format, "jpeg"))
        suffix = ".jpg";
    else if (!strcmp(format, "webp"))
        suffix = ".webp";
    else if (!strcmp(format, "gif")) /* for refusal tests */
        suffix = ".gif";
    cr_assert_not_null(suffix, "unknown test image format %s", format);
    cr_assert(!(suffix[1] == 'j' && (bands == 2 || bands == 4)),
              "JPEG has no alpha: ask for 1 or 3 bands");
    VipsImage *img = pattern(width, height, bands);
    void *buf = NULL;
    size_t len = 0;
    int rc = vips_image_write_to_buffer(img, suffix, &buf, &len, NULL);
    g_object_unref(img);
    cr_assert_eq(rc, 0, "encoding %s failed: %s", format, vips_error_buffer());
    return to_malloc(buf, len, size);
}

unsigned char *ti_mask_png(int width, int height, int x, int y, int w, int h,
                           size_t *size)
{
    ensure_vips();
    VipsImage *t[3] = {0};
    cr_assert_eq(vips_black(&t[0], width, height, NULL), 0);
    cr_assert_eq(vips_cast_uchar(t[0], &t[1], NULL), 0);
    t[2] = vips_image_copy_memory(t[1]); /* drawing needs a memory image */
    cr_assert_not_null(t[2]);
    cr_assert_eq(vips_draw_rect1(t[2], 255, x, y, w, h, "fill", TRUE, NULL), 0);
    void *buf = NULL;
    size_t len = 0;
    int rc = vips_image_write_to_buffer(t[2], ".png", &buf, &len, NULL);
    unref_all(t, 3);
    cr_assert_eq(rc, 0, "encoding mask failed: %s", vips_error_buffer());
    return to_malloc(buf, len, size);
}

char *ti_write_png(const char *dir, const char *name, int width, int height)
{
    size_t size;
    unsigned char *png = ti_encode("png", width, height, 3, &size);
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
    cr_assert_eq(tu_write_file(path, png, size), 0, "writing %s", path);
    free(png);
    return path;
}

char *ti_data_url(const char *mime, const unsigned char *data, size_t size)
{
    gchar *b64 = g_base64_encode(data, size);
    char *url = NULL;
    cr_assert(asprintf(&url, "data:%s;base64,%s", mime, b64) > 0);
    g_free(b64);
    return url;
}
