/*
 * fal.h - the fal.ai backend: FLUX.1 [dev] generation, image-to-image,
 * LoRA inpainting (also used for outpainting on a padded canvas with a
 * locally built mask), PuLID for character references and ESRGAN
 * upscaling (no transfer_style: fal's Redux takes one image, so the content
 * image could not be sent), all through fal's queue API: submit
 * POST {base}/{model_id}, poll the returned status_url, GET the returned
 * response_url, PUT the returned cancel_url when the call is cancelled.
 * Private to providers/fal/; the backend table is the public face.
 */
#ifndef IG_FAL_H
#define IG_FAL_H

#include <stdbool.h>

#include "providers/backend.h"

extern const ig_backend ig_fal_backend;
extern const ig_model_caps ig_fal_models[];

/* Model ids (also the submit path under the base URL). */
#define FAL_FLUX_DEV "fal-ai/flux/dev"
#define FAL_IMG2IMG "fal-ai/flux/dev/image-to-image"
#define FAL_INPAINT "fal-ai/flux-lora/inpainting"
#define FAL_PULID "fal-ai/flux-pulid"
#define FAL_ESRGAN "fal-ai/esrgan"

const char *ig_fal_default_model(ig_operation op, const ig_request *req);

/*
 * The JSON input of one queue request for the negotiated request (malloc'd
 * text the caller frees with cJSON_free), input images inlined as data
 * URIs; num_images asks for n images in this one request. Warnings go to
 * result. NULL with err on failure. Any thread.
 */
char *ig_fal_input(const ig_request *req, const ig_applied *applied, int n, cJSON *result,
                   ig_error *err);

/*
 * The id_weight sent to PuLID for a consistency mode (strict 1.0,
 * balanced 0.8, loose 0.5; none counts as balanced).
 */
double ig_fal_id_weight(ig_consistency mode);

/*
 * Classifies a failed fal answer: {"detail": [{loc, msg, type}] | "text"},
 * X-Fal-Retryable (retryable_header "true"/"false"/"" when absent);
 * 422 with type content_policy_violation -> prompt refused, then by
 * status (401/403 auth, 429 rate limited, 5xx provider error; a 5xx fal
 * marks X-Fal-Retryable: false -> IG_ERR_PROVIDER_UNAVAILABLE).
 */
void ig_fal_error(long status, double retry_after_s, const char *retryable_header,
                  const char *body, ig_error *err);

#endif
