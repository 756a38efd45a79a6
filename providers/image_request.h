/*
 * image_request.h - one validated, normalized tool call, as providers see it.
 *
 * Built by the tool layer (plugin/src/tools) after the schema and every
 * cross-field rule passed and every image input was resolved and decoded.
 * Strings are borrowed from the call's parsed arguments and live as long as
 * the call; images are owned by the request (ig_request_clear frees them).
 * Used by one thread: the one running the call.
 */
#ifndef IG_IMAGE_REQUEST_H
#define IG_IMAGE_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "image/image_input.h"
#include "providers/catalog.h"
#include "providers/fallback/priority.h"
#include "providers/preferences.h"

typedef struct cJSON cJSON;

typedef enum ig_edit_mode {
    IG_EDIT_NONE,
    IG_EDIT_IMG2IMG,
    IG_EDIT_INPAINT,
    IG_EDIT_OUTPAINT,
} ig_edit_mode;

/* How the local provider enlarges (upscale_image "method"). */
typedef enum ig_upscale_method {
    IG_METHOD_AUTO,
    IG_METHOD_LANCZOS3,
    IG_METHOD_NEURAL,
} ig_upscale_method;

typedef enum ig_consistency {
    IG_CONSISTENCY_NONE,
    IG_CONSISTENCY_STRICT,
    IG_CONSISTENCY_BALANCED,
    IG_CONSISTENCY_LOOSE,
} ig_consistency;

/* Pixel margins added around the source for outpainting. */
typedef struct ig_margins {
    int left, right, top, bottom;
} ig_margins;

/* The image inputs a request may carry, by role. */
typedef enum ig_image_role {
    IG_ROLE_IMAGE,     /* the source image ("image") */
    IG_ROLE_MASK,      /* inpaint mask, white = change ("mask") */
    IG_ROLE_STYLE,     /* style reference ("styleImage") */
    IG_ROLE_REFERENCE, /* character reference ("referenceImageUrl") */
    IG_ROLE_COUNT
} ig_image_role;

typedef struct ig_request {
    ig_operation op;
    const char *tool;            /* "generate_image", ... */

    const char *prompt;          /* NULL when not given */
    const char *negative_prompt;
    int n;                       /* images wanted, >= 1 */

    int width, height;           /* requested output size; 0 = provider default */
    int aspect_w, aspect_h;      /* requested aspect ratio; 0 = none */
    const char *quality;         /* "auto" unless given */
    const char *style;
    const char *output_format;   /* "png" unless given */
    const char *background;      /* "auto" unless given */
    bool has_seed;
    uint32_t seed;

    ig_edit_mode mode;           /* edit_image only */
    double strength;             /* edit/transfer: 0..1 (defaults applied) */
    ig_margins margins;          /* outpaint: derived from any of the forms */
    int target_aspect_w, target_aspect_h; /* outpaint to this ratio; 0 = none */

    int scale;                   /* upscale: 2 or 4 (derived from width/height) */
    int target_width, target_height; /* upscale/outpaint: final canvas size */
    ig_upscale_method method;    /* upscale: local provider's method */
    double max_seconds;          /* time budget of the call; 0 = none given */

    double variance;             /* variate: 0..1 */
    ig_consistency consistency;  /* generate with a reference */

    int pinned_provider;         /* ig_provider_id or -1 */
    const char *model;           /* NULL = provider default */
    ig_prefs prefs;              /* config merged with the request's own */
    double max_cost_usd;         /* budget cap of the call; < 0 = none */
    ig_priority priority;        /* what routing orders providers by */
    const cJSON *provider_options; /* borrowed object keyed by provider, or NULL */

    const char *image_refs[IG_ROLE_COUNT]; /* references as given (borrowed) */
    ig_image images[IG_ROLE_COUNT];        /* resolved inputs (owned) */
} ig_request;

/* "auto", "lanczos3" or "neural". */
const char *ig_upscale_method_name(ig_upscale_method method);

/* Frees the resolved images. NULL is ignored. */
void ig_request_clear(ig_request *req);

/* Argument name of a role: "image", "mask", "styleImage", "referenceImageUrl". */
const char *ig_image_role_field(ig_image_role role);

#endif
