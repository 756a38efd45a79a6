/* image_pixels.c - see image_pixels.h. */
#include "image/image_pixels.h"

#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "image/image_ops_internal.h"

int ig_pixels_alloc(ig_pixels *px, int width, int height, int bands, ig_error *err)
{
    px->data = malloc((size_t)width * (size_t)height * (size_t)bands);
    px->width = width;
    px->height = height;
    px->bands = bands;
    if (px->data)
        return 0;
    memset(px, 0, sizeof *px);
    return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory for a %dx%d image", width,
                   height);
}

void ig_pixels_clear(ig_pixels *px)
{
    if (!px)
        return;
    free(px->data);
    memset(px, 0, sizeof *px);
}

bool ig_pixels_has_alpha(const ig_pixels *px)
{
    return px->bands == 2 || px->bands == 4;
}

int ig_pixels_rgb(const ig_pixels *in, ig_pixels *rgb, ig_error *err)
{
    if (ig_pixels_alloc(rgb, in->width, in->height, 3, err) != 0)
        return -1;
    size_t n = (size_t)in->width * in->height;
    bool grey = in->bands < 3;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            rgb->data[i * 3 + c] = in->data[i * in->bands + (grey ? 0 : c)];
    return 0;
}

/* img as 8-bit sRGB, or grey when it has one colour band (alpha kept). */
static VipsImage *as_8bit(VipsImage *img)
{
    bool colour = vips_image_get_bands(img) - vips_image_hasalpha(img) >= 3;
    return ig_ops_as_u8(img, colour ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W);
}

int ig_pixels_decode(const unsigned char *image, size_t size, ig_pixels *out,
                     ig_error *err)
{
    memset(out, 0, sizeof *out);
    VipsImage *in = ig_ops_decode(image, size, err);
    if (!in)
        return -1;
    VipsImage *u8 = as_8bit(in);
    g_object_unref(in);
    size_t len = 0;
    void *mem = u8 ? vips_image_write_to_memory(u8, &len) : NULL;
    int rc = -1;
    if (mem && ig_pixels_alloc(out, vips_image_get_width(u8), vips_image_get_height(u8),
                               vips_image_get_bands(u8), err) == 0) {
        memcpy(out->data, mem, len);
        rc = 0;
    } else if (!mem) {
        vips_error_clear();
        ig_fail(err, IG_ERR_IMAGE_UNREADABLE, NULL, "image could not be decoded to pixels");
    }
    g_free(mem);
    if (u8)
        g_object_unref(u8);
    return rc;
}

int ig_pixels_encode(const ig_pixels *px, const char *format, ig_png *out, ig_error *err)
{
    memset(out, 0, sizeof *out);
    VipsImage *img = vips_image_new_from_memory(
        px->data, (size_t)px->width * px->height * px->bands, px->width, px->height,
        px->bands, VIPS_FORMAT_UCHAR);
    if (!img) {
        vips_error_clear();
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "could not wrap pixels for encoding");
    }
    img->Type = px->bands >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W;
    VipsImage *flat = NULL;
    int rc = -1;
    if (!strcmp(format, "jpeg") && ig_pixels_has_alpha(px)) {
        double white[] = {255, 255, 255};
        VipsArrayDouble *background = vips_array_double_new(white, px->bands - 1);
        if (vips_flatten(img, &flat, "background", background, NULL) == 0)
            rc = ig_ops_encode_as(flat, format, out, err);
        else
            ig_fail(err, IG_ERR_INTERNAL, NULL, "could not flatten alpha for JPEG");
        vips_area_unref(VIPS_AREA(background));
    } else {
        rc = ig_ops_encode_as(img, format, out, err);
    }
    if (flat)
        g_object_unref(flat);
    g_object_unref(img);
    return rc;
}
