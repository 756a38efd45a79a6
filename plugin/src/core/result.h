/*
 * result.h - the one JSON envelope every tool returns, success or failure.
 *
 *   {"ok", "tool", "status": "succeeded|failed|canceled",
 *    "images": [{id, path, mimeType, width, height, bytes, sha256}],
 *    "provider", "model", "requested", "applied", "inputs", "warnings",
 *    "revisedPrompt", "cost": {"estimatedUsd", "currency", "note"},
 *    "attempts", "error": {code, message, field, retryable, hint} | null,
 *    "durationMs"}
 *
 * Written for an LLM: never large base64, never a secret (the render step
 * passes the text through the instance's redactor). A result object is
 * built by one thread.
 */
#ifndef IG_RESULT_H
#define IG_RESULT_H

#include "core/ig_error.h"
#include "core/redact.h"

typedef struct cJSON cJSON;

/* New envelope for tool (borrowed name), status "failed" until set. */
cJSON *ig_result_new(const char *tool);

/* Marks the result failed (or canceled for IG_ERR_CANCELED) with err. */
void ig_result_set_error(cJSON *result, const ig_error *err);

/* Marks the result succeeded. */
void ig_result_set_ok(cJSON *result);

/* Appends {"field", "message"} to warnings (printf-formatted message). */
void ig_result_warn(cJSON *result, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same, appending to a bare warnings array (borrowed). */
void ig_warnings_add(cJSON *warnings, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Replaces key's value with item (ownership of item moves to result). */
void ig_result_put(cJSON *result, const char *key, cJSON *item);

/* Borrowed pointer to a key's value (e.g. "attempts", "warnings"). */
cJSON *ig_result_get(cJSON *result, const char *key);

/* Appends a stored image {id, path, mimeType, width, height, bytes, sha256}
 * to "images". */
struct ig_stored_image;
void ig_result_add_image(cJSON *result, const struct ig_stored_image *image);

/* Compact JSON text with secrets redacted (malloc'd; NULL if out of memory). */
char *ig_result_render(const cJSON *result, const ig_redactor *redactor);

/* A whole failed envelope as text, for failures before any builder exists. */
char *ig_result_error_text(const char *tool, const ig_error *err,
                           const ig_redactor *redactor);

#endif
