/*
 * emu_images.h - real images for every loopback emulator: a seeded pattern
 * of any size encoded with libvips, input image probing, and base64 both
 * ways. Every function may be called from any thread.
 */
#ifndef IG_EMU_IMAGES_H
#define IG_EMU_IMAGES_H

#include <stdbool.h>
#include <stddef.h>

/* What libvips learnt about an input image. */
typedef struct emu_probe {
    char format[8]; /* png|jpeg|webp|"" (undecodable or other) */
    int width, height, bands;
    bool alpha;
} emu_probe;

/* Initialises libvips once per process; 0 or -1. */
int emu_vips_init(void);
/* Decodes a PNG, JPEG or WebP image; false for anything else. */
bool emu_image_probe(const unsigned char *data, size_t size, emu_probe *out);
/* A real width x height pattern image, varied by seed, encoded as format
 * (png|jpeg|webp) with quality (jpeg/webp, 0-100) and 4 bands when alpha.
 * Returns malloc'd bytes and sets *size, or NULL on failure. */
unsigned char *emu_image_make(int width, int height, const char *format, int quality,
                              bool alpha, unsigned seed, size_t *size);
/* Standard base64 of bytes; malloc'd and NUL-terminated. */
char *emu_base64(const unsigned char *data, size_t size);
/* Decodes standard base64 (padding optional, no whitespace). Returns
 * malloc'd bytes and sets *size, or NULL when text is not base64. */
unsigned char *emu_base64_decode(const char *text, size_t *size);

#endif
