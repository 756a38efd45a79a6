/*
 * negotiate.h - fits a request to what one model can do, before any network
 * call, and says what changed.
 *
 * Hard limits the model cannot meet fail with an error naming the field
 * (prompt too long for the model, an operation or edit mode it lacks).
 * Soft differences are adjusted and reported as warnings in the result:
 * the nearest legal size, an aspect ratio mapped to a size (or a size to the
 * nearest ratio), n split across several requests, a quality or output
 * format the model does not take, options it ignores (negativePrompt, seed,
 * a style it lacks, reference image). Pure function; any thread.
 */
#ifndef IG_NEGOTIATE_H
#define IG_NEGOTIATE_H

#include "core/ig_error.h"
#include "providers/image_request.h"
#include "providers/model_caps.h"

typedef struct cJSON cJSON;

/* Requested features a model ignores (ig_applied.dropped bits): routing
 * tries providers that keep every one of them first. */
#define IG_DROP_REFERENCE 1u       /* referenceImageUrl */
#define IG_DROP_NEGATIVE_PROMPT 2u
#define IG_DROP_SEED 4u
#define IG_DROP_STYLE 8u
#define IG_DROP_BACKGROUND 16u     /* transparent background */

/* What will actually be sent to the provider. */
typedef struct ig_applied {
    const ig_model_caps *caps;
    int width, height;          /* 0 when the model takes only a ratio */
    char size[24];              /* "1024x1536", or "" */
    char aspect_ratio[16];      /* "16:9" when the model takes ratios, else "" */
    int n;                      /* total images */
    int requests;               /* provider calls needed: ceil(n / max_n) */
    const char *quality;        /* NULL when not sent */
    const char *style;          /* NULL when not sent */
    const char *output_format;
    bool send_negative_prompt;
    bool send_seed;
    bool send_reference;
    unsigned dropped;           /* IG_DROP_* bits */
} ig_applied;

/*
 * Fits req to caps. Returns 0 with *out filled and warnings (an array,
 * borrowed) appended as {"field","message"}; or -1 with err.
 */
int ig_negotiate(const ig_model_caps *caps, const ig_request *req,
                 ig_applied *out, cJSON *warnings, ig_error *err);

/* The applied settings as JSON for the result's "applied". */
cJSON *ig_applied_to_json(const ig_applied *applied, const char *provider);

#endif
