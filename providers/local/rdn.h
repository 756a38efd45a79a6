/*
 * rdn.h - the idealo RDN "psnr-small" x2 super-resolution network
 * (image-super-resolution, Apache-2.0; weights from the MIT npm package
 * @upscalerjs/models 0.9.0) run on the CPU.
 *
 * The network takes RGB scaled to 0..1 and returns the doubled image in
 * 0..1 (checked against TensorFlow.js running the same model:
 * tests/test_rdn.c). Convolutions are OpenBLAS sgemm calls on zero-padded
 * planar feature maps (no im2col copies); OpenBLAS's own threads share the
 * work of each one. Large images are cut into tiles that overlap by a halo,
 * so memory stays bounded whatever the image size.
 */
#ifndef IG_RDN_H
#define IG_RDN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ig_rdn ig_rdn;

/*
 * Loads a weights file written by rdn_convert (rdn_format.h). Returns NULL
 * on failure with a one-line reason in why (missing, wrong magic, truncated,
 * a tensor of the wrong shape). The model is immutable once loaded: any
 * number of threads may run it at once. Free with ig_rdn_free.
 */
ig_rdn *ig_rdn_load(const char *path, char *why, size_t why_cap);

/* Frees a model; NULL is ignored. No run may be using it. */
void ig_rdn_free(ig_rdn *model);

typedef struct ig_rdn_run {
    int tile;                  /* interior tile side in input pixels; 0 = default */
    const atomic_bool *cancel; /* may be NULL; read between layers */
    /* May be NULL. Called on the calling thread between layers with the
     * fraction done, increasing to 1. It may set *cancel. */
    void (*progress)(void *ctx, double fraction);
    void *progress_ctx;
} ig_rdn_run;

enum { IG_RDN_OK = 0, IG_RDN_CANCELED = -1, IG_RDN_NOMEM = -2 };

/* Default interior tile side, and the halo each tile is extended by on
 * every side where the image goes on. A tile of (256 + 2 * 12)^2 input
 * pixels needs about 190 MB of feature maps, whatever the image size. */
#define IG_RDN_DEFAULT_TILE 256
#define IG_RDN_HALO 12

/*
 * Doubles an 8-bit RGB image (w*h*3 bytes, packed rows) into out (2w*2h*3
 * bytes, caller-owned), rounded and clamped. Returns IG_RDN_OK,
 * IG_RDN_CANCELED (out partly written) or IG_RDN_NOMEM. Thread-safe.
 */
int ig_rdn_upscale2x(const ig_rdn *model, const uint8_t *rgb, int w, int h,
                     uint8_t *out, const ig_rdn_run *run);

/*
 * The raw network on a whole image in one piece: in is w*h*3 floats (NHWC,
 * 0..1), out 2w*2h*3 floats. For checking against reference outputs; memory
 * grows with the image. Returns IG_RDN_OK or IG_RDN_NOMEM.
 */
int ig_rdn_forward(const ig_rdn *model, const float *in, int w, int h, float *out);

/* Multiply-accumulates per output pixel of one 2x pass (for estimates). */
double ig_rdn_macs_per_output_pixel(const ig_rdn *model);

#endif
