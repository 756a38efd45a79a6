/* test_image_probe.c - ig_image_probe on real and broken images. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_probe.h"
#include "support/test_images.h"

#define NO_LIMIT 0

static int probe(const unsigned char *d, size_t n, uint64_t max_pixels,
                 bool full, ig_image_info *info, ig_error *err)
{
    ig_error_clear(err);
    return ig_image_probe(d, n, max_pixels, full, "image", info, err);
}

static void check_format(const char *fmt, int bands, const char *mime,
                         bool alpha)
{
    size_t n;
    unsigned char *d = ti_encode(fmt, 123, 45, bands, &n);
    ig_image_info info;
    ig_error err;
    cr_assert_eq(probe(d, n, NO_LIMIT, true, &info, &err), 0, "%s: %s", fmt,
                 err.message);
    cr_expect_str_eq(info.mime_type, mime);
    cr_expect_eq(info.width, 123);
    cr_expect_eq(info.height, 45);
    cr_expect_eq(info.bands, bands, "%s: bands %d", fmt, info.bands);
    cr_expect_eq(info.has_alpha, alpha, "%s: alpha", fmt);
    free(d);
}

Test(probe, png_rgb) { check_format("png", 3, "image/png", false); }
Test(probe, png_rgba) { check_format("png", 4, "image/png", true); }
Test(probe, png_grey) { check_format("png", 1, "image/png", false); }
Test(probe, png_grey_alpha) { check_format("png", 2, "image/png", true); }
Test(probe, jpeg_rgb) { check_format("jpeg", 3, "image/jpeg", false); }
Test(probe, webp_rgb) { check_format("webp", 3, "image/webp", false); }
Test(probe, webp_rgba) { check_format("webp", 4, "image/webp", true); }

Test(probe, mime_extension)
{
    cr_expect_str_eq(ig_mime_extension("image/png"), "png");
    cr_expect_str_eq(ig_mime_extension("image/jpeg"), "jpg");
    cr_expect_str_eq(ig_mime_extension("image/webp"), "webp");
    cr_expect_null(ig_mime_extension("image/gif"));
    cr_expect_null(ig_mime_extension(NULL));
}

static void expect_unreadable(const unsigned char *d, size_t n, const char *needle)
{
    ig_image_info info;
    ig_error err;
    cr_assert_eq(probe(d, n, NO_LIMIT, true, &info, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_UNREADABLE, "code %d: %s", err.code,
                 err.message);
    cr_expect_str_eq(err.field, "image");
    cr_expect(strstr(err.message, needle), "\"%s\" lacks \"%s\"", err.message,
              needle);
}

Test(probe, gif_from_vips_refused)
{
    size_t n;
    unsigned char *gif = ti_encode("gif", 20, 20, 3, &n);
    expect_unreadable(gif, n, "image is a GIF; use PNG, JPEG or WebP");
    free(gif);
}

Test(probe, other_formats_named)
{
    /* a 1x1 GIF89a made by hand */
    static const unsigned char gif[] = {
        'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff,
        0xff, 0xff, ',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, ';'};
    expect_unreadable(gif, sizeof gif, "GIF");
    static const unsigned char tiff[] = {'I', 'I', '*', 0, 8, 0, 0, 0};
    expect_unreadable(tiff, sizeof tiff, "TIFF");
    static const char svg[] = "<?xml version=\"1.0\"?><svg xmlns=\"x\"/>";
    expect_unreadable((const unsigned char *)svg, sizeof svg - 1, "SVG");
    static const char pdf[] = "%PDF-1.7\n";
    expect_unreadable((const unsigned char *)pdf, sizeof pdf - 1, "PDF");
}

Test(probe, random_bytes_refused)
{
    unsigned char junk[4096];
    srand(7);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)rand();
    junk[0] = 0x42; /* not a magic number of anything we name */
    junk[1] = 0x17;
    expect_unreadable(junk, sizeof junk, "not a PNG, JPEG or WebP image");
}

Test(probe, empty_and_tiny_refused)
{
    expect_unreadable((const unsigned char *)"", 0, "empty");
    expect_unreadable(NULL, 0, "empty");
    expect_unreadable((const unsigned char *)"\x89PN", 3, "not a PNG");
    /* a bare PNG signature: recognised, but the header is missing */
    expect_unreadable((const unsigned char *)"\x89PNG\r\n\x1a\n", 8, "PNG header");
    expect_unreadable((const unsigned char *)"\xff\xd8\xff", 3, "JPEG header");
}

Test(probe, truncated_png_refused_only_with_full_decode)
{
    size_t n;
    unsigned char *png = ti_encode("png", 300, 200, 3, &n);
    size_t cut = n * 6 / 10;
    ig_image_info info;
    ig_error err;
    cr_assert_eq(probe(png, cut, NO_LIMIT, false, &info, &err), 0,
                 "header-only probe should pass: %s", err.message);
    cr_expect_eq(info.width, 300);
    cr_assert_eq(probe(png, cut, NO_LIMIT, true, &info, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_UNREADABLE);
    cr_expect(strstr(err.message,
                     "image could not be decoded: the PNG data is truncated or corrupt"),
              "%s", err.message);
    free(png);
}

Test(probe, corrupt_png_body_refused)
{
    size_t n;
    unsigned char *png = ti_encode("png", 200, 200, 3, &n);
    for (size_t i = n / 2; i < n / 2 + 64; i++)
        png[i] ^= 0x5a;
    expect_unreadable(png, n, "could not be decoded");
    free(png);
}

Test(probe, truncated_jpeg_and_webp_refused)
{
    size_t n;
    unsigned char *webp = ti_encode("webp", 300, 200, 3, &n);
    expect_unreadable(webp, n / 2, "WebP");
    free(webp);
    unsigned char *jpeg = ti_encode("jpeg", 300, 200, 3, &n);
    expect_unreadable(jpeg, n / 2, "JPEG data is truncated");
    free(jpeg);
}

Test(probe, pixel_limit_from_real_header)
{
    size_t n;
    unsigned char *png = ti_encode("png", 100, 100, 3, &n);
    ig_image_info info;
    ig_error err;
    cr_assert_eq(probe(png, n, 10000, true, &info, &err), 0, "at the limit: %s",
                 err.message);
    cr_assert_eq(probe(png, n, 9999, true, &info, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_TOO_LARGE);
    cr_expect(strstr(err.message, "100x100") && strstr(err.message, "9999"),
              "%s", err.message);
    cr_expect(strstr(err.hint, "Downscale"), "%s", err.hint);
    free(png);
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t crc32_png(const unsigned char *d, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= d[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

Test(probe, huge_png_header_refused_before_decode)
{
    /* signature + a valid IHDR claiming 30000x30000 RGB8, then nothing */
    unsigned char png[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    put_be32(png + 8, 13);
    memcpy(png + 12, "IHDR", 4);
    put_be32(png + 16, 30000);
    put_be32(png + 20, 30000);
    png[24] = 8; /* bit depth */
    png[25] = 2; /* colour type RGB */
    put_be32(png + 29, crc32_png(png + 12, 17));
    ig_image_info info;
    ig_error err;
    cr_assert_eq(probe(png, sizeof png, 100000000, true, &info, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_TOO_LARGE, "%s", err.message);
    cr_expect(strstr(err.message, "30000x30000") && strstr(err.message, "100000000"),
              "%s", err.message);
    /* without a limit the same bytes are simply unreadable */
    cr_assert_eq(probe(png, sizeof png, NO_LIMIT, true, &info, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_UNREADABLE, "%s", err.message);
}

Test(probe, jpeg_limit_checked_before_decode)
{
    size_t n;
    unsigned char *jpeg = ti_encode("jpeg", 400, 300, 3, &n);
    ig_image_info info;
    ig_error err;
    /* header intact, body cut: over the limit wins over undecodable */
    cr_assert_eq(probe(jpeg, n / 3, 1000, true, &info, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_TOO_LARGE, "%s", err.message);
    free(jpeg);
}

typedef struct probe_job {
    const unsigned char *data;
    size_t size;
    int failures;
} probe_job;

static void *probe_many(void *arg)
{
    probe_job *job = arg;
    for (int i = 0; i < 20; i++) {
        ig_image_info info;
        ig_error err;
        ig_error_clear(&err);
        if (ig_image_probe(job->data, job->size, NO_LIMIT, true, NULL, &info,
                           &err) != 0 || info.width != 64)
            job->failures++;
    }
    return NULL;
}

Test(probe, concurrent_probes)
{
    size_t n;
    unsigned char *png = ti_encode("png", 64, 32, 4, &n);
    pthread_t th[6];
    probe_job jobs[6];
    for (int i = 0; i < 6; i++) {
        jobs[i] = (probe_job){png, n, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, probe_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(jobs[i].failures, 0);
    }
    free(png);
}
