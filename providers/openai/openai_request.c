/* openai_request.c - builds the body of one OpenAI Images request: JSON for
 * generations, multipart for edits and variations. */
#include "providers/openai/openai_request.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/result.h"

void ig_openai_body_clear(ig_openai_body *b)
{
    if (!b)
        return;
    cJSON_free(b->json);
    ig_png_clear(&b->image_png);
    ig_png_clear(&b->mask_png);
    memset(b, 0, sizeof *b);
}

/* One request field: text, or the number `number` when text is NULL. */
typedef struct openai_field {
    const char *name;
    const char *text;
    int number;
} openai_field;

/* The fields every OpenAI Images request sends for this model. The JSON and
 * the multipart bodies both build from this list, so they cannot disagree
 * about which model takes which field. Returns how many were written. */
static size_t model_fields(const ig_request *req, const ig_applied *applied, int n,
                           openai_field out[6])
{
    const char *model = applied->caps->model;
    size_t k = 0;
    out[k++] = (openai_field){"model", model, 0};
    out[k++] = (openai_field){"n", NULL, n};
    if (applied->size[0])
        out[k++] = (openai_field){"size", applied->size, 0};
    if (applied->quality)
        out[k++] = (openai_field){"quality", applied->quality, 0};
    if (ig_openai_is_gpt_image(model)) {
        out[k++] = (openai_field){"output_format", applied->output_format, 0};
        if (strcmp(req->background, "auto"))
            out[k++] = (openai_field){"background", req->background, 0};
    } else {
        out[k++] = (openai_field){"response_format", "b64_json", 0}; /* never URLs */
    }
    return k;
}

int ig_openai_generation_body(const ig_request *req, const ig_applied *applied, int n,
                              ig_openai_body *b, cJSON *result)
{
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "prompt", req->prompt);
    openai_field fields[6];
    size_t count = model_fields(req, applied, n, fields);
    for (size_t i = 0; i < count; i++) {
        if (fields[i].text)
            cJSON_AddStringToObject(json, fields[i].name, fields[i].text);
        else
            cJSON_AddNumberToObject(json, fields[i].name, fields[i].number);
    }
    if (applied->style)
        cJSON_AddStringToObject(json, "style", applied->style);
    ig_backend_json_options(json, req, "openai", result);
    b->json = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    b->path = "/images/generations";
    return b->json ? 0 : -1;
}

#define OUTPAINT_PROMPT                                                          \
    "Extend the image naturally beyond its borders, matching its content, "     \
    "style and lighting."

/* The model's fields as form parts, for edits and variations. */
static void add_common_fields(ig_openai_body *b, const ig_applied *applied, int n,
                              const ig_request *req)
{
    openai_field fields[6];
    size_t count = model_fields(req, applied, n, fields);
    for (size_t i = 0; i < count; i++) {
        if (fields[i].text)
            ig_form_text_ref(&b->form, fields[i].name, fields[i].text);
        else
            ig_form_text(&b->form, fields[i].name, "%d", fields[i].number);
    }
}

int ig_openai_edit_body(const ig_request *req, const ig_applied *applied, int n,
                        ig_openai_body *b, cJSON *result, ig_error *err)
{
    const ig_image *image = &req->images[IG_ROLE_IMAGE];
    b->path = "/images/edits";
    if (req->mode == IG_EDIT_OUTPAINT) {
        /* No outpaint endpoint: the image on a larger transparent canvas,
         * whose transparent area OpenAI repaints (the canvas is the mask). */
        ig_png white_mask;
        if (ig_ops_outpaint_canvas(image->data, image->size, req->margins.left,
                                   req->margins.top, req->target_width, req->target_height,
                                   &b->image_png, &white_mask, err) != 0)
            return -1;
        ig_png_clear(&white_mask);
        ig_form_file(&b->form, "image", b->image_png.data, b->image_png.size, "image/png");
        ig_form_file(&b->form, "mask", b->image_png.data, b->image_png.size, "image/png");
    } else if (!strcmp(applied->caps->model, "dall-e-2")) {
        /* dall-e-2 takes one square PNG; a crop would misalign the mask. */
        int cropped = 0;
        if (image->info.width != image->info.height) {
            ig_fail(err, IG_ERR_INVALID_ARGUMENT, "image",
                    "dall-e-2 edits need a square image (got %dx%d)", image->info.width,
                    image->info.height);
            ig_error_hint(err, "Use model gpt-image-1, or crop the image and the mask "
                               "to a square.");
            return -1;
        }
        if (ig_ops_square_png(image->data, image->size, image->info.width, &b->image_png,
                              &cropped, err) != 0)
            return -1;
        ig_form_file(&b->form, "image", b->image_png.data, b->image_png.size, "image/png");
    } else {
        ig_form_file(&b->form, "image", image->data, image->size, image->info.mime_type);
    }
    if (req->mode == IG_EDIT_INPAINT) {
        const ig_image *mask = &req->images[IG_ROLE_MASK];
        if (ig_ops_mask_to_transparent(mask->data, mask->size, &b->mask_png, err) != 0)
            return -1;
        ig_form_file(&b->form, "mask", b->mask_png.data, b->mask_png.size, "image/png");
    }
    if (req->prompt) {
        ig_form_text_ref(&b->form, "prompt", req->prompt);
    } else {
        ig_form_text_ref(&b->form, "prompt", OUTPAINT_PROMPT);
        ig_result_warn(result, "prompt", "OpenAI edits need a prompt; used: \"%s\"",
                       OUTPAINT_PROMPT);
    }
    add_common_fields(b, applied, n, req);
    ig_form_add_options(&b->form, req, "openai", result);
    return 0;
}

int ig_openai_variation_body(const ig_request *req, const ig_applied *applied, int n,
                             ig_openai_body *b, cJSON *result, ig_error *err)
{
    const ig_image *image = &req->images[IG_ROLE_IMAGE];
    int cropped = 0;
    if (ig_ops_square_png(image->data, image->size, 1024, &b->image_png, &cropped, err) != 0)
        return -1;
    if (cropped)
        ig_result_warn(result, "image", "OpenAI variations need a square image: the "
                       "centre %dx%d square was used", b->image_png.width,
                       b->image_png.height);
    if (req->variance != 0.5)
        ig_result_warn(result, "variance", "ignored: OpenAI variations have no variance "
                       "setting");
    b->path = "/images/variations";
    ig_form_file(&b->form, "image", b->image_png.data, b->image_png.size, "image/png");
    add_common_fields(b, applied, n, req);
    ig_form_add_options(&b->form, req, "openai", result);
    return 0;
}
