/*
 * openai.h - the OpenAI Images backend (generations, edits, variations).
 * Private to providers/openai/; the backend table is the public face.
 */
#ifndef IG_OPENAI_H
#define IG_OPENAI_H

#include <stdbool.h>

#include "providers/backend.h"

extern const ig_backend ig_openai_backend;
extern const ig_model_caps ig_openai_models[];

const char *ig_openai_default_model(ig_operation op, const ig_request *req);

/* gpt-image-* models (always base64, output_format/background) vs dall-e. */
bool ig_openai_is_gpt_image(const char *model);

/*
 * Turns an OpenAI error response into a classified error: {"error":{"message",
 * "type","param","code"}}; moderation codes become IG_ERR_PROVIDER_PROMPT_
 * REFUSED, insufficient_quota/billing codes IG_ERR_PROVIDER_QUOTA, the rest
 * by HTTP status (ig_backend_http_error).
 */
void ig_openai_error(long status, double retry_after_s, const char *body, ig_error *err);

#endif
