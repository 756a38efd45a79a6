/* test_image_ops.c - mask conversion, outpaint canvases and square crops,
 * checked pixel by pixel on real encoded images. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <vips/vips.h>

#include "image/image_ops.h"
#include "image/image_probe.h"
#include "support/test_images.h"

static VipsImage *decode(const ig_png *png)
{
    VipsImage *img = vips_image_new_from_buffer(png->data, png->size, "", NULL);
    cr_assert(img, "output is not decodable");
    return img;
}

/* Value of band `band` at (x, y). */
static double pixel(VipsImage *img, int x, int y, int band)
{
    double *values = NULL;
    int n = 0;
    cr_assert_eq(vips_getpoint(img, &values, &n, x, y, NULL), 0);
    cr_assert_lt(band, n);
    double v = values[band];
    g_free(values);
    return v;
}

static void init(void)
{
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_vips_ensure_init(&err), 0);
}

TestSuite(image_ops, .init = init, .timeout = 60);

Test(image_ops, white_mask_becomes_transparent_area)
{
    size_t size;
    unsigned char *mask = ti_mask_png(64, 48, 10, 5, 20, 10, &size);
    ig_png out;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_ops_mask_to_transparent(mask, size, &out, &err), 0, "%s", err.message);
    VipsImage *img = decode(&out);
    cr_expect_eq(vips_image_get_width(img), 64);
    cr_expect_eq(vips_image_get_height(img), 48);
    cr_expect_eq(vips_image_get_bands(img), 4);
    cr_expect_eq(pixel(img, 15, 8, 3), 0, "inside the white area must be transparent");
    cr_expect_eq(pixel(img, 0, 0, 3), 255, "outside must be opaque");
    cr_expect_eq(pixel(img, 63, 47, 3), 255);
    g_object_unref(img);
    ig_png_clear(&out);
    free(mask);
}

Test(image_ops, outpaint_canvas_and_mask)
{
    size_t size;
    unsigned char *src = ti_encode("jpeg", 40, 30, 3, &size);
    ig_png canvas, mask;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_ops_outpaint_canvas(src, size, 8, 4, 60, 40, &canvas, &mask, &err), 0,
                 "%s", err.message);
    VipsImage *c = decode(&canvas), *m = decode(&mask);
    cr_expect_eq(vips_image_get_width(c), 60);
    cr_expect_eq(vips_image_get_height(c), 40);
    cr_expect_eq(vips_image_get_bands(c), 4);
    cr_expect_eq(pixel(c, 0, 0, 3), 0, "new area must be transparent");
    cr_expect_eq(pixel(c, 8 + 20, 4 + 15, 3), 255, "the original must stay opaque");
    cr_expect_eq(pixel(c, 59, 39, 3), 0);
    cr_expect_eq(vips_image_get_width(m), 60);
    cr_expect_eq(pixel(m, 0, 0, 0), 255, "mask: new area white");
    cr_expect_eq(pixel(m, 8, 4, 0), 0, "mask: original area black");
    cr_expect_eq(pixel(m, 8 + 39, 4 + 29, 0), 0);
    cr_expect_eq(pixel(m, 8 + 40, 4 + 29, 0), 255);
    g_object_unref(c);
    g_object_unref(m);
    ig_png_clear(&canvas);
    ig_png_clear(&mask);
    free(src);
}

Test(image_ops, square_crop_and_shrink)
{
    size_t size;
    unsigned char *src = ti_encode("png", 300, 200, 3, &size);
    ig_png out;
    int cropped = -1;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_ops_square_png(src, size, 128, &out, &cropped, &err), 0, "%s",
                 err.message);
    cr_expect_eq(cropped, 1);
    cr_expect_eq(out.width, 128);
    cr_expect_eq(out.height, 128);
    ig_png_clear(&out);
    free(src);

    src = ti_encode("png", 64, 64, 3, &size);
    cr_assert_eq(ig_ops_square_png(src, size, 1024, &out, &cropped, &err), 0);
    cr_expect_eq(cropped, 0);
    cr_expect_eq(out.width, 64, "never enlarged");
    ig_png_clear(&out);
    free(src);
}

Test(image_ops, undecodable_input)
{
    ig_png out;
    ig_error err;
    ig_error_clear(&err);
    cr_expect_eq(ig_ops_mask_to_transparent((const unsigned char *)"nope", 4, &out, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_UNREADABLE);
    cr_expect_null(out.data);
}
