/*
 * replicate.h - the Replicate backend: official FLUX models through
 * POST /models/{owner}/{name}/predictions and community models (Real-ESRGAN,
 * PuLID) through POST /predictions with a pinned version. Each request is a
 * prediction: created with `Prefer: wait=N` so short jobs answer at once,
 * otherwise polled on urls.get until it ends; its output (a URL, or an array
 * of URLs or data URLs) is downloaded without the token. Private to
 * providers/replicate/; the backend table is the public face.
 */
#ifndef IG_REPLICATE_H
#define IG_REPLICATE_H

#include "providers/backend.h"

extern const ig_backend ig_replicate_backend;
extern const ig_model_caps ig_replicate_models[];

const char *ig_replicate_default_model(ig_operation op, const ig_request *req);

/* The pinned 64-hex version of a community model, or NULL for an official
 * model (called by name). A model given as "owner/name:<version>" yields
 * the part after the colon. Static or borrowed from model; any thread. */
const char *ig_replicate_version(const char *model);

/* PuLID's id_weight for a consistency mode (strict 1.3, balanced 0.8,
 * loose 0.5; none = the model's default 1.0). */
double ig_replicate_id_weight(ig_consistency mode);

/*
 * The JSON body of one prediction making `outputs` images: {"input":{...}}
 * or {"version","input"} (malloc'd text the caller frees with cJSON_free),
 * input images as data URLs. Warnings go to result. NULL with err on
 * failure. Any thread.
 */
char *ig_replicate_body(const ig_request *req, const ig_applied *applied, int outputs,
                        cJSON *result, ig_error *err);

/*
 * Classifies a failed HTTP answer: problem details {"detail","status",
 * "title"}; 402 -> quota (billing), 429 -> rate limited (Retry-After, else
 * the "resets in ~Ns" of the detail), the rest by status.
 */
void ig_replicate_error(long status, double retry_after_s, const char *body, ig_error *err);

/*
 * Classifies a prediction that ended without images from its status and
 * error text: "NSFW content detected", "flagged as sensitive", "(E005)" ->
 * output refused, or prompt refused when the text names only the prompt or
 * the input, other failures -> provider error (retryable),
 * canceled -> canceled, aborted -> provider error (retryable).
 */
void ig_replicate_prediction_error(const char *id, const char *status, const char *error,
                                   ig_error *err);

#endif
