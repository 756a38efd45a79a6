/*
 * bfl.h - the Black Forest Labs (FLUX) backend: generation with
 * flux-pro-1.1, -ultra and flux-dev (Redux image_prompt for references),
 * kontext for img2img edits, references and style transfer, fill for
 * inpaint and expand for outpaint. Every request is a task: submit, poll
 * the returned polling_url, download the signed sample URL at once.
 * Private to providers/bfl/; the backend table is the public face.
 */
#ifndef IG_BFL_H
#define IG_BFL_H

#include "providers/backend.h"

extern const ig_backend ig_bfl_backend;
extern const ig_model_caps ig_bfl_models[];

const char *ig_bfl_default_model(ig_operation op, const ig_request *req);

/*
 * The JSON body of one task for the negotiated request (malloc'd text the
 * caller frees with cJSON_free), with input images inlined as base64.
 * Warnings go to result. NULL with err on failure.
 */
char *ig_bfl_task_body(const ig_request *req, const ig_applied *applied, cJSON *result,
                       ig_error *err);

/*
 * Classifies a failed BFL answer: FastAPI {"detail": [...] | "text"};
 * 402 -> quota, 429 -> rate limited (24 active tasks), the rest by status.
 */
void ig_bfl_error(long status, double retry_after_s, const char *body, ig_error *err);

/*
 * Classifies a task that ended without an image, from its final status:
 * "Request Moderated" -> prompt refused, "Content Moderated" -> output
 * refused, "Error" and "Task not found" -> provider error.
 */
void ig_bfl_task_error(const char *task_id, const char *status, const char *details,
                       ig_error *err);

#endif
