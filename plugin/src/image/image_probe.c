/*
 * image_probe.c - see image_probe.h.
 *
 * The container is recognised from its magic bytes here, and only then is the
 * matching libvips loader (png, jpeg or webp) called directly. No other vips
 * loader ever sees the data, so GIF/TIFF/SVG/PDF/HEIF/magick parsers are never
 * run on untrusted input. For PNG the IHDR size is read by hand, so even a
 * header that ends right after IHDR is judged against the pixel limit before
 * libpng is involved.
 */
#include "image/image_probe.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <vips/vips.h>

typedef enum sniffed_format {
    FMT_UNKNOWN,
    FMT_PNG,
    FMT_JPEG,
    FMT_WEBP,
} sniffed_format;

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static int vips_init_rc = -1;

/* Drops libvips' own warnings ("not enough data", "invalid chunk type"):
 * every decode failure already becomes a precise error in the result, and a
 * plugin must not write to the host's stderr. */
static void drop_vips_warning(const gchar *domain, GLogLevelFlags level,
                              const gchar *message, gpointer data)
{
    (void)domain;
    (void)level;
    (void)message;
    (void)data;
}

/* pthread_once body: VIPS_INIT may only run once per process. The log
 * handler is process-wide but only covers the "VIPS" domain below errors. */
static void vips_init_once(void)
{
    vips_init_rc = VIPS_INIT("image-generation") == 0 ? 0 : -1;
    vips_error_clear();
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE |
                                  G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
                      drop_vips_warning, NULL);
}

int ig_vips_ensure_init(ig_error *err)
{
    pthread_once(&vips_once, vips_init_once);
    if (vips_init_rc != 0)
        return ig_fail(err, IG_ERR_INTERNAL, NULL,
                       "the image library (libvips) failed to start");
    return 0;
}

const char *ig_mime_extension(const char *mime_type)
{
    if (!mime_type)
        return NULL;
    if (!strcmp(mime_type, "image/png"))
        return "png";
    if (!strcmp(mime_type, "image/jpeg"))
        return "jpg";
    if (!strcmp(mime_type, "image/webp"))
        return "webp";
    return NULL;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static bool starts_with(const unsigned char *d, size_t n, const void *magic,
                        size_t m)
{
    return n >= m && memcmp(d, magic, m) == 0;
}

/* Recognises the three accepted containers by their magic bytes. */
static sniffed_format sniff(const unsigned char *d, size_t n)
{
    if (starts_with(d, n, "\x89PNG\r\n\x1a\n", 8))
        return FMT_PNG;
    if (starts_with(d, n, "\xff\xd8\xff", 3))
        return FMT_JPEG;
    if (n >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4))
        return FMT_WEBP;
    return FMT_UNKNOWN;
}

/* Names a refused format so the message can say what the data really is. */
static const char *other_format_name(const unsigned char *d, size_t n)
{
    if (starts_with(d, n, "GIF87a", 6) || starts_with(d, n, "GIF89a", 6))
        return "a GIF";
    if (starts_with(d, n, "II*\0", 4) || starts_with(d, n, "MM\0*", 4))
        return "a TIFF";
    if (starts_with(d, n, "BM", 2))
        return "a BMP";
    if (starts_with(d, n, "%PDF", 4))
        return "a PDF";
    if (starts_with(d, n, "8BPS", 4))
        return "a Photoshop (PSD) file";
    if (starts_with(d, n, "\x00\x00\x01\x00", 4))
        return "an ICO";
    if (starts_with(d, n, "\xff\x0a", 2) ||
        starts_with(d, n, "\x00\x00\x00\x0cJXL \r\n\x87\n", 12))
        return "a JPEG XL";
    if (starts_with(d, n, "\x00\x00\x00\x0cjP  \r\n\x87\n", 12))
        return "a JPEG 2000";
    if (n >= 12 && !memcmp(d + 4, "ftyp", 4)) {
        if (!memcmp(d + 8, "avif", 4) || !memcmp(d + 8, "avis", 4))
            return "an AVIF";
        return "a HEIF/HEIC (or other ISO media) file";
    }
    size_t scan = n < 1024 ? n : 1024;
    for (size_t i = 0; i + 4 <= scan; i++)
        if (!memcmp(d + i, "<svg", 4))
            return "an SVG";
    return NULL;
}

/* Prefix "field: " for messages, or nothing when no field is named. */
static const char *sep(const char *field)
{
    return field && *field ? ": " : "";
}

static const char *fmt_name(sniffed_format f)
{
    return f == FMT_PNG ? "PNG" : f == FMT_JPEG ? "JPEG" : "WebP";
}

static int refuse_unreadable(ig_error *err, const char *field, const char *what)
{
    ig_fail(err, IG_ERR_IMAGE_UNREADABLE, field, "%s%s%s; use PNG, JPEG or WebP",
            field ? field : "", sep(field), what);
    ig_error_hint(err, "Convert the image to PNG, JPEG or WebP and pass it again.");
    return -1;
}

static int refuse_pixels(ig_error *err, const char *field, uint64_t w,
                         uint64_t h, uint64_t max_pixels)
{
    ig_fail(err, IG_ERR_IMAGE_TOO_LARGE, field,
            "%s%simage is %llux%llu = %llu pixels, over the limit of %llu pixels",
            field ? field : "", sep(field), (unsigned long long)w,
            (unsigned long long)h, (unsigned long long)(w * h),
            (unsigned long long)max_pixels);
    ig_error_hint(err, "Downscale the image so that width x height is at most "
                       "%llu pixels, or raise imageGeneration.maxInputPixels.",
                  (unsigned long long)max_pixels);
    return -1;
}

static bool over_limit(uint64_t w, uint64_t h, uint64_t max_pixels)
{
    return max_pixels != 0 && w * h > max_pixels; /* w,h < 2^32: no overflow */
}

/* The libvips buffer loader of each accepted format (all share one
 * signature). Only these ever see untrusted bytes: no other loader runs. */
typedef int (*buffer_loader)(void *buf, size_t len, VipsImage **out, ...);
static const buffer_loader loaders[] = {
    [FMT_PNG] = vips_pngload_buffer,
    [FMT_JPEG] = vips_jpegload_buffer,
    [FMT_WEBP] = vips_webpload_buffer,
};

/* Calls the loader matching the sniffed format; lazy, so only the header
 * is read. fail_on=error makes a later pixel read fail on truncation. */
static VipsImage *load_header(sniffed_format f, const unsigned char *data,
                              size_t size)
{
    if (f == FMT_UNKNOWN)
        return NULL;
    void *buf = (void *)data; /* vips loaders take void* but only read it */
    VipsImage *img = NULL;
    if (loaders[f](buf, size, &img, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                   VIPS_FAIL_ON_ERROR, NULL) != 0) {
        if (img)
            g_object_unref(img);
        return NULL;
    }
    return img;
}

/* vips_sink generate hook: the region it gets is already decoded. */
static int drain_tile(VipsRegion *region, void *seq, void *a, void *b,
                      gboolean *stop)
{
    (void)region, (void)seq, (void)a, (void)b, (void)stop;
    return 0;
}

/* Decodes every pixel, so truncation and corruption surface as -1. Uses
 * vips_sink rather than an operation such as vips_avg: operations go through
 * the global vips cache, which would keep the image (and a pointer to the
 * caller's borrowed buffer) alive after we return. */
static int decode_all(VipsImage *img)
{
    return vips_sink(img, NULL, drain_tile, NULL, NULL, NULL);
}

int ig_image_probe(const unsigned char *data, size_t size, uint64_t max_pixels,
                   bool full_decode, const char *field, ig_image_info *info,
                   ig_error *err)
{
    const char *f = field ? field : "";
    if (info)
        memset(info, 0, sizeof *info);
    if (!data || size == 0) {
        ig_fail(err, IG_ERR_IMAGE_UNREADABLE, field,
                "%s%simage is empty (0 bytes); expected a PNG, JPEG or WebP image",
                f, sep(field));
        ig_error_hint(err, "Pass a non-empty PNG, JPEG or WebP image.");
        return -1;
    }
    sniffed_format fmt = sniff(data, size);
    if (fmt == FMT_UNKNOWN) {
        const char *other = other_format_name(data, size);
        if (other) {
            char what[96];
            snprintf(what, sizeof what, "image is %s", other);
            return refuse_unreadable(err, field, what);
        }
        ig_fail(err, IG_ERR_IMAGE_UNREADABLE, field,
                "%s%sdata (%zu bytes) is not a PNG, JPEG or WebP image", f,
                sep(field), size);
        ig_error_hint(err, "Pass a PNG, JPEG or WebP image file, an image id "
                           "from an earlier result, or a data:image/png;base64,... URL.");
        return -1;
    }
    /* PNG: signature, then the IHDR chunk (length 13) with width and height. */
    if (fmt == FMT_PNG && size >= 24 && !memcmp(data + 12, "IHDR", 4) &&
        over_limit(be32(data + 16), be32(data + 20), max_pixels))
        return refuse_pixels(err, field, be32(data + 16), be32(data + 20),
                             max_pixels);
    if (ig_vips_ensure_init(err) != 0)
        return -1;

    VipsImage *img = load_header(fmt, data, size);
    if (!img) {
        vips_error_clear();
        ig_fail(err, IG_ERR_IMAGE_UNREADABLE, field,
                "%s%simage could not be read: the %s header is truncated or corrupt",
                f, sep(field), fmt_name(fmt));
        ig_error_hint(err, "Re-export the image as a valid PNG, JPEG or WebP file.");
        return -1;
    }
    uint64_t w = (uint64_t)vips_image_get_width(img);
    uint64_t h = (uint64_t)vips_image_get_height(img);
    int rc = 0;
    if (over_limit(w, h, max_pixels)) {
        rc = refuse_pixels(err, field, w, h, max_pixels);
    } else if (full_decode) {
        if (decode_all(img) != 0) {
            vips_error_clear();
            ig_fail(err, IG_ERR_IMAGE_UNREADABLE, field,
                    "%s%simage could not be decoded: the %s data is truncated or corrupt",
                    f, sep(field), fmt_name(fmt));
            ig_error_hint(err, "Re-export the image as a valid PNG, JPEG or WebP file.");
            rc = -1;
        }
    }
    if (rc == 0 && info) {
        snprintf(info->mime_type, sizeof info->mime_type, "%s",
                 fmt == FMT_PNG ? "image/png"
                 : fmt == FMT_JPEG ? "image/jpeg"
                                   : "image/webp");
        info->width = (int)w;
        info->height = (int)h;
        info->bands = vips_image_get_bands(img);
        info->has_alpha = vips_image_hasalpha(img) != 0;
    }
    g_object_unref(img);
    return rc;
}
