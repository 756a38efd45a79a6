/* fal_request.c - the JSON input of one fal queue request (see fal.h).
 * Input images travel inline as data URIs, which every fal model takes in
 * its *_url fields; nothing is uploaded to fal's storage first. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/result.h"
#include "image/image_ops.h"
#include "providers/fal/fal.h"
#include "providers/transport/base64_stream.h"

#define MAX_INLINE 3 /* data URIs one input can carry */
#define DEFAULT_EDIT_PROMPT                                                       \
    "Extend the image naturally beyond its borders, matching its content, "      \
    "style and lighting."

/* The input under construction; data URIs are referenced, not copied, and
 * freed once the input is printed. */
typedef struct fal_input {
    cJSON *json;
    char *uris[MAX_INLINE];
    int n_uris;
} fal_input;

/* Adds key = "data:<mime>;base64,..." of bytes. */
static int add_uri(fal_input *in, const char *key, const unsigned char *data, size_t size,
                   const char *mime, ig_error *err)
{
    char prefix[48];
    snprintf(prefix, sizeof prefix, "data:%s;base64,", mime);
    char *uri = in->n_uris < MAX_INLINE ? ig_base64_encode(data, size, prefix) : NULL;
    if (!uri)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory encoding %s", key);
    in->uris[in->n_uris++] = uri;
    cJSON_AddItemToObject(in->json, key, cJSON_CreateStringReference(uri));
    return 0;
}

static int add_image(fal_input *in, const char *key, const ig_image *image, ig_error *err)
{
    return add_uri(in, key, image->data, image->size, image->info.mime_type, err);
}

/* fal's image_size presets and the pixels each one makes. */
static const struct {
    const char *name;
    int width, height;
} presets[] = {
    {"square_hd", 1024, 1024},     {"square", 512, 512},
    {"portrait_4_3", 768, 1024},   {"portrait_16_9", 576, 1024},
    {"landscape_4_3", 1024, 768},  {"landscape_16_9", 1024, 576},
};

/* image_size: the preset that makes exactly width x height, else the
 * pixels as {width, height}. */
static void add_image_size(fal_input *in, int width, int height)
{
    for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
        if (presets[i].width == width && presets[i].height == height) {
            cJSON_AddStringToObject(in->json, "image_size", presets[i].name);
            return;
        }
    cJSON *size = cJSON_AddObjectToObject(in->json, "image_size");
    cJSON_AddNumberToObject(size, "width", width);
    cJSON_AddNumberToObject(size, "height", height);
}

static void add_prompt(fal_input *in, const ig_request *req, cJSON *result)
{
    if (req->prompt) {
        cJSON_AddStringToObject(in->json, "prompt", req->prompt);
        return;
    }
    /* Only outpaint may come without a prompt; fal's FLUX models need one. */
    cJSON_AddStringToObject(in->json, "prompt", DEFAULT_EDIT_PROMPT);
    ig_result_warn(result, "prompt", "fal's FLUX models need a prompt; used: \"%s\"",
                   DEFAULT_EDIT_PROMPT);
}

/* PuLID: the reference face, with id_weight for the consistency mode. */
static int reference_fields(fal_input *in, const ig_request *req, const ig_applied *applied,
                            ig_error *err)
{
    cJSON_AddNumberToObject(in->json, "id_weight", ig_fal_id_weight(req->consistency));
    if (applied->send_negative_prompt) /* what "applied" reports as sent */
        cJSON_AddStringToObject(in->json, "negative_prompt", req->negative_prompt);
    return add_image(in, "reference_image_url", &req->images[IG_ROLE_REFERENCE], err);
}

static int generation_fields(fal_input *in, const ig_request *req, const ig_applied *applied,
                             int n, cJSON *result, ig_error *err)
{
    bool pulid = !strcmp(applied->caps->model, FAL_PULID);
    if (pulid && !(applied->send_reference && req->images[IG_ROLE_REFERENCE].data)) {
        /* fal answers 422 for it: refuse here, before anything is paid. */
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "referenceImageUrl", "%s needs a reference "
                "image (a face to keep)", FAL_PULID);
        ig_error_hint(err, "Give referenceImageUrl, or choose another model.");
        return -1;
    }
    add_prompt(in, req, result);
    if (applied->width)
        add_image_size(in, applied->width, applied->height);
    if (pulid)
        return reference_fields(in, req, applied, err);
    cJSON_AddNumberToObject(in->json, "num_images", n);
    return 0;
}

/* Outpaint: the source padded onto the final canvas and a white-where-new
 * mask, made locally, then inpainted. */
static int outpaint_fields(fal_input *in, const ig_request *req, ig_error *err)
{
    const ig_image *image = &req->images[IG_ROLE_IMAGE];
    ig_png canvas, mask;
    if (ig_ops_outpaint_canvas(image->data, image->size, req->margins.left, req->margins.top,
                               req->target_width, req->target_height, &canvas, &mask,
                               err) != 0)
        return -1;
    int rc = add_uri(in, "image_url", canvas.data, canvas.size, "image/png", err);
    if (rc == 0)
        rc = add_uri(in, "mask_url", mask.data, mask.size, "image/png", err);
    ig_png_clear(&canvas);
    ig_png_clear(&mask);
    /* Nothing in the new area is worth keeping: repaint it fully (the mask
     * protects the original pixels). */
    cJSON_AddNumberToObject(in->json, "strength", 1.0);
    return rc;
}

static int edit_fields(fal_input *in, const ig_request *req, int n, cJSON *result,
                       ig_error *err)
{
    add_prompt(in, req, result);
    cJSON_AddNumberToObject(in->json, "num_images", n);
    if (req->mode == IG_EDIT_OUTPAINT)
        return outpaint_fields(in, req, err);
    /* fal takes strength in 0.01..1. */
    cJSON_AddNumberToObject(in->json, "strength", fmax(0.01, fmin(1.0, req->strength)));
    if (add_image(in, "image_url", &req->images[IG_ROLE_IMAGE], err) != 0)
        return -1;
    if (req->mode == IG_EDIT_INPAINT) /* white = change, as fal reads it */
        return add_image(in, "mask_url", &req->images[IG_ROLE_MASK], err);
    return 0;
}

static int upscale_fields(fal_input *in, const ig_request *req, ig_error *err)
{
    cJSON_AddNumberToObject(in->json, "scale", req->scale);
    return add_image(in, "image_url", &req->images[IG_ROLE_IMAGE], err);
}

char *ig_fal_input(const ig_request *req, const ig_applied *applied, int n, cJSON *result,
                   ig_error *err)
{
    fal_input in = {.json = cJSON_CreateObject()};
    int rc;
    switch (req->op) {
    case IG_OP_GENERATE:
        rc = generation_fields(&in, req, applied, n, result, err);
        break;
    case IG_OP_EDIT:
        rc = edit_fields(&in, req, n, result, err);
        break;
    case IG_OP_UPSCALE:
        rc = upscale_fields(&in, req, err);
        break;
    default:
        rc = ig_fail(err, IG_ERR_INTERNAL, NULL, "fal cannot %s images",
                     ig_operation_name(req->op));
    }
    char *text = NULL;
    if (rc == 0) {
        if (applied->send_seed)
            cJSON_AddNumberToObject(in.json, "seed", req->seed);
        bool esrgan = req->op == IG_OP_UPSCALE;
        bool pulid = !strcmp(applied->caps->model, FAL_PULID);
        if (!esrgan && !pulid) /* the two take no output_format */
            cJSON_AddStringToObject(in.json, "output_format", applied->output_format);
        if (!esrgan) /* explicit: flagged images are what has_nsfw_concepts reports */
            cJSON_AddTrueToObject(in.json, "enable_safety_checker");
        ig_backend_json_options(in.json, req, "fal", result);
        text = cJSON_PrintUnformatted(in.json);
        if (!text)
            ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    }
    cJSON_Delete(in.json);
    for (int i = 0; i < in.n_uris; i++)
        free(in.uris[i]);
    return text;
}
