/*
 * image_ops.h - local image work that providers need around their APIs,
 * on libvips: mask conventions, outpaint canvases, square variation inputs.
 *
 * Inputs are encoded images (borrowed bytes); outputs are malloc'd PNG bytes
 * the caller frees. Every function is thread-safe (libvips is) and returns
 * 0, or -1 with err (IG_ERR_IMAGE_UNREADABLE for undecodable input,
 * IG_ERR_INTERNAL otherwise).
 */
#ifndef IG_IMAGE_OPS_H
#define IG_IMAGE_OPS_H

#include <stddef.h>

#include "core/ig_error.h"

typedef struct ig_png {
    unsigned char *data; /* malloc'd */
    size_t size;
    int width, height;
} ig_png;

void ig_png_clear(ig_png *png);

/*
 * Our masks mark the area to change in WHITE. Some APIs (OpenAI edits)
 * mark it with fully TRANSPARENT pixels instead: returns an RGBA PNG the
 * mask's size whose alpha is 0 where the mask is at least half white and 255
 * elsewhere.
 */
int ig_ops_mask_to_transparent(const unsigned char *mask, size_t size, ig_png *out,
                               ig_error *err);

/*
 * Outpainting for APIs without an outpaint endpoint: the image placed on a
 * larger transparent canvas (left/top offsets, total canvas_w x canvas_h),
 * as an RGBA PNG whose new area is fully transparent, and the matching
 * white-means-change mask (1 band) for APIs that take one.
 */
int ig_ops_outpaint_canvas(const unsigned char *image, size_t size, int left, int top,
                           int canvas_w, int canvas_h, ig_png *canvas, ig_png *mask,
                           ig_error *err);

/*
 * A square PNG for APIs that need one (dall-e-2 variations): the centred
 * square crop, scaled down to at most max_side. *cropped says whether the
 * input was not square already.
 */
int ig_ops_square_png(const unsigned char *image, size_t size, int max_side,
                      ig_png *out, int *cropped, ig_error *err);

/*
 * Shrinks the image file at path to exactly width x height (each at most
 * the source's side) and encodes it as format ("png", "jpeg" or "webp"):
 * a provider's 4x upscale made into the 2x that was asked for. out holds
 * the encoded bytes (not necessarily PNG). Shrinking only: libvips'
 * reduction is exact, its enlargement is not (see offline-upscaling.md).
 */
int ig_ops_shrink_file(const char *path, int width, int height, const char *format,
                       ig_png *out, ig_error *err);

#endif
