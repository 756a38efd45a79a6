/* test_images.h - real encoded test images made with libvips at test time. */
#ifndef IG_TEST_IMAGES_H
#define IG_TEST_IMAGES_H

#include <stddef.h>

/*
 * Encodes a width x height test pattern (a colour gradient, so it is not
 * trivially compressible; bands 1 = grey, 2 = grey+alpha, 3 = RGB,
 * 4 = RGBA; JPEG takes 1 or 3) as format "png", "jpeg" or "webp" (or "gif",
 * for refusal tests). Returns malloc'd bytes and sets *size; aborts the test
 * on failure.
 */
unsigned char *ti_encode(const char *format, int width, int height, int bands,
                         size_t *size);

/* A white-on-black mask PNG (1 band) whose rectangle x,y,w,h is white. */
unsigned char *ti_mask_png(int width, int height, int x, int y, int w, int h,
                           size_t *size);

/* Writes a test PNG to dir/name and returns the malloc'd path. */
char *ti_write_png(const char *dir, const char *name, int width, int height);

/* "data:<mime>;base64,<...>" for the bytes; malloc'd. */
char *ti_data_url(const char *mime, const unsigned char *data, size_t size);

#endif
