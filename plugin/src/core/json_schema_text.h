/*
 * json_schema_text.h - text helpers for the schema validator's messages
 * (private to json_schema*.c and the did-you-mean of tool names).
 *
 * Everything writes into a caller's fixed buffer and truncates silently on a
 * code-point boundary, so no message can overflow or allocate. Pure
 * functions; any thread.
 */
#ifndef IG_JSON_SCHEMA_TEXT_H
#define IG_JSON_SCHEMA_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "json_schema_internal.h"

typedef struct cJSON cJSON;

/* A message (or path) under construction; appends silently truncate. */
typedef struct ig_sbuf {
    char buf[768];
    size_t len;
} ig_sbuf;

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one (overlong
 * forms, surrogates and values past U+10FFFF are invalid). */
size_t ig_utf8_seq(const unsigned char *s);

/* Counts the code points of s; false if s is not valid UTF-8. */
bool ig_utf8_length(const char *s, size_t *count);

void ig_sb_putn(ig_sbuf *b, const char *s, size_t n);
void ig_sb_puts(ig_sbuf *b, const char *s);
void ig_sb_printf(ig_sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Integers exactly (up to 2^53), others in the shortest form that reads back
 * as the same double, always with a '.' point. */
void ig_fmt_number(double d, char out[40]);

/* Appends a value as compact JSON, clipped to about 60 bytes with "...". */
void ig_put_json(ig_sbuf *b, const cJSON *v);

/* Appends s as a JSON string literal clipped to about 60 (or limit) bytes;
 * bytes that are not UTF-8 become '?'. */
void ig_put_quoted(ig_sbuf *b, const char *s);
void ig_put_quoted_limit(ig_sbuf *b, const char *s, size_t limit);

/* Appends `got <type> <value>`, e.g. `got string "2"` (just `got null`). */
void ig_put_got_typed(ig_sbuf *b, const cJSON *v);

/* Case-insensitive Levenshtein distance in bytes; (size_t)-1 for words over
 * 64 bytes (too long to be plausible typos). */
size_t ig_edit_distance(const char *a, const char *b);

/* The closest candidate to `got` seen so far (first wins ties). Start with
 * {.got = text}; feed candidates to ig_suggest; read .best (NULL = none). */
typedef struct ig_suggestion {
    const char *got;
    const char *best;
    size_t dist;
} ig_suggestion;

/* Considers one candidate; only distances <= max(2, len(got)/3) count. */
void ig_suggest(ig_suggestion *s, const char *candidate);

/* Appends an enum's values: bare when all are plain strings (auto, low),
 * otherwise each as JSON ("a b", 3, null); long lists end in "...". */
void ig_put_value_list(ig_sbuf *b, const cJSON *values);

/* Appends a schema object's declared property names in schema order. */
void ig_put_prop_list(ig_sbuf *b, const ig_snode *n);

#endif
