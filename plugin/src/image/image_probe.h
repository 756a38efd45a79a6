/*
 * image_probe.h - learn an encoded image's type and size, and prove it decodes.
 *
 * Backed by libvips. Headers are read first so an image over the pixel limit
 * is refused before it is decoded whole. Thread-safe; call ig_vips_ensure_init()
 * (idempotent) before the first use in a process.
 */
#ifndef IG_IMAGE_PROBE_H
#define IG_IMAGE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ig_error.h"

typedef struct ig_image_info {
    char mime_type[16]; /* "image/png", "image/jpeg" or "image/webp" */
    int width;
    int height;
    int bands;      /* 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA */
    bool has_alpha;
} ig_image_info;

/* Starts libvips once per process (pthread_once). Returns 0, or -1 with err. */
int ig_vips_ensure_init(ig_error *err);

/*
 * Probes data[0..size) (borrowed). Accepts PNG, JPEG and WebP only.
 * max_pixels: refuse (IG_ERR_IMAGE_TOO_LARGE) when width*height exceeds it,
 * judged from the header alone (0 = no limit). full_decode: also decode every pixel and
 * refuse truncated or corrupt data (IG_ERR_IMAGE_UNREADABLE).
 * field names the argument in errors ("image", "mask", ...).
 * Returns 0 and fills *info, or -1 with err filled. Messages start with
 * "<field>: " when field is non-empty. The format is recognised from its magic
 * bytes and only the matching png/jpeg/webp loader is run; no other libvips
 * loader ever parses the data.
 */
int ig_image_probe(const unsigned char *data, size_t size, uint64_t max_pixels,
                   bool full_decode, const char *field, ig_image_info *info,
                   ig_error *err);

/* File extension without dot for a mime type ("png"), or NULL if unknown. */
const char *ig_mime_extension(const char *mime_type);

#endif
