/*
 * stability_form.c - typed access to the multipart fields of a Stability
 * request: text, numbers, integers, enums and input images, each adding a
 * "<field>: <what>" message when the value breaks the API's rules.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/stability_internal.h"

const char *stab_field(const emu_request *req, const char *name)
{
    const emu_part *part = emu_find_part(req, name);
    return part ? (const char *)part->data : NULL;
}

/* UTF-8 code points of s (limits are in characters). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

const char *stab_text(const emu_request *req, const char *name, bool required, size_t max_chars,
                      stab_errors *e)
{
    const char *v = stab_field(req, name);
    if (!v || !*v) {
        if (required)
            stab_err_add(e, "%s: is required", name);
        return v;
    }
    size_t n = utf8_chars(v);
    if (n > max_chars) {
        stab_err_add(e, "%s: must be at most %zu characters long (got %zu)", name, max_chars, n);
        return NULL;
    }
    return v;
}

bool stab_number(const emu_request *req, const char *name, double lo, double hi, double dflt,
                 double *out, stab_errors *e)
{
    const char *v = stab_field(req, name);
    *out = dflt;
    if (!v)
        return true;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(d)) {
        stab_err_add(e, "%s: must be a number", name);
        return false;
    }
    if (d < lo || d > hi) {
        stab_err_add(e, "%s: must be between %g and %g (got %g)", name, lo, hi, d);
        return false;
    }
    *out = d;
    return true;
}

bool stab_integer(const emu_request *req, const char *name, long long lo, long long hi,
                  long long dflt, long long *out, stab_errors *e)
{
    const char *v = stab_field(req, name);
    *out = dflt;
    if (!v)
        return true;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || errno) {
        stab_err_add(e, "%s: must be an integer", name);
        return false;
    }
    if (n < lo || n > hi) {
        stab_err_add(e, "%s: must be between %lld and %lld (got %lld)", name, lo, hi, n);
        return false;
    }
    *out = n;
    return true;
}

const char *stab_enum(const emu_request *req, const char *name, const char *const *values,
                      const char *dflt, stab_errors *e)
{
    const char *v = stab_field(req, name);
    if (!v)
        return dflt;
    for (size_t i = 0; values[i]; i++)
        if (!strcmp(values[i], v))
            return values[i];
    char list[512] = "";
    for (size_t i = 0; values[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 values[i]);
    stab_err_add(e, "%s: must be one of: %s", name, list);
    return NULL;
}

/* n with thousands separators ("9,437,184"), in buf. */
static const char *grouped(long long n, char *buf, size_t size)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < size; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = 0;
    return buf;
}

/* Adds the first rule the probed image breaks; false when it breaks one. */
static bool check_rule(const char *name, const emu_probe *img, const stab_image_rule *r,
                       stab_errors *e)
{
    int lo = img->width < img->height ? img->width : img->height;
    int hi = img->width < img->height ? img->height : img->width;
    long long pixels = (long long)img->width * img->height;
    char a[32], b[32], c[32];
    if (r->min_side && lo < r->min_side) {
        stab_err_add(e, "%s: every side must be at least %d pixels (got %dx%d)", name,
                     r->min_side, img->width, img->height);
        return false;
    }
    if (r->max_side && hi > r->max_side) {
        stab_err_add(e, "%s: width and height must be at most %s pixels (got %dx%d)", name,
                     grouped(r->max_side, a, sizeof a), img->width, img->height);
        return false;
    }
    if ((r->min_pixels && pixels < r->min_pixels) || (r->max_pixels && pixels > r->max_pixels)) {
        if (r->max_pixels)
            stab_err_add(e, "%s: total pixel count must be between %s and %s pixels (got %s)",
                         name, grouped(r->min_pixels, a, sizeof a),
                         grouped(r->max_pixels, b, sizeof b), grouped(pixels, c, sizeof c));
        else
            stab_err_add(e, "%s: total pixel count must be at least %s pixels (got %s)", name,
                         grouped(r->min_pixels, a, sizeof a), grouped(pixels, c, sizeof c));
        return false;
    }
    if (r->max_aspect > 0 && (double)hi / lo > r->max_aspect + 1e-9) {
        stab_err_add(e, "%s: aspect ratio must be between 1:%g and %g:1 (got %dx%d)", name,
                     r->max_aspect, r->max_aspect, img->width, img->height);
        return false;
    }
    return true;
}

bool stab_image(const emu_request *req, const char *name, bool required,
                const stab_image_rule *rule, emu_probe *out, stab_errors *e)
{
    memset(out, 0, sizeof *out);
    const emu_part *part = emu_find_part(req, name);
    if (!part || part->size == 0) {
        if (required)
            stab_err_add(e, "%s: is required", name);
        return !required;
    }
    if (!emu_image_probe(part->data, part->size, out) || !out->format[0]) {
        memset(out, 0, sizeof *out);
        stab_err_add(e, "%s: unsupported image format; expected jpeg, png or webp", name);
        return false;
    }
    if (!check_rule(name, out, rule, e)) {
        memset(out, 0, sizeof *out);
        return false;
    }
    return true;
}
