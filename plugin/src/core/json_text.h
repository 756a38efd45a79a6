/*
 * json_text.h - strict parsing of NUL-terminated JSON text with cJSON.
 *
 * One place for the cJSON 1.7.15 detail that, with require_null_terminated,
 * the given length must include the terminator. Never calls cJSON_InitHooks
 * and never reads cJSON's global error pointer, so it is thread-safe.
 */
#ifndef IG_JSON_TEXT_H
#define IG_JSON_TEXT_H

#include <stddef.h>

typedef struct cJSON cJSON;

/*
 * Parses text (borrowed): one JSON value and nothing but whitespace after
 * it. Returns the document (caller deletes) or NULL, then setting
 * *error_offset (may be NULL) to the byte offset where parsing failed.
 */
cJSON *ig_json_parse(const char *text, size_t *error_offset);

#endif
