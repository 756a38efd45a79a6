/*
 * image_input.c - see image_input.h.
 *
 * The kind of a reference is decided from its text alone, in this order:
 * "img_" + 24 hex digits is an id; "data:" a data URL; "file://" (or
 * "file:/path") a file URL; "http://" and "https://" are fetched; any other
 * "scheme://" is refused; everything else is a file path (relative to the
 * working directory). Whatever the source, the bytes are then probed and
 * fully decoded with the caller's pixel limit.
 */
#include "image/image_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/transport/http_fetch.h"

static const char *const hint_forms =
    "Accepted image references: an image id from an earlier result (\"img_\" "
    "followed by 24 hex digits), an absolute or relative file path, a "
    "file:///absolute/path URL, a data:image/png;base64,... URL (PNG, JPEG or "
    "WebP), or an http(s):// URL.";

const char *ig_input_kind_name(ig_input_kind kind)
{
    switch (kind) {
    case IG_INPUT_ID: return "id";
    case IG_INPUT_PATH: return "path";
    case IG_INPUT_FILE_URL: return "file_url";
    case IG_INPUT_DATA_URL: return "data_url";
    case IG_INPUT_HTTP_URL: return "http_url";
    }
    return "unknown";
}

void ig_image_clear(ig_image *img)
{
    if (!img)
        return;
    free(img->data);
    memset(img, 0, sizeof *img);
}

/* Length of a leading "scheme://" scheme (RFC 3986 syntax), or 0. */
static size_t url_scheme_len(const char *ref)
{
    static const char alpha[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if (!ref[0] || !strchr(alpha, ref[0]))
        return 0;
    size_t n = 1 + strspn(ref + 1, "abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    return strncmp(ref + n, "://", 3) == 0 ? n : 0;
}

/* ---- files ------------------------------------------------------------- */

/* Error for a path that cannot be opened, naming what is accepted. */
static int open_failed(const char *shown, const char *field, int e, ig_error *err)
{
    const char *f = field ? field : "image";
    if (e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG || e == ELOOP) {
        char cwd[1024] = "";
        bool relative = shown[0] != '/';
        if (relative && !getcwd(cwd, sizeof cwd))
            cwd[0] = '\0';
        ig_fail(err, IG_ERR_IMAGE_NOT_FOUND, field, "%s: no file at \"%s\"%s%s%s",
                f, shown, relative ? " (relative to the working directory " : "",
                relative ? cwd : "", relative ? ")" : "");
    } else {
        ig_fail(err, IG_ERR_IMAGE_UNREADABLE, field, "%s: cannot open \"%s\": %s",
                f, shown, strerror(e));
    }
    ig_error_hint(err, "%s", hint_forms);
    return -1;
}

/* Reads a regular file whole, refusing it over max_bytes before reading. */
static int read_file(const char *path, const char *field,
                     const ig_input_limits *lim, ig_image *out, ig_error *err)
{
    const char *f = field ? field : "image";
    char shown[300];
    ig_image_ref_summary(path, shown, sizeof shown);
    /* O_NONBLOCK: opening a FIFO must not hang; it is refused below anyway. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return open_failed(shown, field, errno, err);
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) != 0) {
        open_failed(shown, field, errno, err);
    } else if (S_ISDIR(st.st_mode)) {
        ig_fail(err, IG_ERR_IMAGE_NOT_FOUND, field,
                "%s: \"%s\" is a directory, not an image file", f, shown);
        ig_error_hint(err, "%s", hint_forms);
    } else if (!S_ISREG(st.st_mode)) {
        ig_fail(err, IG_ERR_IMAGE_NOT_FOUND, field,
                "%s: \"%s\" is not a regular file", f, shown);
        ig_error_hint(err, "%s", hint_forms);
    } else if (lim->max_bytes && (uint64_t)st.st_size > lim->max_bytes) {
        ig_fail(err, IG_ERR_IMAGE_TOO_LARGE, field,
                "%s: \"%s\" is %lld bytes, over the limit of %llu bytes", f,
                shown, (long long)st.st_size, (unsigned long long)lim->max_bytes);
        ig_error_hint(err, "Downscale or recompress the image, or raise "
                           "imageGeneration.maxInputBytes.");
    } else if ((out->data = malloc(st.st_size ? (size_t)st.st_size : 1))) {
        size_t want = (size_t)st.st_size, got = 0;
        while (got < want) {
            ssize_t n = read(fd, out->data + got, want - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break; /* error, or the file shrank: probe what we have */
            got += (size_t)n;
        }
        out->size = got;
        rc = 0;
    } else {
        ig_fail(err, IG_ERR_INTERNAL, field, "out of memory");
    }
    close(fd);
    return rc;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes %XX escapes of a file URL path; refuses bad escapes and NULs. */
static char *percent_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; out && i < n; i++) {
        if (s[i] != '%') {
            out[j++] = s[i];
            continue;
        }
        int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
        int lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        out[j++] = (char)(hi << 4 | lo);
        i += 2;
    }
    if (out)
        out[j] = '\0';
    return out;
}

/* file://[localhost]/path (or file:/path) -> local path, then read. */
static int resolve_file_url(const char *ref, const char *field,
                            const ig_input_limits *lim, ig_image *out,
                            ig_error *err)
{
    const char *f = field ? field : "image";
    char shown[300];
    ig_image_ref_summary(ref, shown, sizeof shown);
    const char *rest = ref + 5; /* after "file:" */
    if (rest[0] == '/' && rest[1] == '/') {
        const char *host = rest + 2;
        size_t hlen = strcspn(host, "/");
        if (hlen && !(hlen == 9 && !strncasecmp(host, "localhost", 9))) {
            ig_fail(err, IG_ERR_URL_REFUSED, field,
                    "%s: file URL %s names host \"%.*s\"; only local files "
                    "(file:///path or file://localhost/path) are accepted",
                    f, shown, (int)(hlen < 64 ? hlen : 64), host);
            ig_error_hint(err, "%s", hint_forms);
            return -1;
        }
        rest = host + hlen;
    }
    size_t plen = strcspn(rest, "?#");
    char *path = rest[0] == '/' ? percent_decode(rest, plen) : NULL;
    if (!path) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, field,
                "%s: %s is not a valid file URL (expected file:///absolute/path "
                "with %%XX escapes only for bytes other than NUL)", f, shown);
        ig_error_hint(err, "%s", hint_forms);
        return -1;
    }
    int rc = read_file(path, field, lim, out, err);
    free(path);
    return rc;
}

/* ---- data URLs --------------------------------------------------------- */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Strict base64 (standard alphabet, optional '=' padding, whitespace
 * skipped). Returns the decoded length, or -1 with *bad_at set. */
static long long b64_decode(const char *s, size_t n, unsigned char *out,
                            size_t *bad_at)
{
    uint32_t acc = 0;
    int quad = 0, pad = 0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_space(s[i]))
            continue;
        if (s[i] == '=') {
            if (quad < 2) { *bad_at = i; return -1; }
            pad++;
            if (quad + pad > 4) { *bad_at = i; return -1; }
            continue;
        }
        int v = b64_value((unsigned char)s[i]);
        if (v < 0 || pad) { *bad_at = i; return -1; }
        acc = acc << 6 | (uint32_t)v;
        if (++quad == 4) {
            out[j++] = (unsigned char)(acc >> 16);
            out[j++] = (unsigned char)(acc >> 8);
            out[j++] = (unsigned char)acc;
            quad = 0;
            acc = 0;
        }
    }
    if (pad && quad + pad != 4) { *bad_at = n; return -1; }
    if (quad == 1) { *bad_at = n; return -1; }
    if (quad == 2) {
        out[j++] = (unsigned char)(acc >> 4);
    } else if (quad == 3) {
        out[j++] = (unsigned char)(acc >> 10);
        out[j++] = (unsigned char)(acc >> 2);
    }
    return (long long)j;
}

/* The declared type must be one we accept; parameters other than the final
 * ";base64" (e.g. ";name=x.png") are ignored. */
static int resolve_data_url(const char *ref, const char *field,
                            const ig_input_limits *lim, ig_image *out,
                            ig_error *err)
{
    const char *f = field ? field : "image";
    const char *meta = ref + 5;
    const char *comma = strchr(meta, ',');
    size_t type_len = strcspn(meta, ";,");
    static const char *const types[] = {"image/png", "image/jpeg", "image/jpg",
                                        "image/webp"};
    bool type_ok = false;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (type_len == strlen(types[i]) && !strncasecmp(meta, types[i], type_len))
            type_ok = true;
    if (!type_ok) {
        ig_fail(err, IG_ERR_IMAGE_UNREADABLE, field,
                "%s: data URL declares type \"%.*s\"; only image/png, "
                "image/jpeg and image/webp are accepted", f,
                (int)(type_len < 64 ? type_len : 64), meta);
        ig_error_hint(err, "Encode the image as PNG, JPEG or WebP: "
                           "data:image/png;base64,<base64 bytes>.");
        return -1;
    }
    if (!comma || comma - meta < 7 || strncasecmp(comma - 7, ";base64", 7) != 0) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, field,
                "%s: data URL must be base64-encoded, like "
                "data:image/png;base64,<base64 bytes>", f);
        ig_error_hint(err, "%s", hint_forms);
        return -1;
    }
    const char *payload = comma + 1;
    size_t n = strlen(payload), chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += !is_space(payload[i]) && payload[i] != '=';
    uint64_t decoded = (uint64_t)chars * 3 / 4;
    if (lim->max_bytes && decoded > lim->max_bytes) {
        ig_fail(err, IG_ERR_IMAGE_TOO_LARGE, field,
                "%s: data URL holds %llu bytes, over the limit of %llu bytes", f,
                (unsigned long long)decoded, (unsigned long long)lim->max_bytes);
        ig_error_hint(err, "Downscale or recompress the image, or raise "
                           "imageGeneration.maxInputBytes.");
        return -1;
    }
    out->data = malloc(n / 4 * 3 + 3);
    if (!out->data)
        return ig_fail(err, IG_ERR_INTERNAL, field, "out of memory");
    size_t bad_at = 0;
    long long len = b64_decode(payload, n, out->data, &bad_at);
    if (len < 0) {
        if (bad_at < n)
            ig_fail(err, IG_ERR_INVALID_ARGUMENT, field,
                    "%s: data URL payload is not valid base64 (unexpected "
                    "character 0x%02x at offset %zu of the payload)", f,
                    (unsigned char)payload[bad_at], bad_at);
        else
            ig_fail(err, IG_ERR_INVALID_ARGUMENT, field,
                    "%s: data URL payload is not valid base64 (it ends in the "
                    "middle of a 4-character group)", f);
        ig_error_hint(err, "Use standard base64 (A-Z a-z 0-9 + /, '=' padding) "
                           "of the whole image file.");
        return -1;
    }
    out->size = (size_t)len;
    /* The declared type is not compared with the content: the probe decides
     * the real type (info.mime_type), so a JPEG labelled image/png is
     * accepted and treated as the JPEG it is. */
    return 0;
}

/* ---- http(s) ----------------------------------------------------------- */

static int resolve_http(const char *ref, const char *field,
                        const ig_input_limits *lim, const atomic_bool *cancel,
                        ig_image *out, ig_error *err)
{
    ig_fetch_opts opts = {
        .max_bytes = lim->max_bytes,
        .timeout_ms = lim->fetch_timeout_ms,
        .connect_timeout_ms = 0, /* transport default, capped by timeout_ms */
        .max_redirects = lim->max_redirects,
        .allow_private = lim->allow_private_urls,
        .cancel = cancel,
        .field = field ? field : "image",
    };
    ig_fetch_result res;
    if (ig_http_fetch(ref, &opts, &res, err) != 0)
        return -1;
    /* The server's Content-Type is not trusted; the probe decides. */
    out->data = res.body;
    out->size = res.size;
    return 0;
}

/* ---- entry points ------------------------------------------------------ */

int ig_image_resolve(const char *ref, const char *field,
                     const ig_input_limits *limits,
                     const ig_image_store *store, const atomic_bool *cancel,
                     ig_image *out, ig_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!out || !limits)
        return ig_fail(err, IG_ERR_INTERNAL, field, "ig_image_resolve: bad arguments");
    const char *f = field ? field : "image";
    if (!ref || !*ref) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, field, "%s: the image reference is empty", f);
        ig_error_hint(err, "%s", hint_forms);
        return -1;
    }
    size_t scheme = url_scheme_len(ref);
    int rc;
    if (ig_image_id_valid(ref)) {
        char path[4096];
        out->kind = IG_INPUT_ID;
        rc = ig_store_find(store, ref, field, path, sizeof path, err);
        if (rc == 0)
            rc = read_file(path, field, limits, out, err);
    } else if (!strncasecmp(ref, "data:", 5)) {
        out->kind = IG_INPUT_DATA_URL;
        rc = resolve_data_url(ref, field, limits, out, err);
    } else if (!strncasecmp(ref, "file:/", 6)) {
        out->kind = IG_INPUT_FILE_URL;
        rc = resolve_file_url(ref, field, limits, out, err);
    } else if (scheme == 4 && !strncasecmp(ref, "http", 4)) {
        out->kind = IG_INPUT_HTTP_URL;
        rc = resolve_http(ref, field, limits, cancel, out, err);
    } else if (scheme == 5 && !strncasecmp(ref, "https", 5)) {
        out->kind = IG_INPUT_HTTP_URL;
        rc = resolve_http(ref, field, limits, cancel, out, err);
    } else if (scheme) {
        char shown[300];
        ig_image_ref_summary(ref, shown, sizeof shown);
        rc = ig_fail(err, IG_ERR_URL_REFUSED, field,
                     "%s: %s uses the %.*s scheme, which is not accepted; "
                     "only http(s), file and data URLs, file paths and image "
                     "ids are", f, shown, (int)(scheme < 32 ? scheme : 32), ref);
        ig_error_hint(err, "%s", hint_forms);
    } else {
        out->kind = IG_INPUT_PATH;
        rc = read_file(ref, field, limits, out, err);
    }
    if (rc == 0)
        rc = ig_image_probe(out->data, out->size, limits->max_pixels, true,
                            field ? field : "image", &out->info, err);
    if (rc != 0) {
        ig_image_clear(out);
        return -1;
    }
    ig_image_id_for(out->data, out->size, out->id, out->sha256);
    return 0;
}

/* Copies s into out, control characters as '?', cutting the middle of long
 * strings ("head...tail") so both the start and the file name survive. */
static void copy_shortened(const char *s, char *out, size_t cap, size_t limit)
{
    size_t n = strlen(s), keep = cap - 1 < limit ? cap - 1 : limit;
    size_t head = n, tail = 0;
    if (n > keep) {
        head = keep < 8 ? keep : keep / 3;
        tail = keep < 8 ? 0 : keep - head - 3;
    }
    size_t j = 0;
    for (size_t i = 0; i < head; i++)
        out[j++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (n > keep && keep >= 8) {
        memcpy(out + j, "...", 3);
        j += 3;
        for (size_t i = n - tail; i < n; i++)
            out[j++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    }
    out[j] = '\0';
}

void ig_image_ref_summary(const char *ref, char *out, size_t cap)
{
    if (!out || cap == 0)
        return;
    if (!ref) {
        snprintf(out, cap, "(none)");
        return;
    }
    if (!strncasecmp(ref, "data:", 5)) {
        const char *comma = strchr(ref, ',');
        if (!comma) {
            snprintf(out, cap, "data:<%zu chars>", strlen(ref) - 5);
            return;
        }
        size_t mlen = (size_t)(comma - ref) - 5, chars = 0;
        for (const char *p = comma + 1; *p; p++)
            chars += !is_space(*p) && *p != '=';
        char type[72];
        size_t tlen = mlen < 64 ? mlen : 64;
        for (size_t i = 0; i < tlen; i++)
            type[i] = (unsigned char)ref[5 + i] < 0x20 ? '?' : ref[5 + i];
        type[tlen] = '\0';
        bool b64 = mlen >= 7 && !strncasecmp(comma - 7, ";base64", 7);
        snprintf(out, cap, "data:%s,<%zu %s>", type,
                 b64 ? chars * 3 / 4 : strlen(comma + 1), b64 ? "bytes" : "chars");
        return;
    }
    if (url_scheme_len(ref)) {
        char tmp[4096];
        ig_url_redact(ref, tmp, sizeof tmp);
        copy_shortened(tmp, out, cap, 240);
        return;
    }
    copy_shortened(ref, out, cap, 240);
}
