/*
 * bfl_images.c - the image side of the BFL emulator: decoding image fields
 * (base64, data URLs, and for Kontext unfetched http(s) URLs), aspect ratio
 * strings, and the output sizes of Ultra (~4 MP) and Kontext (~1 MP).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/bfl_internal.h"
#include "emulators/emu_images.h"

/* Kontext's preferred resolutions (width, height), all about 1 MP. */
static const int kontext_sizes[][2] = {
    {672, 1568}, {688, 1504}, {720, 1456}, {752, 1392}, {800, 1328}, {832, 1248},
    {880, 1184}, {944, 1104}, {1024, 1024}, {1104, 944}, {1184, 880}, {1248, 832},
    {1328, 800}, {1392, 752}, {1456, 720}, {1504, 688}, {1568, 672},
};

/* Appends a value_error for an image field. */
static bool image_error(cJSON *errs, const char *field, const cJSON *value, const char *why)
{
    char msg[200];
    snprintf(msg, sizeof msg, "Value error, %s", why);
    bfl_error_add(errs, field, "value_error", msg, value, NULL);
    return false;
}

/* base64 text without whitespace (Python's decoder skips line breaks). */
static char *without_space(const char *s)
{
    char *out = malloc(strlen(s) + 1);
    if (!out)
        abort();
    size_t n = 0;
    for (; *s; s++)
        if (*s != '\n' && *s != '\r' && *s != ' ' && *s != '\t')
            out[n++] = *s;
    out[n] = 0;
    return out;
}

/* Decodes an image field (base64, data URL, or for Kontext an unfetched URL). */
bool bfl_image_check(cJSON *errs, const char *field, const cJSON *value, bool url_ok,
                     bfl_image *out)
{
    const char *s = value->valuestring;
    memset(out, 0, sizeof *out);
    if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8)) {
        if (!url_ok)
            return image_error(errs, field, value, "Expected a base64-encoded image, not a URL");
        out->present = out->is_url = true; /* never fetched: the size is unknown */
        return true;
    }
    if (!strncmp(s, "data:", 5)) {
        const char *comma = strstr(s, ";base64,");
        if (!comma)
            return image_error(errs, field, value, "Invalid data URL: expected ';base64,'");
        s = comma + 8;
    }
    char *text = without_space(s);
    size_t size = 0;
    unsigned char *bytes = emu_base64_decode(text, &size);
    free(text);
    if (!bytes || size == 0) {
        free(bytes);
        return image_error(errs, field, value, "Invalid base64 image data");
    }
    emu_probe probe;
    bool ok = emu_image_probe(bytes, size, &probe) && probe.format[0];
    free(bytes);
    if (!ok)
        return image_error(errs, field, value,
                           "Could not decode the image: expected a PNG, JPEG or WebP image");
    out->present = true;
    out->width = probe.width;
    out->height = probe.height;
    out->alpha = probe.alpha;
    return true;
}

/* Accepts "W:H" between 21:9 and 9:21, as the docs state. */
bool bfl_ratio_check(cJSON *errs, const char *field, const cJSON *value, double *ratio)
{
    const char *s = value->valuestring;
    char tail;
    unsigned w = 0, h = 0;
    bool digits = strspn(s, "0123456789:") == strlen(s);
    if (!digits || sscanf(s, "%u:%u%c", &w, &h, &tail) != 2 || w == 0 || h == 0) {
        bfl_error_add(errs, field, "value_error", "Value error, Aspect ratio must be in the "
                      "form 'W:H', for example '16:9'", value, NULL);
        return false;
    }
    double r = (double)w / h;
    if (r > 21.0 / 9.0 + 1e-9 || r < 9.0 / 21.0 - 1e-9) {
        bfl_error_add(errs, field, "value_error", "Value error, Aspect ratio must be between "
                      "21:9 and 9:21", value, NULL);
        return false;
    }
    *ratio = r;
    return true;
}

/* Ultra's ~4 MP size: height from the ratio, both sides rounded to 64. */
void bfl_ultra_size(double ratio, int *width, int *height)
{
    const double four_mp = 2048.0 * 2048.0;
    int h = (int)lround(sqrt(four_mp / ratio) / 64.0) * 64;
    int w = (int)lround(h * ratio / 64.0) * 64;
    *width = w;
    *height = h;
}

/* Kontext's size: the preferred resolution of the nearest aspect ratio. */
void bfl_kontext_size(double ratio, int *width, int *height)
{
    size_t best = 0;
    double best_d = INFINITY;
    for (size_t i = 0; i < sizeof kontext_sizes / sizeof *kontext_sizes; i++) {
        double d = fabs(log(ratio) - log((double)kontext_sizes[i][0] / kontext_sizes[i][1]));
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    *width = kontext_sizes[best][0];
    *height = kontext_sizes[best][1];
}
