/*
 * image_ops_internal.h - the libvips decode and encode steps shared by the
 * image_* files. Not for providers: they use image_ops.h and image_pixels.h.
 */
#ifndef IG_IMAGE_OPS_INTERNAL_H
#define IG_IMAGE_OPS_INTERNAL_H

#include <stddef.h>
#include <vips/vips.h>

#include "core/ig_error.h"
#include "image/image_ops.h"

/* Decodes bytes fully into memory (random access). The bytes already passed
 * ig_image_probe, so only PNG/JPEG/WebP arrive here. Caller unrefs; NULL
 * with IG_ERR_IMAGE_UNREADABLE when they do not decode. */
VipsImage *ig_ops_decode(const unsigned char *data, size_t size, ig_error *err);

/* in converted to `space` (sRGB or B_W) with 8-bit bands, alpha kept; a
 * new reference, or NULL on a vips error. */
VipsImage *ig_ops_as_u8(VipsImage *in, VipsInterpretation space);

/* Encodes img as "png", "jpeg" or "webp" (quality 92) into out's malloc'd
 * bytes. Returns 0, or -1 with IG_ERR_INTERNAL. */
int ig_ops_encode_as(VipsImage *img, const char *format, ig_png *out, ig_error *err);

#endif
