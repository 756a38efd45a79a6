/*
 * stability.h - the Stability AI v2beta backend: generate (ultra, core,
 * sd3.5), img2img, inpaint, outpaint, upscale (fast, conservative,
 * creative) and style transfer. Private to providers/stability/; the
 * backend table is the public face.
 */
#ifndef IG_STABILITY_H
#define IG_STABILITY_H

#include <stdbool.h>

#include "image/image_store.h"
#include "providers/backend.h"
#include "providers/form.h"

extern const ig_backend ig_stability_backend;
extern const ig_model_caps ig_stability_models[];

const char *ig_stability_default_model(ig_operation op, const ig_request *req);

/* One request: where it goes and its multipart body (borrowing the
 * request's strings and images). */
typedef struct ig_stability_call {
    char path[64]; /* "/v2beta/stable-image/generate/core", ... */
    bool async;    /* creative upscale: answers {"id"}, then poll results */
    ig_form form;
} ig_stability_call;

/* Builds the call for the negotiated request; warnings go to result.
 * Returns 0, or -1 with err (a limit of the API the tool layer cannot know). */
int ig_stability_build(const ig_request *req, const ig_applied *applied,
                       ig_stability_call *call, cJSON *result, ig_error *err);

/*
 * Turns a Stability error answer {"id","name","errors":[...]} into a
 * classified error: name content_moderation -> IG_ERR_PROVIDER_PROMPT_REFUSED,
 * 402/insufficient credits -> quota, the rest by HTTP status.
 */
void ig_stability_error(long status, double retry_after_s, const char *body, ig_error *err);

#endif
