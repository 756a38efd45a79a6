/* image_ops.c - see image_ops.h. */
#include "image/image_ops.h"

#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "image/image_ops_internal.h"
#include "image/image_probe.h"

void ig_png_clear(ig_png *png)
{
    if (!png)
        return;
    free(png->data);
    memset(png, 0, sizeof *png);
}

VipsImage *ig_ops_decode(const unsigned char *data, size_t size, ig_error *err)
{
    if (ig_vips_ensure_init(err) != 0)
        return NULL;
    VipsImage *img = vips_image_new_from_buffer(data, size, "", "access",
                                                VIPS_ACCESS_RANDOM, NULL);
    if (!img) {
        vips_error_clear();
        ig_fail(err, IG_ERR_IMAGE_UNREADABLE, NULL, "image could not be decoded");
    }
    return img;
}

/* Moves a vips-encoded buffer (g_malloc'd) into out as malloc'd bytes. */
static int take_buffer(void *buf, size_t len, VipsImage *img, ig_png *out, ig_error *err)
{
    out->data = malloc(len);
    if (!out->data) {
        g_free(buf);
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    }
    memcpy(out->data, buf, len);
    g_free(buf);
    out->size = len;
    out->width = vips_image_get_width(img);
    out->height = vips_image_get_height(img);
    return 0;
}

/* Encodes as PNG into a malloc'd buffer. */
static int encode_png(VipsImage *img, ig_png *out, ig_error *err)
{
    void *buf = NULL;
    size_t len = 0;
    if (vips_pngsave_buffer(img, &buf, &len, NULL) != 0) {
        vips_error_clear();
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "could not encode a PNG");
    }
    return take_buffer(buf, len, img, out, err);
}

int ig_ops_encode_as(VipsImage *img, const char *format, ig_png *out, ig_error *err)
{
    if (!strcmp(format, "png"))
        return encode_png(img, out, err);
    void *buf = NULL;
    size_t len = 0;
    int rc = !strcmp(format, "jpeg") ? vips_jpegsave_buffer(img, &buf, &len, "Q", 92, NULL)
                                     : vips_webpsave_buffer(img, &buf, &len, "Q", 92, NULL);
    if (rc != 0) {
        vips_error_clear();
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "could not encode a %s image", format);
    }
    return take_buffer(buf, len, img, out, err);
}

/* Drops GObject references in order; NULLs are fine. */
static void unref_all(VipsImage **images, int n)
{
    for (int i = 0; i < n; i++)
        if (images[i])
            g_object_unref(images[i]);
}

VipsImage *ig_ops_as_u8(VipsImage *in, VipsInterpretation space)
{
    VipsImage *converted = NULL, *out = NULL;
    if (vips_colourspace(in, &converted, space, NULL) == 0)
        vips_cast_uchar(converted, &out, NULL);
    if (converted)
        g_object_unref(converted);
    return out;
}

/* Any image as 8-bit sRGB with an alpha band. */
static VipsImage *as_rgba(VipsImage *in)
{
    VipsImage *u8 = ig_ops_as_u8(in, VIPS_INTERPRETATION_sRGB);
    if (!u8 || vips_image_hasalpha(u8))
        return u8;
    VipsImage *out = NULL;
    vips_bandjoin_const1(u8, &out, 255, NULL);
    g_object_unref(u8);
    return out;
}

int ig_ops_mask_to_transparent(const unsigned char *mask, size_t size, ig_png *out,
                               ig_error *err)
{
    memset(out, 0, sizeof *out);
    VipsImage *in = ig_ops_decode(mask, size, err);
    if (!in)
        return -1;
    VipsImage *t[5] = {0};
    int rc = -1;
    /* grey >= 128 means "change": alpha 0 there, 255 elsewhere; colour black. */
    if (vips_colourspace(in, &t[0], VIPS_INTERPRETATION_B_W, NULL) == 0 &&
        vips_extract_band(t[0], &t[1], 0, NULL) == 0 &&
        vips_relational_const1(t[1], &t[2], VIPS_OPERATION_RELATIONAL_LESS, 128, NULL) == 0 &&
        vips_black(&t[3], vips_image_get_width(in), vips_image_get_height(in), "bands", 3,
                   NULL) == 0 &&
        vips_bandjoin2(t[3], t[2], &t[4], NULL) == 0) {
        VipsImage *rgba = NULL;
        if (vips_cast_uchar(t[4], &rgba, NULL) == 0) {
            rc = encode_png(rgba, out, err);
            g_object_unref(rgba);
        }
    }
    if (rc != 0 && err && err->code == IG_OK) {
        vips_error_clear();
        ig_fail(err, IG_ERR_INTERNAL, NULL, "could not convert the mask");
    }
    unref_all(t, 5);
    g_object_unref(in);
    return rc;
}

int ig_ops_outpaint_canvas(const unsigned char *image, size_t size, int left, int top,
                           int canvas_w, int canvas_h, ig_png *canvas, ig_png *mask,
                           ig_error *err)
{
    memset(canvas, 0, sizeof *canvas);
    memset(mask, 0, sizeof *mask);
    VipsImage *in = ig_ops_decode(image, size, err);
    if (!in)
        return -1;
    int w = vips_image_get_width(in), h = vips_image_get_height(in);
    VipsImage *t[5] = {0};
    int rc = -1;
    /* The canvas: new area transparent black. The mask: white outside the
     * original image, black over it. */
    if ((t[0] = as_rgba(in)) &&
        vips_embed(t[0], &t[1], left, top, canvas_w, canvas_h, "extend",
                   VIPS_EXTEND_BLACK, NULL) == 0 &&
        vips_black(&t[2], w, h, NULL) == 0 &&
        vips_embed(t[2], &t[3], left, top, canvas_w, canvas_h, "extend",
                   VIPS_EXTEND_WHITE, NULL) == 0 &&
        vips_cast_uchar(t[3], &t[4], NULL) == 0)
        rc = encode_png(t[1], canvas, err) || encode_png(t[4], mask, err) ? -1 : 0;
    if (rc != 0) {
        ig_png_clear(canvas);
        ig_png_clear(mask);
        if (err && err->code == IG_OK) {
            vips_error_clear();
            ig_fail(err, IG_ERR_INTERNAL, NULL, "could not build the outpaint canvas");
        }
    }
    unref_all(t, 5);
    g_object_unref(in);
    return rc;
}

int ig_ops_square_png(const unsigned char *image, size_t size, int max_side,
                      ig_png *out, int *cropped, ig_error *err)
{
    memset(out, 0, sizeof *out);
    VipsImage *in = ig_ops_decode(image, size, err);
    if (!in)
        return -1;
    int w = vips_image_get_width(in), h = vips_image_get_height(in);
    int side = w < h ? w : h;
    *cropped = w != h;
    VipsImage *t[3] = {0};
    int rc = -1;
    /* Shrinking only: vips_resize is fine for reduction (its enlargement is
     * what the offline-upscaling note warns about). */
    double scale = side > max_side ? (double)max_side / side : 1.0;
    if (vips_extract_area(in, &t[0], (w - side) / 2, (h - side) / 2, side, side, NULL) == 0 &&
        vips_resize(t[0], &t[1], scale, NULL) == 0 &&
        (t[2] = as_rgba(t[1])) != NULL)
        rc = encode_png(t[2], out, err);
    if (rc != 0 && err && err->code == IG_OK) {
        vips_error_clear();
        ig_fail(err, IG_ERR_INTERNAL, NULL, "could not make a square PNG");
    }
    unref_all(t, 3);
    g_object_unref(in);
    return rc;
}

int ig_ops_shrink_file(const char *path, int width, int height, const char *format,
                       ig_png *out, ig_error *err)
{
    memset(out, 0, sizeof *out);
    if (ig_vips_ensure_init(err) != 0)
        return -1;
    VipsImage *img = NULL;
    /* vips_thumbnail shrinks on load where the format allows and, with
     * VIPS_SIZE_FORCE, lands on exactly width x height. */
    if (vips_thumbnail(path, &img, width, "height", height, "size", VIPS_SIZE_FORCE,
                       NULL) != 0) {
        vips_error_clear();
        return ig_fail(err, IG_ERR_IMAGE_UNREADABLE, NULL, "could not shrink %s", path);
    }
    int rc = ig_ops_encode_as(img, format, out, err);
    g_object_unref(img);
    return rc;
}
