/* replicate_request.c - the JSON body of one prediction (see replicate.h).
 * Input images travel as data URLs, which every Replicate file input takes
 * (the API suggests its files endpoint above 256 KB; data URLs still work
 * and leave nothing stored at Replicate). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/result.h"
#include "image/image_ops.h"
#include "providers/replicate/replicate.h"
#include "providers/transport/base64_stream.h"

#define FLUX_PREFIX "black-forest-labs/"

/* Adds a data URL of bytes (PNG when mime is NULL) under key. */
static int add_data_url(cJSON *input, const char *key, const unsigned char *data, size_t size,
                        const char *mime, ig_error *err)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "data:%s;base64,", mime ? mime : "image/png");
    char *url = ig_base64_encode(data, size, prefix);
    if (!url)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory encoding %s", key);
    cJSON_AddStringToObject(input, key, url);
    free(url);
    return 0;
}

static int add_image(cJSON *input, const char *key, const ig_image *image, ig_error *err)
{
    return add_data_url(input, key, image->data, image->size, image->info.mime_type, err);
}

static bool is_model(const ig_applied *applied, const char *name)
{
    return !strcmp(applied->caps->model, name);
}

/* Replicate's FLUX models name JPEG "jpg". */
static const char *format_name(const char *format)
{
    return !strcmp(format, "jpeg") ? "jpg" : format;
}

/* Generation: the reference through PuLID (identity), image_prompt (Redux)
 * or redux_image; sizes as a ratio, or width/height for PuLID. */
static int generation_input(cJSON *in, const ig_request *req, const ig_applied *applied,
                            int outputs, cJSON *result, ig_error *err)
{
    const ig_image *reference = &req->images[IG_ROLE_REFERENCE];
    bool with_reference = applied->send_reference && reference->data;
    const char *model = applied->caps->model;
    bool pulid = is_model(applied, "zsxkib/flux-pulid");
    bool redux = is_model(applied, FLUX_PREFIX "flux-redux-dev");
    if ((pulid || redux) && !with_reference) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "referenceImageUrl", "%s needs a reference "
                "image (%s)", model, pulid ? "a face to keep" : "the image to vary");
        ig_error_hint(err, "Give referenceImageUrl, or choose another model.");
        return -1;
    }
    if (redux)
        ig_result_warn(result, "prompt", "not sent: %s takes no prompt; it varies the "
                       "reference image (use flux-1.1-pro for a prompt with a loose "
                       "reference)", model);
    else
        cJSON_AddStringToObject(in, "prompt", req->prompt);
    if (pulid) {
        if (add_image(in, "main_face_image", reference, err) != 0)
            return -1;
        cJSON_AddNumberToObject(in, "id_weight", ig_replicate_id_weight(req->consistency));
        if (applied->width) { /* else the model's default 896x1152 */
            cJSON_AddNumberToObject(in, "width", applied->width);
            cJSON_AddNumberToObject(in, "height", applied->height);
        }
        if (applied->send_negative_prompt)
            cJSON_AddStringToObject(in, "negative_prompt", req->negative_prompt);
    } else if (redux) {
        if (add_image(in, "redux_image", reference, err) != 0)
            return -1;
    } else if (with_reference) {
        if (add_image(in, "image_prompt", reference, err) != 0)
            return -1;
        if (req->consistency == IG_CONSISTENCY_STRICT ||
            req->consistency == IG_CONSISTENCY_BALANCED)
            ig_result_warn(result, "consistencyMode", "%s's image_prompt (Redux) keeps the "
                           "reference's look, not a face's identity; zsxkib/flux-pulid "
                           "keeps identity", model);
    }
    if (applied->aspect_ratio[0])
        cJSON_AddStringToObject(in, "aspect_ratio", applied->aspect_ratio);
    if (applied->caps->max_n > 1)
        cJSON_AddNumberToObject(in, "num_outputs", outputs);
    return 0;
}

/* Outpaint on flux-fill-pro: the image on the enlarged canvas and a mask
 * that is white over the new area (made here, not by Replicate). */
static int outpaint_input(cJSON *in, const ig_request *req, ig_error *err)
{
    const ig_image *image = &req->images[IG_ROLE_IMAGE];
    ig_png canvas, mask;
    if (ig_ops_outpaint_canvas(image->data, image->size, req->margins.left, req->margins.top,
                               req->target_width, req->target_height, &canvas, &mask,
                               err) != 0)
        return -1;
    int rc = add_data_url(in, "image", canvas.data, canvas.size, NULL, err) == 0 &&
                     add_data_url(in, "mask", mask.data, mask.size, NULL, err) == 0
                 ? 0
                 : -1;
    ig_png_clear(&canvas);
    ig_png_clear(&mask);
    return rc;
}

static int edit_input(cJSON *in, const ig_request *req, const ig_applied *applied,
                      int outputs, ig_error *err)
{
    const ig_image *image = &req->images[IG_ROLE_IMAGE];
    cJSON_AddStringToObject(in, "prompt", req->prompt ? req->prompt : "");
    if (req->mode == IG_EDIT_INPAINT) /* both white = change */
        return add_image(in, "image", image, err) == 0 &&
                       add_image(in, "mask", &req->images[IG_ROLE_MASK], err) == 0
                   ? 0
                   : -1;
    if (req->mode == IG_EDIT_OUTPAINT)
        return outpaint_input(in, req, err);
    /* img2img: prompt_strength 1.0 would ignore the image entirely. */
    cJSON_AddNumberToObject(in, "prompt_strength", req->strength);
    if (applied->caps->max_n > 1)
        cJSON_AddNumberToObject(in, "num_outputs", outputs);
    return add_image(in, "image", image, err);
}

/* Real-ESRGAN takes any factor 0-10: the exact one the target needs. */
static int upscale_input(cJSON *in, const ig_request *req, cJSON *result, ig_error *err)
{
    const ig_image *image = &req->images[IG_ROLE_IMAGE];
    double scale = req->target_width ? (double)req->target_width / image->info.width
                                     : req->scale;
    int height = (int)(image->info.height * scale + 0.5);
    if (req->target_height && height != req->target_height)
        ig_result_warn(result, "height", "Real-ESRGAN keeps the aspect ratio: %dx%d "
                       "becomes %dx%d, not %dx%d", image->info.width, image->info.height,
                       req->target_width, height, req->target_width, req->target_height);
    cJSON_AddNumberToObject(in, "scale", scale);
    cJSON_AddBoolToObject(in, "face_enhance", false); /* providerOptions may turn it on */
    return add_image(in, "image", image, err);
}

char *ig_replicate_body(const ig_request *req, const ig_applied *applied, int outputs,
                        cJSON *result, ig_error *err)
{
    cJSON *body = cJSON_CreateObject();
    const char *version = ig_replicate_version(applied->caps->model);
    if (version)
        cJSON_AddStringToObject(body, "version", version);
    cJSON *in = cJSON_AddObjectToObject(body, "input");
    int rc;
    if (req->op == IG_OP_GENERATE)
        rc = generation_input(in, req, applied, outputs, result, err);
    else if (req->op == IG_OP_EDIT)
        rc = edit_input(in, req, applied, outputs, err);
    else
        rc = upscale_input(in, req, result, err);
    char *text = NULL;
    if (rc == 0) {
        if (applied->send_seed)
            cJSON_AddNumberToObject(in, "seed", req->seed);
        if (req->op != IG_OP_UPSCALE) /* Real-ESRGAN always answers PNG */
            cJSON_AddStringToObject(in, "output_format", format_name(applied->output_format));
        ig_backend_json_options(in, req, "replicate", result);
        text = cJSON_PrintUnformatted(body);
        if (!text)
            ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    }
    cJSON_Delete(body);
    return text;
}
