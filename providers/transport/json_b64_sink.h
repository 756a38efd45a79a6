/*
 * json_b64_sink.h - streams a JSON response whose image strings are base64
 * (OpenAI "b64_json", Stability "image", OpenRouter data: URLs) straight into
 * the image store, so a multi-megabyte image is never held as base64 text
 * nor as a whole parsed document.
 *
 * Feed it the body in arbitrary chunks (it is an ig_http_sink_fn). It scans
 * the JSON incrementally: every string value whose key is one of `keys` is
 * base64-decoded on the fly into an ig_store_writer (a "data:<mime>;base64,"
 * prefix is skipped); everything else is copied to a small "skeleton"
 * document in which each extracted string is replaced by "ig-image:<i>".
 * After the body ends, the caller parses the skeleton with cJSON, and commits
 * (or aborts) each image with the metadata it learned. Used by one thread.
 *
 * Matching rules:
 *   - A key matches only as an object KEY whose value is directly a string
 *     ({"b64_json":"..."}); the same text as a value, or an array/object
 *     under the key, is copied untouched. Keys match at any depth and are
 *     compared byte for byte with the raw key text (no unescaping).
 *   - A key listed as "name?" (e.g. "url?") is for values that may be either
 *     a link or a data URL: its value is extracted only when it starts with
 *     "data:"; "https://..." and anything else is copied as is. A key listed
 *     without '?' is always extracted, as raw base64 or as a data URL.
 *   - A key listed as "name[]" (e.g. "images[]", A1111's answer) is for an
 *     array of image strings: each string directly inside the array under
 *     that key is extracted (as raw base64 or a data URL); a lone string
 *     under the key, or anything nested deeper, is copied untouched.
 *   - A data URL must be "data:<anything>;base64,<payload>" (";base64" right
 *     before the first ','; header at most 256 bytes); other data URLs are
 *     an error, not copied.
 *   - In extracted strings, whitespace and the escapes \n \r \t are skipped
 *     (wrapped lines), "\/" decodes as '/', any other escape is an error.
 *     '=' padding is optional but, when present, must close the data;
 *     an empty image string is an error.
 *   - The i-th extracted string (document order, from 0) becomes the string
 *     "ig-image:<i>" in the skeleton; everything else is copied byte for byte
 *     except whitespace between tokens, which is dropped.
 *   - Nesting is limited to 64 levels. Memory is the skeleton plus a fixed
 *     48 KiB decode buffer, whatever the image size.
 */
#ifndef IG_JSON_B64_SINK_H
#define IG_JSON_B64_SINK_H

#include <stddef.h>

#include "core/ig_error.h"
#include "image/image_store.h"

typedef struct ig_json_b64_sink ig_json_b64_sink;

/* keys: NULL-terminated list (borrowed for the sink's life). store borrowed.
 * max_skeleton: cap on the non-image JSON (e.g. 1 MiB); over it = error. */
ig_json_b64_sink *ig_json_b64_sink_new(ig_image_store *store,
                                       const char *const *keys,
                                       size_t max_skeleton, ig_error *err);

/* An ig_http_sink_fn: ctx is the sink. Malformed JSON or base64 is an error
 * (IG_ERR_PROVIDER_BAD_RESPONSE, naming the byte offset in the response);
 * skeleton over max_skeleton is IG_ERR_PROVIDER_RESPONSE_TOO_LARGE; store
 * errors pass through. The first error sticks: every later write and finish
 * fails with the same error. */
int ig_json_b64_sink_write(void *ctx, const void *data, size_t size, ig_error *err);

/* Checks the document ended cleanly (something arrived, no open string or
 * container, nothing but whitespace after the value); returns the
 * NUL-terminated skeleton text (owned by the sink, valid until free) or NULL
 * with err. Commits nothing; no write is accepted after it. */
const char *ig_json_b64_sink_finish(ig_json_b64_sink *sink, ig_error *err);

/* Number of images extracted, and the i-th one's writer (ownership passes to
 * the caller, who must commit or abort it; NULL if already taken, out of
 * range, or that image's string never ended). */
size_t ig_json_b64_sink_count(const ig_json_b64_sink *sink);
ig_store_writer *ig_json_b64_sink_take(ig_json_b64_sink *sink, size_t index);

/* The writer behind a skeleton placeholder "ig-image:<i>" (ownership
 * passes as with take), or NULL when ref is not one or was taken. */
ig_store_writer *ig_json_b64_sink_take_ref(ig_json_b64_sink *sink, const char *ref);

/* Aborts every writer not taken and frees the sink. NULL is ignored. */
void ig_json_b64_sink_free(ig_json_b64_sink *sink);

#endif
