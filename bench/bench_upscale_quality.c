/*
 * bench_upscale_quality.c - how good and how fast each offline upscaling
 * method is, on public-domain photos (Debian's python3-skimage data, which
 * scripts/setup.sh unpacks into data/samples/).
 *
 * Protocol (as in ../shared/reference/offline-upscaling.md): each photo is
 * cropped to a multiple of 4, shrunk by 2 and 4 with an antialiased,
 * centre-aligned bicubic, enlarged back by nearest, bicubic, Lanczos3 and
 * the neural network, and compared with the original on the Y channel
 * (BT.601), the border of `scale` pixels left out: PSNR-Y and SSIM-Y
 * (Gaussian window 11, sigma 1.5). Speed is output megapixels per second;
 * everything is also given relative to Lanczos3 measured in the same run.
 *
 * Then the speed goal: astronaut.png (512x512) doubled, with one OpenBLAS
 * thread and with one per core.
 *
 * Usage: bench_upscale_quality SAMPLES_DIR WEIGHTS_FILE
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ig_error.h"
#include "image/image_input.h"
#include "image/image_pixels.h"
#include "image/image_probe.h"
#include "providers/local/lanczos3.h"
#include "providers/local/rdn.h"

static const char *const photos[] = {"astronaut.png", "camera.png",          "chelsea.png",
                                     "coffee.png",    "motorcycle_left.png", "rocket.jpg"};
#define N_PHOTOS (int)(sizeof photos / sizeof photos[0])

enum { NEAREST, BICUBIC, LANCZOS3, NEURAL, N_METHODS };
static const char *const method_names[N_METHODS] = {"nearest", "bicubic", "lanczos3",
                                                    "neural"};

typedef struct totals {
    double psnr, ssim, seconds, megapixels;
} totals;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The photo as RGB (grey repeated), cropped to a multiple of 4. */
static int load_rgb(const char *path, ig_pixels *out)
{
    ig_input_limits limits = {0}; /* a trusted local file: no caps */
    ig_image file;
    ig_pixels px;
    ig_error err;
    ig_error_clear(&err);
    if (ig_image_resolve(path, "photo", &limits, NULL, NULL, &file, &err) != 0)
        return -1;
    ig_pixels rgb;
    int rc = ig_pixels_decode(file.data, file.size, &px, &err);
    ig_image_clear(&file);
    if (rc != 0 || ig_pixels_rgb(&px, &rgb, &err) != 0)
        return -1;
    ig_pixels_clear(&px);
    int w = rgb.width / 4 * 4, h = rgb.height / 4 * 4;
    ig_pixels_alloc(out, w, h, 3, &err);
    for (int y = 0; y < h; y++)
        memcpy(out->data + (size_t)y * w * 3, rgb.data + (size_t)y * rgb.width * 3,
               (size_t)w * 3);
    ig_pixels_clear(&rgb);
    return 0;
}

/* BT.601 luma (studio range, as the SR literature computes PSNR-Y). */
static double *luma(const ig_pixels *px)
{
    size_t n = (size_t)px->width * px->height;
    double *y = malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = px->data + i * 3;
        y[i] = 16.0 + (65.481 * p[0] + 128.553 * p[1] + 24.966 * p[2]) / 255.0;
    }
    return y;
}

static double psnr_y(const double *a, const double *b, int w, int h, int border)
{
    double sum = 0;
    long n = 0;
    for (int y = border; y < h - border; y++)
        for (int x = border; x < w - border; x++) {
            double d = a[(size_t)y * w + x] - b[(size_t)y * w + x];
            sum += d * d;
            n++;
        }
    return 10.0 * log10(255.0 * 255.0 / (sum / n));
}

/* Mean SSIM (Wang et al. 2004: 11x11 Gaussian, sigma 1.5, K1 .01, K2 .03)
 * over the windows that lie inside the cropped area. */
static double ssim_y(const double *a, const double *b, int w, int h, int border)
{
    double g[11], gsum = 0;
    for (int i = 0; i < 11; i++)
        gsum += g[i] = exp(-((i - 5) * (i - 5)) / (2 * 1.5 * 1.5));
    for (int i = 0; i < 11; i++)
        g[i] /= gsum;
    const double c1 = pow(0.01 * 255, 2), c2 = pow(0.03 * 255, 2);
    double total = 0;
    long n = 0;
    for (int y = border + 5; y < h - border - 5; y++)
        for (int x = border + 5; x < w - border - 5; x++) {
            double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
            for (int j = -5; j <= 5; j++)
                for (int i = -5; i <= 5; i++) {
                    double wt = g[j + 5] * g[i + 5];
                    double va = a[(size_t)(y + j) * w + x + i];
                    double vb = b[(size_t)(y + j) * w + x + i];
                    ma += wt * va;
                    mb += wt * vb;
                    saa += wt * va * va;
                    sbb += wt * vb * vb;
                    sab += wt * va * vb;
                }
            double va = saa - ma * ma, vb = sbb - mb * mb, cov = sab - ma * mb;
            total += ((2 * ma * mb + c1) * (2 * cov + c2)) /
                     ((ma * ma + mb * mb + c1) * (va + vb + c2));
            n++;
        }
    return total / n;
}

/* Centre-aligned nearest neighbour by an integer factor. */
static void nearest(const ig_pixels *in, int scale, ig_pixels *out)
{
    for (int y = 0; y < out->height; y++)
        for (int x = 0; x < out->width; x++)
            memcpy(out->data + ((size_t)y * out->width + x) * 3,
                   in->data + ((size_t)(y / scale) * in->width + x / scale) * 3, 3);
}

static int neural(const ig_rdn *net, const ig_pixels *in, int scale, ig_pixels *out)
{
    ig_rdn_run run = {0};
    if (scale == 2)
        return ig_rdn_upscale2x(net, in->data, in->width, in->height, out->data, &run);
    ig_pixels mid;
    ig_error err;
    ig_pixels_alloc(&mid, in->width * 2, in->height * 2, 3, &err);
    int rc = ig_rdn_upscale2x(net, in->data, in->width, in->height, mid.data, &run);
    if (rc == 0)
        rc = ig_rdn_upscale2x(net, mid.data, mid.width, mid.height, out->data, &run);
    ig_pixels_clear(&mid);
    return rc;
}

/* One photo at one scale: every method, scores added to t[method]. */
static int bench_photo(const ig_rdn *net, const ig_pixels *orig, int scale, totals *t)
{
    ig_pixels small, up;
    ig_error err;
    ig_pixels_alloc(&small, orig->width / scale, orig->height / scale, 3, &err);
    ig_pixels_alloc(&up, orig->width, orig->height, 3, &err);
    ig_resample(IG_KERNEL_CUBIC, orig->data, orig->width, orig->height, 3, small.data,
                small.width, small.height);
    double *truth = luma(orig);
    for (int m = 0; m < N_METHODS; m++) {
        double start = now_s();
        int rc = 0;
        if (m == NEAREST)
            nearest(&small, scale, &up);
        else if (m == NEURAL)
            rc = neural(net, &small, scale, &up);
        else
            rc = ig_resample(m == BICUBIC ? IG_KERNEL_CUBIC : IG_KERNEL_LANCZOS3, small.data,
                             small.width, small.height, 3, up.data, up.width, up.height);
        double seconds = now_s() - start;
        if (rc != 0)
            return -1;
        double *y = luma(&up);
        t[m].psnr += psnr_y(y, truth, up.width, up.height, scale);
        t[m].ssim += ssim_y(y, truth, up.width, up.height, scale);
        t[m].seconds += seconds;
        t[m].megapixels += up.width * (double)up.height / 1e6;
        free(y);
    }
    free(truth);
    ig_pixels_clear(&small);
    ig_pixels_clear(&up);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s SAMPLES_DIR WEIGHTS_FILE\n", argv[0]);
        return 2;
    }
    ig_error err;
    ig_error_clear(&err);
    char why[256];
    ig_rdn *net = ig_rdn_load(argv[2], why, sizeof why);
    if (ig_vips_ensure_init(&err) != 0 || !net) {
        fprintf(stderr, "cannot start: %s\n", net ? err.message : why);
        return 1;
    }
    printf("Offline upscaling quality: %d photos (%s), Y channel, border = scale\n", N_PHOTOS,
           argv[1]);
    for (int scale = 2; scale <= 4; scale += 2) {
        totals t[N_METHODS] = {{0}};
        for (int p = 0; p < N_PHOTOS; p++) {
            char path[4096];
            ig_pixels orig;
            snprintf(path, sizeof path, "%s/%s", argv[1], photos[p]);
            if (load_rgb(path, &orig) != 0 || bench_photo(net, &orig, scale, t) != 0) {
                fprintf(stderr, "failed on %s (run scripts/setup.sh)\n", path);
                return 1;
            }
            ig_pixels_clear(&orig);
        }
        double base_psnr = t[LANCZOS3].psnr / N_PHOTOS;
        double base_speed = t[LANCZOS3].megapixels / t[LANCZOS3].seconds;
        printf("\nx%d      PSNR-Y   SSIM-Y   vs lanczos3   output MP/s   speed vs lanczos3\n",
               scale);
        for (int m = 0; m < N_METHODS; m++) {
            double psnr = t[m].psnr / N_PHOTOS, speed = t[m].megapixels / t[m].seconds;
            printf("%-8s %6.2f   %6.4f   %+6.2f dB   %11.3f   %10.4fx\n", method_names[m],
                   psnr, t[m].ssim / N_PHOTOS, psnr - base_psnr, speed, speed / base_speed);
        }
    }
    /* The speed goal: a 512x512 photo doubled to 1024x1024. */
    ig_pixels photo;
    char path[4096];
    snprintf(path, sizeof path, "%s/astronaut.png", argv[1]);
    if (load_rgb(path, &photo) != 0)
        return 1;
    ig_pixels big;
    ig_pixels_alloc(&big, photo.width * 2, photo.height * 2, 3, &err);
    int cores = openblas_get_num_threads();
    double one_thread = 0;
    for (int threads = 1; threads <= cores; threads += cores > 1 ? cores - 1 : 1) {
        openblas_set_num_threads(threads);
        double start = now_s();
        neural(net, &photo, 2, &big);
        double seconds = now_s() - start;
        one_thread = threads == 1 ? seconds : one_thread;
        printf("%sneural %dx%d -> %dx%d, %d thread%s: %.1f s (%.1f GMAC/s, %.2fx one "
               "thread)%s\n", threads == 1 ? "\n" : "", photo.width, photo.height, big.width,
               big.height, threads, threads > 1 ? "s" : "", seconds,
               ig_rdn_macs_per_output_pixel(net) * big.width * big.height / seconds / 1e9,
               one_thread / seconds, threads == cores ? "; goal: under 15 s on 2 cores" : "");
    }
    ig_pixels_clear(&big);
    ig_pixels_clear(&photo);
    ig_rdn_free(net);
    return 0;
}
