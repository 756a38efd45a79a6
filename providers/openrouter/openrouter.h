/*
 * openrouter.h - the OpenRouter backend: image models through chat
 * completions (modalities + image_config), images returned as data URLs in
 * choices[].message.images, usage.cost as the real price, and errors that
 * may arrive inside an HTTP 200. Private to providers/openrouter/; the
 * backend table is the public face.
 */
#ifndef IG_OPENROUTER_H
#define IG_OPENROUTER_H

#include <stdbool.h>

#include "providers/backend.h"

extern const ig_backend ig_openrouter_backend;
extern const ig_model_caps ig_openrouter_models[];

const char *ig_openrouter_default_model(ig_operation op, const ig_request *req);

/* Models that answer with images only (modalities ["image"]). */
bool ig_openrouter_image_only(const char *model);
/* Models that take image_config.image_size (1K, 2K, 4K). */
bool ig_openrouter_takes_image_size(const char *model);

/* The chat completion body for the negotiated request (malloc'd text the
 * caller frees with cJSON_free; inputs inlined as data URLs). Warnings go to
 * result. NULL with err on failure. */
char *ig_openrouter_body(const ig_request *req, const ig_applied *applied, cJSON *result,
                         ig_error *err);

/*
 * Classifies an OpenRouter error object {"code","message","metadata"}
 * (from a non-2xx answer, or inside a 200 when status is 200): 402 quota,
 * 403 moderation (the flagged reasons are named), 408 timeout, 429 rate
 * limit, 502/503 upstream failures, the rest by status.
 */
void ig_openrouter_error(long status, double retry_after_s, const cJSON *error,
                         ig_error *err);

#endif
