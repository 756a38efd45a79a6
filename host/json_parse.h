/*
 * json_parse.h - strict parsing of a whole NUL-terminated JSON text.
 *
 * cJSON_ParseWithLengthOpts with require_null_terminated checks for the NUL
 * *inside* the given length (cJSON 1.7.x), so the length passed must count
 * the terminator; this helper gets that right in one place.
 */
#ifndef AGX_JSON_PARSE_H
#define AGX_JSON_PARSE_H

#include <stddef.h>

typedef struct cJSON cJSON;

/*
 * Parses text (len bytes, text[len] == '\0'; NULL gives NULL) refusing
 * trailing garbage. Returns a tree the caller frees with cJSON_Delete, or
 * NULL; *error_offset (may be NULL) receives the byte offset of the error.
 * Any thread (never calls cJSON_InitHooks).
 */
cJSON *agx_json_parse(const char *text, size_t len, long *error_offset);

/* agx_json_parse(text, strlen(text), NULL). */
cJSON *agx_json_parse_str(const char *text);

#endif
