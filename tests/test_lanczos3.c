/*
 * test_lanczos3.c - the Lanczos3 resampler (and its cubic sibling) is exact where it must be: flat
 * stays flat, odd integer scales pass the source samples through, the
 * output is centred (a best match at zero shift, which is what libvips'
 * enlargement gets wrong), and shrinking antialiases.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/local/lanczos3.h"

/* A smooth, asymmetric test image (sum of slanted sinusoids), 1 band. */
static uint8_t *smooth_image(int w, int h)
{
    uint8_t *img = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double v = 128 + 50 * sin(0.11 * x + 0.05 * y + 0.3) +
                       40 * cos(0.07 * y - 0.13 * x + 1.1) + 20 * sin(0.23 * x * 0.5 + 0.9);
            img[(size_t)y * w + x] = (uint8_t)lround(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    return img;
}

/* Exact centred box shrink by an integer factor (the reference downscale). */
static uint8_t *box_shrink(const uint8_t *img, int w, int h, int f)
{
    int sw = w / f, sh = h / f;
    uint8_t *out = malloc((size_t)sw * sh);
    for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x++) {
            int sum = 0;
            for (int j = 0; j < f; j++)
                for (int i = 0; i < f; i++)
                    sum += img[(size_t)(y * f + j) * w + x * f + i];
            out[(size_t)y * sw + x] = (uint8_t)((sum + f * f / 2) / (f * f));
        }
    return out;
}

/* Mean squared error of a against b shifted by (dx, dy), over the interior
 * (a margin of 8 pixels keeps edges out). */
static double mse_shifted(const uint8_t *a, const uint8_t *b, int w, int h, int dx, int dy)
{
    double sum = 0;
    long n = 0;
    for (int y = 8; y < h - 8; y++)
        for (int x = 8; x < w - 8; x++) {
            double d = (double)a[(size_t)y * w + x] - b[(size_t)(y + dy) * w + x + dx];
            sum += d * d;
            n++;
        }
    return sum / n;
}

Test(lanczos3, flat_image_stays_flat_at_any_scale)
{
    const int sizes[][2] = {{64, 128}, {64, 256}, {37, 101}, {64, 40}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int in = sizes[s][0], out = sizes[s][1];
        uint8_t *src = malloc((size_t)in * in * 4), *dst = malloc((size_t)out * out * 4);
        for (int i = 0; i < in * in * 4; i++)
            src[i] = (uint8_t)(i % 4 == 3 ? 200 : 77 + i % 4);
        cr_assert_eq(ig_lanczos3_resize(src, in, in, 4, dst, out, out), 0);
        for (int i = 0; i < out * out * 4; i++)
            cr_assert_eq(dst[i], src[i % 4], "%d -> %d: byte %d is %d", in, out, i, dst[i]);
        free(src);
        free(dst);
    }
}

Test(lanczos3, same_size_is_identity)
{
    uint8_t *src = smooth_image(50, 30), *dst = malloc(50 * 30);
    cr_assert_eq(ig_lanczos3_resize(src, 50, 30, 1, dst, 50, 30), 0);
    cr_expect_arr_eq(dst, src, 50 * 30);
    free(src);
    free(dst);
}

/* At 3x, output pixel 3k+1 has its centre exactly on source pixel k, where
 * every other Lanczos tap is zero: the source value must come through. */
Test(lanczos3, odd_scale_passes_source_samples_through)
{
    int w = 40, h = 24;
    uint8_t *src = smooth_image(w, h), *dst = malloc((size_t)w * h * 9);
    cr_assert_eq(ig_lanczos3_resize(src, w, h, 1, dst, 3 * w, 3 * h), 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            cr_assert_eq(dst[(size_t)(3 * y + 1) * 3 * w + 3 * x + 1], src[(size_t)y * w + x],
                         "source pixel (%d,%d) moved", x, y);
    free(src);
    free(dst);
}

/* Upscaling a centred box-shrunk image must line up best with the original
 * at zero shift; a half-source-pixel error (vips_resize) is 1 output pixel
 * at 2x and 2 at 4x. */
static void expect_centred(ig_kernel kernel, int factor)
{
    int w = 160, h = 128;
    uint8_t *orig = smooth_image(w, h);
    uint8_t *small = box_shrink(orig, w, h, factor);
    uint8_t *up = malloc((size_t)w * h);
    cr_assert_eq(ig_resample(kernel, small, w / factor, h / factor, 1, up, w, h), 0);
    double best = INFINITY;
    int best_dx = 99, best_dy = 99;
    for (int dy = -2; dy <= 2; dy++)
        for (int dx = -2; dx <= 2; dx++) {
            double mse = mse_shifted(up, orig, w, h, dx, dy);
            if (mse < best) {
                best = mse;
                best_dx = dx;
                best_dy = dy;
            }
        }
    cr_expect_eq(best_dx, 0, "x%d: best match at dx=%d", factor, best_dx);
    cr_expect_eq(best_dy, 0, "x%d: best match at dy=%d", factor, best_dy);
    cr_expect_lt(best, factor == 2 ? 4.0 : 20.0, "x%d: MSE %.2f at zero shift", factor, best);
    free(orig);
    free(small);
    free(up);
}

Test(lanczos3, enlargement_is_centred_at_2x)
{
    expect_centred(IG_KERNEL_LANCZOS3, 2);
}

Test(lanczos3, enlargement_is_centred_at_4x)
{
    expect_centred(IG_KERNEL_LANCZOS3, 4);
}

/* The benchmark's bicubic baseline follows the same centring. */
Test(lanczos3, cubic_kernel_is_centred_too)
{
    expect_centred(IG_KERNEL_CUBIC, 2);
    expect_centred(IG_KERNEL_CUBIC, 4);
}

/* A one-pixel checkerboard has no detail that survives halving: a widened
 * (antialiasing) kernel turns it grey instead of aliasing to black/white. */
Test(lanczos3, shrinking_antialiases)
{
    int w = 64;
    uint8_t *src = malloc((size_t)w * w), *dst = malloc((size_t)w * w / 4);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            src[y * w + x] = (x + y) % 2 ? 255 : 0;
    cr_assert_eq(ig_lanczos3_resize(src, w, w, 1, dst, w / 2, w / 2), 0);
    for (int i = 0; i < w * w / 4; i++)
        cr_assert(abs(dst[i] - 128) <= 12, "pixel %d is %d, not grey", i, dst[i]);
    free(src);
    free(dst);
}

Test(lanczos3, refuses_bad_arguments)
{
    uint8_t px[16] = {0};
    cr_expect_eq(ig_lanczos3_resize(px, 0, 2, 1, px, 2, 2), -1);
    cr_expect_eq(ig_lanczos3_resize(px, 2, 2, 5, px, 2, 2), -1);
    cr_expect_eq(ig_lanczos3_resize(px, 2, 2, 1, px, 2, -1), -1);
}
