/*
 * json_schema_text.c - the text toolkit of the schema validator's messages:
 * bounded buffers, UTF-8, values quoted and clipped for an LLM reader,
 * did-you-mean suggestions, and lists of allowed values. See
 * json_schema_text.h. No shared state; any thread.
 */
#include "json_schema_text.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOT_LIMIT 60   /* bytes of a quoted value before "..." */
#define LIST_LIMIT 400 /* bytes of an allowed-values list before ", ..." */
#define MAX_SAFE_INT 9007199254740992.0 /* 2^53 */

/* ---- bounded text -------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
size_t ig_utf8_seq(const unsigned char *s)
{
    unsigned c = s[0], cp, min;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Counts the code points of s; false if s is not valid UTF-8. */
bool ig_utf8_length(const char *s, size_t *count)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        size_t seq = ig_utf8_seq(p);
        if (!seq)
            return false;
        p += seq;
        n++;
    }
    *count = n;
    return true;
}

/* Appends n bytes, cutting at the buffer's end on a code-point boundary. */
void ig_sb_putn(ig_sbuf *b, const char *s, size_t n)
{
    size_t room = sizeof b->buf - 1 - b->len;
    if (n > room) {
        n = room;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

void ig_sb_puts(ig_sbuf *b, const char *s)
{
    ig_sb_putn(b, s, strlen(s));
}

void ig_sb_printf(ig_sbuf *b, const char *fmt, ...)
{
    char tmp[sizeof b->buf];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        ig_sb_putn(b, tmp, strlen(tmp));
}

/* Formats a number: integers exactly (up to 2^53), others in the shortest
 * form that reads back as the same double; always with a '.' point. */
void ig_fmt_number(double d, char out[40])
{
    if (floor(d) == d && fabs(d) <= MAX_SAFE_INT) {
        snprintf(out, 40, "%.0f", d);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            break;
    }
    for (char *p = out; *p; p++) /* a locale may have made it "1,5" */
        if (*p == ',')
            *p = '.';
}

/* Writes JSON into a message but stops after a byte budget; `cut` says that
 * something was left out, so the caller can add "...". */
typedef struct clip {
    ig_sbuf *out;
    size_t end; /* out->len may not pass this */
    bool cut;
} clip;

static void clip_putn(clip *c, const char *s, size_t n)
{
    if (c->cut)
        return;
    if (c->out->len + n > c->end) {
        c->cut = true;
        return;
    }
    ig_sb_putn(c->out, s, n);
}

static void clip_puts(clip *c, const char *s)
{
    clip_putn(c, s, strlen(s));
}

/* Writes s as a JSON string literal; bytes that are not UTF-8 become '?'. */
static void clip_quoted(clip *c, const char *s)
{
    clip_puts(c, "\"");
    const unsigned char *p = (const unsigned char *)s;
    while (*p && !c->cut) {
        char esc[8];
        size_t seq = ig_utf8_seq(p);
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\', esc[1] = (char)*p, esc[2] = '\0';
        } else if (*p == '\n') {
            strcpy(esc, "\\n");
        } else if (*p == '\t') {
            strcpy(esc, "\\t");
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
        } else if (seq == 0) {
            strcpy(esc, "?");
        } else {
            clip_putn(c, (const char *)p, seq);
            p += seq;
            continue;
        }
        clip_puts(c, esc);
        p++;
    }
    clip_puts(c, "\"");
}

/* Writes any JSON value (compactly) within the clip's budget. */
static void clip_value(clip *c, const cJSON *v)
{
    char num[40];
    if (cJSON_IsString(v)) {
        clip_quoted(c, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        ig_fmt_number(v->valuedouble, num);
        clip_puts(c, num);
    } else if (cJSON_IsBool(v)) {
        clip_puts(c, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        clip_puts(c, "null");
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        bool obj = cJSON_IsObject(v);
        clip_puts(c, obj ? "{" : "[");
        for (const cJSON *it = v->child; it && !c->cut; it = it->next) {
            if (it != v->child)
                clip_puts(c, ",");
            if (obj) {
                clip_quoted(c, it->string ? it->string : "");
                clip_puts(c, ":");
            }
            clip_value(c, it);
        }
        clip_puts(c, obj ? "}" : "]");
    } else {
        clip_puts(c, "?");
    }
}

/* Appends a value as JSON, truncated to about GOT_LIMIT bytes with "...". */
void ig_put_json(ig_sbuf *b, const cJSON *v)
{
    clip c = {.out = b, .end = b->len + GOT_LIMIT};
    clip_value(&c, v);
    if (c.cut)
        ig_sb_puts(b, cJSON_IsString(v) ? "...\"" : "...");
}

void ig_put_quoted_limit(ig_sbuf *b, const char *s, size_t limit)
{
    clip c = {.out = b, .end = b->len + limit};
    clip_quoted(&c, s);
    if (c.cut)
        ig_sb_puts(b, "...\"");
}

void ig_put_quoted(ig_sbuf *b, const char *s)
{
    ig_put_quoted_limit(b, s, GOT_LIMIT);
}

/* Appends `got <type> <value>`, e.g. `got string "2"` (just `got null`). */
void ig_put_got_typed(ig_sbuf *b, const cJSON *v)
{
    if (cJSON_IsNull(v)) {
        ig_sb_puts(b, "got null");
        return;
    }
    ig_sb_printf(b, "got %s ", ig_json_type_name(v));
    ig_put_json(b, v);
}

/* ---- did-you-mean -------------------------------------------------------- */

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Case-insensitive Levenshtein distance (bytes); (size_t)-1 for words too
 * long to be plausible typos. */
size_t ig_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[65];
    if (la > 64 || lb > 64)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = ascii_lower((unsigned char)a[i - 1]) !=
                          ascii_lower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Considers one candidate; only distances <= max(2, len(got)/3) count. */
void ig_suggest(ig_suggestion *s, const char *candidate)
{
    size_t len = strlen(s->got);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    size_t d = ig_edit_distance(s->got, candidate);
    if (d <= limit && (!s->best || d < s->dist)) {
        s->best = candidate;
        s->dist = d;
    }
}

/* ---- lists of allowed things --------------------------------------------- */

/* A string that reads unambiguously without quotes in a comma list. */
static bool is_plain_token(const char *s)
{
    if (!*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F || *p == ',' || *p == '"' || *p == '\\')
            return false;
    return true;
}

/* Appends the enum's values: bare when all are plain strings (auto, low),
 * otherwise each as JSON ("a b", 3, null). */
void ig_put_value_list(ig_sbuf *b, const cJSON *values)
{
    bool bare = true;
    const cJSON *it;
    cJSON_ArrayForEach(it, values)
        if (!cJSON_IsString(it) || !is_plain_token(it->valuestring))
            bare = false;
    size_t start = b->len;
    cJSON_ArrayForEach(it, values) {
        if (it != values->child)
            ig_sb_puts(b, ", ");
        if (b->len - start > LIST_LIMIT) {
            ig_sb_puts(b, "...");
            break;
        }
        if (bare)
            ig_sb_puts(b, it->valuestring);
        else
            ig_put_json(b, it);
    }
}

/* Appends the declared property names in schema order. */
void ig_put_prop_list(ig_sbuf *b, const ig_snode *n)
{
    size_t start = b->len;
    for (size_t i = 0; i < n->nprops; i++) {
        if (i)
            ig_sb_puts(b, ", ");
        if (b->len - start > LIST_LIMIT) {
            ig_sb_puts(b, "...");
            break;
        }
        ig_sb_puts(b, n->props[i].name);
    }
}
