/*
 * image_pixels.h - images as plain 8-bit pixel buffers, for code that works
 * on pixels itself (the local provider's resamplers and neural network).
 *
 * Decoding and encoding run on libvips; every function is thread-safe.
 */
#ifndef IG_IMAGE_PIXELS_H
#define IG_IMAGE_PIXELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ig_error.h"
#include "image/image_ops.h"

/* Interleaved 8-bit pixels, rows packed: bands 1 (grey), 2 (grey + alpha),
 * 3 (sRGB) or 4 (sRGB + alpha). */
typedef struct ig_pixels {
    uint8_t *data; /* malloc'd, width * height * bands bytes */
    int width, height, bands;
} ig_pixels;

/* Allocates an uninitialised buffer. Returns 0, or -1 with err when out of
 * memory. */
int ig_pixels_alloc(ig_pixels *px, int width, int height, int bands, ig_error *err);

/* Frees the buffer; NULL and cleared buffers are fine. */
void ig_pixels_clear(ig_pixels *px);

/* True when the last band is alpha. */
bool ig_pixels_has_alpha(const ig_pixels *px);

/* The colour bands of in as a new RGB buffer (grey repeated, alpha
 * dropped). Returns 0, or -1 with err when out of memory. */
int ig_pixels_rgb(const ig_pixels *in, ig_pixels *rgb, ig_error *err);

/*
 * Decodes an encoded image (borrowed bytes) into *out: colour images as
 * sRGB, grey ones as grey, 16-bit ones scaled to 8 bits, alpha kept as the
 * last band. Returns 0, or -1 with IG_ERR_IMAGE_UNREADABLE / IG_ERR_INTERNAL.
 */
int ig_pixels_decode(const unsigned char *image, size_t size, ig_pixels *out,
                     ig_error *err);

/* Encodes px (borrowed) as "png", "jpeg" or "webp" into out (caller clears).
 * JPEG has no alpha: it is flattened onto white. Returns 0 or -1 with err. */
int ig_pixels_encode(const ig_pixels *px, const char *format, ig_png *out, ig_error *err);

#endif
