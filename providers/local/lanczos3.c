/* lanczos3.c - see lanczos3.h. */
#include "providers/local/lanczos3.h"

#include <math.h>
#include <stdlib.h>

#define LOBES 3.0
#define PI 3.14159265358979323846

static double sinc(double x)
{
    if (fabs(x) < 1e-9)
        return 1.0;
    x *= PI;
    return sin(x) / x;
}

static double lanczos3(double x)
{
    return fabs(x) < LOBES ? sinc(x) * sinc(x / LOBES) : 0.0;
}

/* Keys (1981) cubic convolution with a = -0.5 (Catmull-Rom). */
static double cubic(double x)
{
    x = fabs(x);
    if (x < 1.0)
        return (1.5 * x - 2.5) * x * x + 1.0;
    if (x < 2.0)
        return ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0;
    return 0.0;
}

/* The taps of one axis: for each output index, `taps` source indices
 * (clamped to the edge) and normalised weights. */
typedef struct axis {
    int taps;
    int *index;    /* out_len * taps */
    float *weight; /* out_len * taps */
} axis;

static void axis_free(axis *a)
{
    free(a->index);
    free(a->weight);
}

static int axis_make(axis *a, ig_kernel kernel, int in_len, int out_len)
{
    double (*fn)(double) = kernel == IG_KERNEL_CUBIC ? cubic : lanczos3;
    double radius = kernel == IG_KERNEL_CUBIC ? 2.0 : LOBES;
    double ratio = (double)in_len / out_len;
    double support = ratio > 1.0 ? radius * ratio : radius; /* widened to shrink */
    double stretch = ratio > 1.0 ? ratio : 1.0;
    a->taps = (int)ceil(2.0 * support) + 1;
    a->index = malloc(sizeof(int) * (size_t)out_len * (size_t)a->taps);
    a->weight = malloc(sizeof(float) * (size_t)out_len * (size_t)a->taps);
    if (!a->index || !a->weight) {
        axis_free(a);
        return -1;
    }
    for (int o = 0; o < out_len; o++) {
        double centre = (o + 0.5) * ratio - 0.5;
        int first = (int)floor(centre - support) + 1;
        double sum = 0.0;
        int *idx = a->index + (size_t)o * a->taps;
        float *w = a->weight + (size_t)o * a->taps;
        for (int t = 0; t < a->taps; t++) {
            int i = first + t;
            double weight = fn((i - centre) / stretch);
            idx[t] = i < 0 ? 0 : i >= in_len ? in_len - 1 : i;
            w[t] = (float)weight;
            sum += weight;
        }
        for (int t = 0; t < a->taps; t++)
            w[t] = (float)(w[t] / sum);
    }
    return 0;
}

static uint8_t to_u8(float v)
{
    v = roundf(v);
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
}

int ig_lanczos3_resize(const uint8_t *src, int src_w, int src_h, int bands,
                       uint8_t *dst, int dst_w, int dst_h)
{
    return ig_resample(IG_KERNEL_LANCZOS3, src, src_w, src_h, bands, dst, dst_w, dst_h);
}

int ig_resample(ig_kernel kernel, const uint8_t *src, int src_w, int src_h, int bands,
                uint8_t *dst, int dst_w, int dst_h)
{
    if (src_w < 1 || src_h < 1 || dst_w < 1 || dst_h < 1 || bands < 1 || bands > 4)
        return -1;
    axis ax = {0}, ay = {0};
    size_t row = (size_t)dst_w * bands;
    float *mid = malloc(sizeof(float) * row * (size_t)src_h);
    float *acc = malloc(sizeof(float) * row);
    int rc = -1;
    if (!mid || !acc || axis_make(&ax, kernel, src_w, dst_w) != 0 ||
        axis_make(&ay, kernel, src_h, dst_h) != 0)
        goto done;
    /* Horizontal pass into floats: rounding happens once, at the end. */
    for (int y = 0; y < src_h; y++) {
        const uint8_t *in = src + (size_t)y * src_w * bands;
        float *out = mid + (size_t)y * row;
        for (int x = 0; x < dst_w; x++) {
            const int *idx = ax.index + (size_t)x * ax.taps;
            const float *w = ax.weight + (size_t)x * ax.taps;
            for (int b = 0; b < bands; b++) {
                float sum = 0.0f;
                for (int t = 0; t < ax.taps; t++)
                    sum += w[t] * in[(size_t)idx[t] * bands + b];
                out[(size_t)x * bands + b] = sum;
            }
        }
    }
    /* Vertical pass: whole rows at a time, which vectorises. */
    for (int y = 0; y < dst_h; y++) {
        const int *idx = ay.index + (size_t)y * ay.taps;
        const float *w = ay.weight + (size_t)y * ay.taps;
        for (size_t i = 0; i < row; i++)
            acc[i] = 0.0f;
        for (int t = 0; t < ay.taps; t++) {
            const float *in = mid + (size_t)idx[t] * row;
            for (size_t i = 0; i < row; i++)
                acc[i] += w[t] * in[i];
        }
        uint8_t *out = dst + (size_t)y * row;
        for (size_t i = 0; i < row; i++)
            out[i] = to_u8(acc[i]);
    }
    rc = 0;
done:
    free(acc);
    free(mid);
    axis_free(&ax);
    axis_free(&ay);
    return rc;
}
