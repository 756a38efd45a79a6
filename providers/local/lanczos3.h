/*
 * lanczos3.h - exact, centre-aligned, separable Lanczos3 resampling.
 *
 * libvips 8.14's vips_resize enlarges with bicubic whatever kernel is asked
 * for, shifted by half a pixel (see ../shared/reference/offline-upscaling.md),
 * so enlargement is done here. Pixel centres are aligned: output pixel x
 * samples the source at (x + 0.5) * src_w / dst_w - 0.5, edges are extended
 * by copying the border pixel, and weights are normalised per pixel, so a
 * flat image stays flat. For shrinking the kernel is widened by the factor
 * (antialiasing). Pure function of its inputs; any thread.
 */
#ifndef IG_LANCZOS3_H
#define IG_LANCZOS3_H

#include <stdint.h>

/* Resampling kernels. Keys' cubic (a = -0.5) is the "bicubic" baseline the
 * benchmark compares against; the product uses Lanczos3. */
typedef enum ig_kernel {
    IG_KERNEL_LANCZOS3,
    IG_KERNEL_CUBIC,
} ig_kernel;

/* ig_lanczos3_resize with another kernel, same rules. */
int ig_resample(ig_kernel kernel, const uint8_t *src, int src_w, int src_h, int bands,
                uint8_t *dst, int dst_w, int dst_h);

/*
 * Resamples src (src_w x src_h, `bands` interleaved 8-bit channels, 1..4,
 * rows packed) into dst (dst_w x dst_h, same bands), which the caller owns.
 * Every channel, alpha included, is filtered alike. Returns 0, or -1 when
 * out of memory (a float buffer of src_h x dst_w x bands is needed) or an
 * argument is out of range.
 */
int ig_lanczos3_resize(const uint8_t *src, int src_w, int src_h, int bands,
                       uint8_t *dst, int dst_w, int dst_h);

#endif
