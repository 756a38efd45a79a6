/*
 * json_b64_sink.c - see json_b64_sink.h.
 *
 * One pass, one byte at a time (with fast paths over runs of string bytes),
 * driven by two small state machines:
 *   - the lexer (lex): between tokens, in a literal (number/true/false/null),
 *     in a string copied to the skeleton, or in an image string being
 *     decoded;
 *   - the grammar: a stack (depth <= IG_SINK_MAX_DEPTH) of containers, each
 *     with what it expects next (key, ':', value, ',' or its end).
 * Errors latch: the first one is kept and every later call repeats it.
 */
#include "providers/transport/json_b64_sink.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "providers/transport/base64_stream.h"

#define IG_SINK_MAX_DEPTH 64
#define IG_SINK_MAX_KEY 64       /* longer keys never match */
#define IG_SINK_MAX_LITERAL 64   /* longest number/true/false/null token */
#define IG_SINK_MAX_DATA_HDR 256 /* "data:image/png;base64" and parameters */
#define IG_SINK_BUF (48 * 1024)  /* decoded bytes held before a writer append */

static const char k_data_prefix[] = "data:";
#define DATA_PREFIX_LEN 5

enum lex_state {
    LEX_WS,      /* between tokens */
    LEX_LITERAL, /* number, true, false or null */
    LEX_STRING,  /* a string copied verbatim to the skeleton */
    LEX_IMAGE    /* an image string decoded into a writer */
};

enum container { CT_TOP, CT_OBJECT, CT_ARRAY };

enum expect {
    EX_VALUE,          /* top level, after ':' in an object, after ',' in an array */
    EX_VALUE_OR_END,   /* just after '[' */
    EX_KEY,            /* after ',' in an object */
    EX_KEY_OR_END,     /* just after '{' */
    EX_COLON,          /* after a key */
    EX_COMMA_OR_END,   /* after a value inside a container */
    EX_DONE            /* the top-level value is complete */
};

/* What the content of an image string is being read as. */
enum img_phase {
    IMG_PREFIX, /* the first characters: is it "data:"? */
    IMG_HEADER, /* between "data:" and ',' */
    IMG_BASE64  /* the payload */
};

typedef struct sink_key {
    const char *name;
    size_t len;
    bool data_url_only; /* listed as "name?" */
    bool array_items;   /* listed as "name[]": strings directly in its array */
} sink_key;

struct ig_json_b64_sink {
    ig_image_store *store;
    sink_key *keys;
    size_t n_keys;
    size_t max_skeleton;

    char *skel; /* NUL-terminated once finished */
    size_t skel_len, skel_cap;

    uint64_t pos;  /* bytes consumed so far (offsets in messages) */
    bool failed;
    bool finished;
    ig_error first_err;

    /* grammar */
    int depth; /* 0 = top level */
    unsigned char ctype[IG_SINK_MAX_DEPTH + 1];
    unsigned char expect[IG_SINK_MAX_DEPTH + 1];
    int array_key[IG_SINK_MAX_DEPTH + 1]; /* "name[]" key an array is under, or -1 */
    int pending_key; /* index in keys of the key whose value comes next, or -1 */

    /* lexer */
    enum lex_state lex;
    bool str_is_key;
    int esc;          /* 0, 1 after '\\', 2..5 reading the hex of \uXXXX */
    char key[IG_SINK_MAX_KEY];
    size_t key_len;   /* may exceed IG_SINK_MAX_KEY: then no match */
    int probe;        /* >= 0: bytes of "data:" matched so far for a "name?" key */
    int probe_key;
    size_t probe_mark; /* skeleton length before the probed string's quote */
    char lit[IG_SINK_MAX_LITERAL + 1];
    size_t lit_len;

    /* the image string being decoded */
    int img_key;
    enum img_phase phase;
    char pfx[DATA_PREFIX_LEN];
    int pfx_len;
    char hdr[IG_SINK_MAX_DATA_HDR];
    size_t hdr_len;
    uint64_t img_bytes;
    ig_b64_stream b64;
    unsigned char *buf;
    size_t buf_len;
    ig_store_writer *cur;

    ig_store_writer **writers; /* every image begun, in document order */
    size_t n_writers, cap_writers;
};

/* --- errors --------------------------------------------------------------- */

/* Records the first failure (the message is already in err) and latches it. */
static int latch(ig_json_b64_sink *s, ig_error *err)
{
    if (!s->failed) {
        s->failed = true;
        if (err && err->code != IG_OK) {
            s->first_err = *err;
        } else {
            ig_fail(&s->first_err, IG_ERR_INTERNAL, NULL,
                    "provider response could not be read");
        }
    }
    if (err && err->code == IG_OK)
        *err = s->first_err;
    return -1;
}

/* Fails with "not valid JSON near byte N" and latches it. */
static int bad_json(ig_json_b64_sink *s, uint64_t at, const char *why, ig_error *err)
{
    ig_fail(err ? err : &s->first_err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
            "provider response is not valid JSON near byte %llu (%s)",
            (unsigned long long)at, why);
    return latch(s, err);
}

/* Formats a byte for a message: 'x' when printable, else 0xNN. */
static void show_byte(unsigned char c, char *out, size_t cap)
{
    if (c >= 0x21 && c < 0x7f && c != '\'')
        snprintf(out, cap, "'%c'", c);
    else
        snprintf(out, cap, "0x%02x", c);
}

/* Fails with "image data in "<key>" is not valid base64 (...)" and latches. */
static int bad_image(ig_json_b64_sink *s, const char *detail, ig_error *err)
{
    ig_fail(err ? err : &s->first_err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
            "image data in \"%s\" is not valid base64 (%s)",
            s->keys[s->img_key].name, detail);
    return latch(s, err);
}

/* Reports a base64 decoder error for the byte at absolute offset at. */
static int bad_b64(ig_json_b64_sink *s, int rc, unsigned char c, uint64_t at,
                   ig_error *err)
{
    char b[16], detail[128];
    show_byte(c, b, sizeof b);
    if (rc == IG_B64_BAD_CHAR)
        snprintf(detail, sizeof detail, "byte %s at offset %llu", b,
                 (unsigned long long)at);
    else
        snprintf(detail, sizeof detail, "misplaced '=' padding at offset %llu",
                 (unsigned long long)at);
    return bad_image(s, detail, err);
}

/* --- skeleton ------------------------------------------------------------- */

/* Appends n bytes to the skeleton, growing it up to max_skeleton. */
static int skel_put(ig_json_b64_sink *s, const void *p, size_t n, ig_error *err)
{
    if (n > s->max_skeleton - s->skel_len) {
        ig_fail(err ? err : &s->first_err, IG_ERR_PROVIDER_RESPONSE_TOO_LARGE, NULL,
                "provider response has more than %zu bytes of JSON besides "
                "the image data", s->max_skeleton);
        return latch(s, err);
    }
    if (s->skel_len + n + 1 > s->skel_cap) {
        size_t cap = s->skel_cap ? s->skel_cap : 1024;
        while (cap < s->skel_len + n + 1)
            cap *= 2;
        if (cap > s->max_skeleton + 1)
            cap = s->max_skeleton + 1;
        char *grown = realloc(s->skel, cap);
        if (!grown) {
            ig_fail(err ? err : &s->first_err, IG_ERR_INTERNAL, NULL, "out of memory");
            return latch(s, err);
        }
        s->skel = grown;
        s->skel_cap = cap;
    }
    memcpy(s->skel + s->skel_len, p, n);
    s->skel_len += n;
    return 0;
}

/* Appends one byte to the skeleton. */
static int skel_char(ig_json_b64_sink *s, char c, ig_error *err)
{
    return skel_put(s, &c, 1, err);
}

/* --- grammar -------------------------------------------------------------- */

/* Checks that a value may start here (at byte at). */
static int begin_value(ig_json_b64_sink *s, uint64_t at, ig_error *err)
{
    unsigned char ex = s->expect[s->depth];
    if (ex == EX_VALUE || ex == EX_VALUE_OR_END)
        return 0;
    return bad_json(s, at, ex == EX_DONE ? "data after the end of the document"
                                         : "a value where none may be", err);
}

/* Marks the value at the current level complete. */
static void end_value(ig_json_b64_sink *s)
{
    s->expect[s->depth] = s->depth == 0 ? EX_DONE : EX_COMMA_OR_END;
    s->pending_key = -1;
}

/* Index in keys of the key just read, or -1. */
static int match_key(const ig_json_b64_sink *s)
{
    if (s->key_len > IG_SINK_MAX_KEY)
        return -1;
    for (size_t k = 0; k < s->n_keys; k++)
        if (s->keys[k].len == s->key_len && memcmp(s->keys[k].name, s->key, s->key_len) == 0)
            return (int)k;
    return -1;
}

/* --- images --------------------------------------------------------------- */

/* Starts decoding the current string into a new writer (key index k). */
static int image_begin(ig_json_b64_sink *s, int k, ig_error *err)
{
    if (s->n_writers == s->cap_writers) {
        size_t cap = s->cap_writers ? s->cap_writers * 2 : 4;
        ig_store_writer **grown = realloc(s->writers, cap * sizeof *grown);
        if (!grown) {
            ig_fail(err ? err : &s->first_err, IG_ERR_INTERNAL, NULL, "out of memory");
            return latch(s, err);
        }
        s->writers = grown;
        s->cap_writers = cap;
    }
    char ref[48];
    int n = snprintf(ref, sizeof ref, "\"ig-image:%zu\"", s->n_writers);
    if (skel_put(s, ref, (size_t)n, err) != 0)
        return -1;
    ig_store_writer *w = ig_store_writer_begin(s->store, err);
    if (!w)
        return latch(s, err);
    s->writers[s->n_writers++] = w;
    s->cur = w;
    s->img_key = k;
    s->phase = IMG_PREFIX;
    s->pfx_len = 0;
    s->hdr_len = 0;
    s->img_bytes = 0;
    s->buf_len = 0;
    s->esc = 0;
    ig_b64_stream_init(&s->b64);
    s->lex = LEX_IMAGE;
    return 0;
}

/* Hands the decoded bytes held in buf to the writer. */
static int image_flush(ig_json_b64_sink *s, ig_error *err)
{
    if (s->buf_len == 0)
        return 0;
    if (ig_store_writer_append(s->cur, s->buf, s->buf_len, err) != 0)
        return latch(s, err);
    s->img_bytes += s->buf_len;
    s->buf_len = 0;
    return 0;
}

/* Decodes n base64 characters that start at absolute offset at. */
static int image_decode(ig_json_b64_sink *s, const char *p, size_t n, uint64_t at,
                        ig_error *err)
{
    while (n > 0) {
        if (IG_SINK_BUF - s->buf_len < 3 && image_flush(s, err) != 0)
            return -1;
        size_t room = ((IG_SINK_BUF - s->buf_len) / 3) * 4; /* fits IG_B64_MAX_OUT */
        size_t take = n < room ? n : room;
        size_t bad = 0;
        int rc = ig_b64_stream_feed(&s->b64, p, take, s->buf, &s->buf_len, &bad);
        if (rc != IG_B64_OK)
            return bad_b64(s, rc, (unsigned char)p[bad], at + bad, err);
        p += take;
        at += take;
        n -= take;
    }
    return 0;
}

/* Checks the text between "data:" and ',' names base64 content. */
static int header_done(ig_json_b64_sink *s, ig_error *err)
{
    static const char tag[] = ";base64";
    size_t t = sizeof tag - 1;
    if (s->hdr_len < t || strncasecmp(s->hdr + s->hdr_len - t, tag, t) != 0) {
        ig_fail(err ? err : &s->first_err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                "image data in \"%s\" is a data: URL that is not base64 "
                "(\"data:%.*s,\")", s->keys[s->img_key].name,
                (int)(s->hdr_len > 64 ? 64 : s->hdr_len), s->hdr);
        return latch(s, err);
    }
    s->phase = IMG_BASE64;
    return 0;
}

/* Takes one content character (escapes already resolved) of an image string. */
static int image_char(ig_json_b64_sink *s, char c, uint64_t at, ig_error *err)
{
    switch (s->phase) {
    case IMG_PREFIX:
        if (c == k_data_prefix[s->pfx_len]) {
            s->pfx[s->pfx_len++] = c;
            if (s->pfx_len == DATA_PREFIX_LEN)
                s->phase = IMG_HEADER;
            return 0;
        }
        /* Not a data URL: what was held back is base64 ("d", "da", ...). */
        s->phase = IMG_BASE64;
        if (image_decode(s, s->pfx, (size_t)s->pfx_len, at - (uint64_t)s->pfx_len, err) != 0)
            return -1;
        return image_decode(s, &c, 1, at, err);
    case IMG_HEADER:
        if (c == ',')
            return header_done(s, err);
        if (s->hdr_len == sizeof s->hdr) {
            ig_fail(err ? err : &s->first_err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                    "image data in \"%s\" is a data: URL whose header has no ',' "
                    "within %d bytes", s->keys[s->img_key].name, IG_SINK_MAX_DATA_HDR);
            return latch(s, err);
        }
        s->hdr[s->hdr_len++] = c;
        return 0;
    case IMG_BASE64:
    default:
        return image_decode(s, &c, 1, at, err);
    }
}

/* Handles the byte after a backslash inside an image string. */
static int image_escape(ig_json_b64_sink *s, unsigned char c, uint64_t at, ig_error *err)
{
    s->esc = 0;
    switch (c) {
    case '/':
        return image_char(s, '/', at, err);
    case 'n': case 'r': case 't': /* wrapped lines */
        return image_char(s, '\n', at, err);
    default: {
        char b[16], detail[96];
        show_byte(c, b, sizeof b);
        snprintf(detail, sizeof detail, "escape '\\' + %s at offset %llu", b,
                 (unsigned long long)at);
        return bad_image(s, detail, err);
    }
    }
}

/* The closing quote of an image string: flush, check padding and length. */
static int image_end(ig_json_b64_sink *s, uint64_t at, ig_error *err)
{
    if (s->phase == IMG_PREFIX) {
        s->phase = IMG_BASE64;
        if (image_decode(s, s->pfx, (size_t)s->pfx_len, at - (uint64_t)s->pfx_len, err) != 0)
            return -1;
    } else if (s->phase == IMG_HEADER) {
        return bad_image(s, "a data: URL without ','", err);
    }
    if (IG_SINK_BUF - s->buf_len < 3 && image_flush(s, err) != 0)
        return -1;
    if (ig_b64_stream_finish(&s->b64, s->buf, &s->buf_len) != IG_B64_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "it ends mid-quantum or with bad padding at offset %llu",
                 (unsigned long long)at);
        return bad_image(s, detail, err);
    }
    if (image_flush(s, err) != 0)
        return -1;
    if (s->img_bytes == 0)
        return bad_image(s, "it is empty", err);
    s->cur = NULL;
    s->lex = LEX_WS;
    end_value(s);
    return 0;
}

/* --- strings and literals ------------------------------------------------- */

/* Starts a string (key or value) whose opening quote is at offset at. */
static int string_begin(ig_json_b64_sink *s, uint64_t at, ig_error *err)
{
    unsigned char ex = s->expect[s->depth];
    s->esc = 0;
    s->probe = -1;
    if (s->ctype[s->depth] == CT_OBJECT && (ex == EX_KEY || ex == EX_KEY_OR_END)) {
        s->str_is_key = true;
        s->key_len = 0;
        s->lex = LEX_STRING;
        return skel_char(s, '"', err);
    }
    if (begin_value(s, at, err) != 0)
        return -1;
    s->str_is_key = false;
    int k = s->ctype[s->depth] == CT_OBJECT ? s->pending_key : s->array_key[s->depth];
    if (s->ctype[s->depth] == CT_OBJECT && k >= 0 && s->keys[k].array_items)
        k = -1; /* "name[]" takes strings inside its array, not a lone string */
    s->pending_key = -1;
    if (k >= 0 && !s->keys[k].data_url_only)
        return image_begin(s, k, err);
    if (k >= 0) { /* copy, but watch for "data:" */
        s->probe = 0;
        s->probe_key = k;
        s->probe_mark = s->skel_len;
    }
    s->lex = LEX_STRING;
    return skel_char(s, '"', err);
}

/* A plain string's closing quote. */
static int string_end(ig_json_b64_sink *s, ig_error *err)
{
    if (skel_char(s, '"', err) != 0)
        return -1;
    s->lex = LEX_WS;
    if (s->str_is_key) {
        s->pending_key = match_key(s);
        s->expect[s->depth] = EX_COLON;
    } else {
        end_value(s);
    }
    return 0;
}

/* A content byte of a plain string whose value may turn out to be a data URL. */
static int probe_byte(ig_json_b64_sink *s, unsigned char c, ig_error *err)
{
    if (c != (unsigned char)k_data_prefix[s->probe]) {
        s->probe = -1; /* an ordinary string (escapes count as a mismatch) */
        return 0;
    }
    if (++s->probe < DATA_PREFIX_LEN)
        return 0;
    /* "data:" confirmed: replace what was copied by the image reference. */
    s->skel_len = s->probe_mark;
    s->probe = -1;
    if (image_begin(s, s->probe_key, err) != 0)
        return -1;
    s->pfx_len = DATA_PREFIX_LEN;
    s->phase = IMG_HEADER;
    return 0;
}

/* Validates one byte of a \-escape in a copied string. */
static int string_escape(ig_json_b64_sink *s, unsigned char c, uint64_t at, ig_error *err)
{
    if (s->esc == 1) {
        if (c == 'u') {
            s->esc = 2;
        } else if (c != '\0' && strchr("\"\\/bfnrt", c)) {
            s->esc = 0;
        } else {
            return bad_json(s, at, "unknown escape in a string", err);
        }
    } else {
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex)
            return bad_json(s, at, "\\u not followed by 4 hex digits", err);
        s->esc = s->esc == 5 ? 0 : s->esc + 1;
    }
    if (s->str_is_key && s->key_len++ < IG_SINK_MAX_KEY)
        s->key[s->key_len - 1] = (char)c;
    return skel_char(s, (char)c, err);
}

/* True for a byte that may appear in a number/true/false/null token. */
static bool literal_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || c == '-' || c == '+' || c == '.';
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool valid_number(const char *t)
{
    if (*t == '-')
        t++;
    if (*t == '0')
        t++;
    else if (*t >= '1' && *t <= '9')
        while (*t >= '0' && *t <= '9')
            t++;
    else
        return false;
    if (*t == '.') {
        t++;
        if (!(*t >= '0' && *t <= '9'))
            return false;
        while (*t >= '0' && *t <= '9')
            t++;
    }
    if (*t == 'e' || *t == 'E') {
        t++;
        if (*t == '+' || *t == '-')
            t++;
        if (!(*t >= '0' && *t <= '9'))
            return false;
        while (*t >= '0' && *t <= '9')
            t++;
    }
    return *t == '\0';
}

/* Ends a literal token: checks it and copies it to the skeleton. */
static int literal_end(ig_json_b64_sink *s, uint64_t at, ig_error *err)
{
    s->lit[s->lit_len] = '\0';
    if (strcmp(s->lit, "true") != 0 && strcmp(s->lit, "false") != 0
        && strcmp(s->lit, "null") != 0 && !valid_number(s->lit))
        return bad_json(s, at - s->lit_len, "not a number, true, false or null", err);
    if (skel_put(s, s->lit, s->lit_len, err) != 0)
        return -1;
    s->lex = LEX_WS;
    end_value(s);
    return 0;
}

/* --- structure ------------------------------------------------------------ */

/* Opens an object or array. */
static int open_container(ig_json_b64_sink *s, unsigned char c, uint64_t at, ig_error *err)
{
    if (begin_value(s, at, err) != 0)
        return -1;
    if (s->depth == IG_SINK_MAX_DEPTH)
        return bad_json(s, at, "nested more than 64 levels deep", err);
    int k = c == '[' && s->ctype[s->depth] == CT_OBJECT ? s->pending_key : -1;
    s->pending_key = -1;
    s->depth++;
    s->array_key[s->depth] = k >= 0 && s->keys[k].array_items ? k : -1;
    s->ctype[s->depth] = c == '{' ? CT_OBJECT : CT_ARRAY;
    s->expect[s->depth] = c == '{' ? EX_KEY_OR_END : EX_VALUE_OR_END;
    return skel_char(s, (char)c, err);
}

/* Closes the innermost object or array. */
static int close_container(ig_json_b64_sink *s, unsigned char c, uint64_t at, ig_error *err)
{
    unsigned char ex = s->expect[s->depth];
    bool ok = c == '}' ? s->ctype[s->depth] == CT_OBJECT && (ex == EX_KEY_OR_END || ex == EX_COMMA_OR_END)
                       : s->ctype[s->depth] == CT_ARRAY && (ex == EX_VALUE_OR_END || ex == EX_COMMA_OR_END);
    if (!ok)
        return bad_json(s, at, c == '}' ? "unexpected '}'" : "unexpected ']'", err);
    s->depth--;
    end_value(s);
    return skel_char(s, (char)c, err);
}

/* Handles one byte between tokens: whitespace, punctuation or a token start. */
static int ws_byte(ig_json_b64_sink *s, unsigned char c, uint64_t at, ig_error *err)
{
    unsigned char ex = s->expect[s->depth];
    switch (c) {
    case ' ': case '\t': case '\r': case '\n':
        return 0;
    case '{': case '[':
        return open_container(s, c, at, err);
    case '}': case ']':
        return close_container(s, c, at, err);
    case ':':
        if (ex != EX_COLON)
            return bad_json(s, at, "unexpected ':'", err);
        s->expect[s->depth] = EX_VALUE;
        return skel_char(s, ':', err);
    case ',':
        if (ex != EX_COMMA_OR_END)
            return bad_json(s, at, "unexpected ','", err);
        s->expect[s->depth] = s->ctype[s->depth] == CT_OBJECT ? EX_KEY : EX_VALUE;
        return skel_char(s, ',', err);
    case '"':
        return string_begin(s, at, err);
    default:
        if (!literal_byte(c))
            return bad_json(s, at, "unexpected character", err);
        if (begin_value(s, at, err) != 0)
            return -1;
        s->lex = LEX_LITERAL;
        s->lit[0] = (char)c;
        s->lit_len = 1;
        return 0;
    }
}

/* --- the sink API --------------------------------------------------------- */

ig_json_b64_sink *ig_json_b64_sink_new(ig_image_store *store,
                                       const char *const *keys,
                                       size_t max_skeleton, ig_error *err)
{
    if (!store || !keys || !keys[0] || max_skeleton == 0) {
        ig_fail(err, IG_ERR_INTERNAL, NULL,
                "json_b64_sink needs a store, at least one key and a size cap");
        return NULL;
    }
    ig_json_b64_sink *s = calloc(1, sizeof *s);
    size_t n = 0;
    while (keys[n])
        n++;
    if (s) {
        s->keys = calloc(n, sizeof *s->keys);
        s->buf = malloc(IG_SINK_BUF);
    }
    if (!s || !s->keys || !s->buf) {
        if (s) {
            free(s->keys);
            free(s->buf);
        }
        free(s);
        ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    for (size_t k = 0; k < n; k++) {
        size_t len = strlen(keys[k]);
        s->keys[k].name = keys[k];
        s->keys[k].data_url_only = len > 0 && keys[k][len - 1] == '?';
        s->keys[k].array_items = len > 2 && !strcmp(keys[k] + len - 2, "[]");
        s->keys[k].len = s->keys[k].data_url_only ? len - 1
                         : s->keys[k].array_items ? len - 2 : len;
    }
    s->n_keys = n;
    s->store = store;
    s->max_skeleton = max_skeleton;
    s->pending_key = -1;
    s->probe = -1;
    s->ctype[0] = CT_TOP;
    s->expect[0] = EX_VALUE;
    s->array_key[0] = -1;
    s->lex = LEX_WS;
    ig_error_clear(&s->first_err);
    return s;
}

/* Runs a stretch of plain-string bytes with no quote, backslash or control
 * byte straight into the skeleton (and the key buffer); returns its length. */
static size_t string_run(ig_json_b64_sink *s, const unsigned char *p, size_t n,
                         ig_error *err)
{
    size_t r = 0;
    while (r < n && p[r] != '"' && p[r] != '\\' && p[r] >= 0x20)
        r++;
    if (r == 0)
        return 0;
    if (s->str_is_key) {
        for (size_t i = 0; i < r && s->key_len < IG_SINK_MAX_KEY + 1; i++, s->key_len++)
            if (s->key_len < IG_SINK_MAX_KEY)
                s->key[s->key_len] = (char)p[i];
    }
    if (skel_put(s, p, r, err) != 0)
        return (size_t)-1;
    return r;
}

/* Length of a stretch of image bytes with no quote or backslash. */
static size_t image_run(const unsigned char *p, size_t n)
{
    size_t r = 0;
    while (r < n && p[r] != '"' && p[r] != '\\')
        r++;
    return r;
}

/* Feeds one chunk through the state machines; returns 0 or -1 with err. */
static int sink_feed(ig_json_b64_sink *s, const unsigned char *p, size_t n, ig_error *err)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        uint64_t at = s->pos + i;
        switch (s->lex) {
        case LEX_WS:
            if (ws_byte(s, c, at, err) != 0)
                return -1;
            i++;
            break;
        case LEX_LITERAL:
            if (literal_byte(c)) {
                if (s->lit_len == IG_SINK_MAX_LITERAL)
                    return bad_json(s, at, "a number or literal that is too long", err);
                s->lit[s->lit_len++] = (char)c;
                i++;
            } else if (literal_end(s, at, err) != 0) {
                return -1;
            } /* else: c is handled again between tokens */
            break;
        case LEX_STRING:
            if (s->esc) {
                if (string_escape(s, c, at, err) != 0)
                    return -1;
                i++;
            } else if (c == '"') {
                if (string_end(s, err) != 0)
                    return -1;
                i++;
            } else if (c == '\\') {
                s->probe = -1;
                s->esc = 1;
                if (s->str_is_key && s->key_len++ < IG_SINK_MAX_KEY)
                    s->key[s->key_len - 1] = '\\';
                if (skel_char(s, '\\', err) != 0)
                    return -1;
                i++;
            } else if (c < 0x20) {
                return bad_json(s, at, "a control character inside a string", err);
            } else if (s->probe >= 0) {
                if (skel_char(s, (char)c, err) != 0 || probe_byte(s, c, err) != 0)
                    return -1;
                i++;
            } else {
                size_t r = string_run(s, p + i, n - i, err);
                if (r == (size_t)-1)
                    return -1;
                i += r;
            }
            break;
        case LEX_IMAGE:
        default:
            if (s->esc) {
                if (image_escape(s, c, at, err) != 0)
                    return -1;
                i++;
            } else if (c == '"') {
                if (image_end(s, at, err) != 0)
                    return -1;
                i++;
            } else if (c == '\\') {
                s->esc = 1;
                i++;
            } else if (s->phase == IMG_BASE64) {
                size_t r = image_run(p + i, n - i);
                if (image_decode(s, (const char *)p + i, r, at, err) != 0)
                    return -1;
                i += r;
            } else {
                if (image_char(s, (char)c, at, err) != 0)
                    return -1;
                i++;
            }
            break;
        }
    }
    s->pos += n;
    return 0;
}

int ig_json_b64_sink_write(void *ctx, const void *data, size_t size, ig_error *err)
{
    ig_json_b64_sink *s = ctx;
    if (!s)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "no json_b64_sink");
    if (s->failed)
        return latch(s, err);
    if (s->finished) {
        ig_fail(err ? err : &s->first_err, IG_ERR_INTERNAL, NULL,
                "json_b64_sink: data written after finish");
        return latch(s, err);
    }
    if (size == 0)
        return 0;
    if (!data) {
        ig_fail(err ? err : &s->first_err, IG_ERR_INTERNAL, NULL,
                "json_b64_sink: NULL data");
        return latch(s, err);
    }
    return sink_feed(s, data, size, err);
}

const char *ig_json_b64_sink_finish(ig_json_b64_sink *s, ig_error *err)
{
    if (!s) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "no json_b64_sink");
        return NULL;
    }
    if (s->failed) {
        latch(s, err);
        return NULL;
    }
    if (s->finished)
        return s->skel;
    if (s->lex == LEX_LITERAL && literal_end(s, s->pos, err) != 0)
        return NULL;
    if (s->pos == 0) {
        ig_fail(err ? err : &s->first_err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                "provider response is empty (expected a JSON document)");
        latch(s, err);
        return NULL;
    }
    if (s->lex != LEX_WS || s->expect[0] != EX_DONE) {
        bad_json(s, s->pos, s->lex == LEX_STRING || s->lex == LEX_IMAGE
                                ? "the document ends inside a string"
                                : "the document ends before it is complete",
                 err);
        return NULL;
    }
    /* skel_put always leaves room for the terminator, and a complete
     * document has put at least one byte. */
    if (!s->skel) {
        ig_fail(err ? err : &s->first_err, IG_ERR_INTERNAL, NULL, "json_b64_sink: no skeleton");
        latch(s, err);
        return NULL;
    }
    s->skel[s->skel_len] = '\0';
    s->finished = true;
    return s->skel;
}

size_t ig_json_b64_sink_count(const ig_json_b64_sink *s)
{
    return s ? s->n_writers : 0;
}

ig_store_writer *ig_json_b64_sink_take(ig_json_b64_sink *s, size_t index)
{
    if (!s || index >= s->n_writers || s->writers[index] == s->cur)
        return NULL; /* the one still being written is not complete */
    ig_store_writer *w = s->writers[index];
    s->writers[index] = NULL;
    return w;
}

void ig_json_b64_sink_free(ig_json_b64_sink *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_writers; i++)
        ig_store_writer_abort(s->writers[i]);
    free(s->writers);
    free(s->skel);
    free(s->buf);
    free(s->keys);
    free(s);
}

ig_store_writer *ig_json_b64_sink_take_ref(ig_json_b64_sink *sink, const char *ref)
{
    unsigned long index = 0;
    char end = 0;
    if (!ref || sscanf(ref, "ig-image:%lu%c", &index, &end) != 1)
        return NULL;
    return ig_json_b64_sink_take(sink, index);
}
