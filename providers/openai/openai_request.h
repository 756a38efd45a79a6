/*
 * openai_request.h - the body of one OpenAI Images request (private to
 * providers/openai/). A body borrows the request's strings and images and
 * owns what it had to make (JSON text, converted PNGs).
 */
#ifndef IG_OPENAI_REQUEST_H
#define IG_OPENAI_REQUEST_H

#include "image/image_ops.h"
#include "providers/form.h"
#include "providers/openai/openai.h"

typedef struct ig_openai_body {
    const char *path;          /* "/images/generations", ... */
    char *json;                /* JSON body, or NULL for multipart */
    ig_form form;              /* multipart body when json is NULL */
    ig_png image_png;          /* converted inputs (outpaint canvas, square PNG) */
    ig_png mask_png;
} ig_openai_body;

void ig_openai_body_clear(ig_openai_body *b);

/* POST /images/generations for n images. Adds warnings to result. */
int ig_openai_generation_body(const ig_request *req, const ig_applied *applied, int n,
                              ig_openai_body *b, cJSON *result);

/* POST /images/edits (img2img, inpaint with the mask converted to OpenAI's
 * transparent-area convention, outpaint on an enlarged transparent canvas). */
int ig_openai_edit_body(const ig_request *req, const ig_applied *applied, int n,
                        ig_openai_body *b, cJSON *result, ig_error *err);

/* POST /images/variations (dall-e-2: a square PNG made locally). */
int ig_openai_variation_body(const ig_request *req, const ig_applied *applied, int n,
                             ig_openai_body *b, cJSON *result, ig_error *err);

#endif
