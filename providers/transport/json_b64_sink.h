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
 * (IG_ERR_PROVIDER_BAD_RESPONSE). */
int ig_json_b64_sink_write(void *ctx, const void *data, size_t size, ig_error *err);

/* Checks the document ended cleanly; returns the skeleton text (owned by the
 * sink, valid until free) or NULL with err. */
const char *ig_json_b64_sink_finish(ig_json_b64_sink *sink, ig_error *err);

/* Number of images extracted, and the i-th one's writer (ownership passes to
 * the caller, who must commit or abort it; NULL if already taken). */
size_t ig_json_b64_sink_count(const ig_json_b64_sink *sink);
ig_store_writer *ig_json_b64_sink_take(ig_json_b64_sink *sink, size_t index);

/* Aborts every writer not taken and frees the sink. NULL is ignored. */
void ig_json_b64_sink_free(ig_json_b64_sink *sink);

#endif
