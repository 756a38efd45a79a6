/* sd_a1111_request.c - the JSON bodies of A1111's txt2img, img2img and
 * extras requests (see sd_a1111.h). Images travel inline as base64. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/result.h"
#include "image/image_ops.h"
#include "providers/sd_local/sd_a1111.h"
#include "providers/transport/base64_stream.h"

#define MAX_INLINE 4 /* images one body can carry */

/* Inpainting settings: A1111's inpainting_fill 1 = "original" keeps the
 * masked content as the starting point; 2 = "latent noise" starts new areas
 * from noise, which is what outpainting needs (there is nothing there). */
#define FILL_ORIGINAL 1
#define FILL_LATENT_NOISE 2
#define INPAINT_MASK_BLUR 4
#define OUTPAINT_MASK_BLUR 8

/* The body under construction; base64 texts are referenced, not copied,
 * and freed once the body is printed. */
typedef struct body {
    cJSON *json;
    char *inline_images[MAX_INLINE];
    int n_inline;
} body;

/* base64 of bytes, kept until the body is printed; NULL when out of memory. */
static const char *inline_b64(body *b, const unsigned char *data, size_t size)
{
    char *b64 = b->n_inline < MAX_INLINE ? ig_base64_encode(data, size, "") : NULL;
    if (b64)
        b->inline_images[b->n_inline++] = b64;
    return b64;
}

/* Adds key: base64(data) (or appends it to an array when obj is one). */
static int add_image(body *b, cJSON *obj, const char *key, const unsigned char *data,
                     size_t size, ig_error *err)
{
    const char *b64 = inline_b64(b, data, size);
    if (!b64)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory encoding %s", key);
    if (cJSON_IsArray(obj))
        cJSON_AddItemToArray(obj, cJSON_CreateStringReference(b64));
    else
        cJSON_AddItemToObject(obj, key, cJSON_CreateStringReference(b64));
    return 0;
}

/* A side rounded down to A1111's latent grid of 8 (at least 64). */
static int grid8(int side)
{
    return side < 64 ? 64 : side / 8 * 8;
}

/* width/height for an edit, from the input (or outpaint canvas) size. */
static void edit_size(body *b, int w, int h, int *out_w, int *out_h, cJSON *result)
{
    *out_w = grid8(w);
    *out_h = grid8(h);
    if (*out_w != w || *out_h != h)
        ig_result_warn(result, "size", "automatic1111 works in multiples of 8 pixels: "
                       "the %dx%d image is made at %dx%d", w, h, *out_w, *out_h);
    cJSON_AddNumberToObject(b->json, "width", *out_w);
    cJSON_AddNumberToObject(b->json, "height", *out_h);
}

/* img2img fields: the source, and for inpaint/outpaint the mask. */
static int edit_fields(body *b, const ig_request *req, int *width, int *height,
                       cJSON *result, ig_error *err)
{
    const ig_image *image = &req->images[IG_ROLE_IMAGE];
    cJSON *init = cJSON_AddArrayToObject(b->json, "init_images");
    cJSON_AddNumberToObject(b->json, "resize_mode", 0);
    if (req->mode == IG_EDIT_OUTPAINT) {
        ig_png canvas = {0}, mask = {0};
        int rc = ig_ops_outpaint_canvas(image->data, image->size, req->margins.left,
                                        req->margins.top, req->target_width,
                                        req->target_height, &canvas, &mask, err);
        if (rc == 0)
            rc = add_image(b, init, "init_images", canvas.data, canvas.size, err);
        if (rc == 0)
            rc = add_image(b, b->json, "mask", mask.data, mask.size, err);
        if (rc == 0)
            edit_size(b, canvas.width, canvas.height, width, height, result);
        ig_png_clear(&canvas);
        ig_png_clear(&mask);
        if (rc != 0)
            return -1;
        /* New areas hold nothing to keep: start them from noise, fully. */
        cJSON_AddNumberToObject(b->json, "denoising_strength", 1.0);
        cJSON_AddNumberToObject(b->json, "inpainting_fill", FILL_LATENT_NOISE);
        cJSON_AddNumberToObject(b->json, "mask_blur", OUTPAINT_MASK_BLUR);
        cJSON_AddBoolToObject(b->json, "inpaint_full_res", false);
        cJSON_AddNumberToObject(b->json, "inpainting_mask_invert", 0);
        return 0;
    }
    if (add_image(b, init, "init_images", image->data, image->size, err) != 0)
        return -1;
    edit_size(b, image->info.width, image->info.height, width, height, result);
    cJSON_AddNumberToObject(b->json, "denoising_strength", req->strength);
    if (req->mode == IG_EDIT_INPAINT) {
        const ig_image *mask = &req->images[IG_ROLE_MASK];
        if (add_image(b, b->json, "mask", mask->data, mask->size, err) != 0) /* white = change */
            return -1;
        cJSON_AddNumberToObject(b->json, "mask_blur", INPAINT_MASK_BLUR);
        cJSON_AddNumberToObject(b->json, "inpainting_fill", FILL_ORIGINAL);
        cJSON_AddBoolToObject(b->json, "inpaint_full_res", false); /* whole picture */
        cJSON_AddNumberToObject(b->json, "inpainting_mask_invert", 0);
    }
    return 0;
}

/* alwayson_scripts.controlnet.args = [the IP-Adapter unit]. */
static int reference_unit(body *b, const ig_request *req, const ig_a1111_reference *ref,
                          ig_error *err)
{
    const ig_image *image = &req->images[IG_ROLE_REFERENCE];
    cJSON *scripts = cJSON_AddObjectToObject(b->json, "alwayson_scripts");
    cJSON *args = cJSON_AddArrayToObject(cJSON_AddObjectToObject(scripts, "controlnet"), "args");
    cJSON *unit = cJSON_CreateObject();
    cJSON_AddItemToArray(args, unit);
    cJSON_AddBoolToObject(unit, "enabled", true);
    cJSON_AddStringToObject(unit, "module", ref->module);
    cJSON_AddStringToObject(unit, "model", ref->model);
    cJSON_AddNumberToObject(unit, "weight", ref->weight);
    if (add_image(b, unit, "image", image->data, image->size, err) != 0)
        return -1;
    cJSON_AddStringToObject(unit, "resize_mode", "Crop and Resize");
    cJSON_AddStringToObject(unit, "control_mode", ref->control_mode);
    cJSON_AddBoolToObject(unit, "pixel_perfect", true);
    return 0;
}

/* Prints the body (after providerOptions) and frees it. */
static char *finish(body *b, const ig_request *req, cJSON *result, int rc, ig_error *err)
{
    char *text = NULL;
    if (rc == 0) {
        ig_backend_json_options(b->json, req, IG_A1111_PROVIDER, result);
        text = cJSON_PrintUnformatted(b->json);
        if (!text)
            ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    }
    cJSON_Delete(b->json);
    for (int i = 0; i < b->n_inline; i++)
        free(b->inline_images[i]);
    return text;
}

const char *ig_a1111_generate_path(const ig_request *req)
{
    return req->op == IG_OP_EDIT ? "/sdapi/v1/img2img" : "/sdapi/v1/txt2img";
}

char *ig_a1111_generate_body(const ig_request *req, const ig_applied *applied,
                             const char *checkpoint, const ig_a1111_reference *ref,
                             int batch_size, long long seed, int *width, int *height,
                             cJSON *result, ig_error *err)
{
    body b = {.json = cJSON_CreateObject()};
    cJSON_AddStringToObject(b.json, "prompt", req->prompt ? req->prompt : "");
    if (applied->send_negative_prompt && req->negative_prompt)
        cJSON_AddStringToObject(b.json, "negative_prompt", req->negative_prompt);
    cJSON_AddNumberToObject(b.json, "seed", (double)seed);
    cJSON_AddStringToObject(b.json, "sampler_name", IG_A1111_SAMPLER);
    cJSON_AddNumberToObject(b.json, "steps", IG_A1111_STEPS);
    cJSON_AddNumberToObject(b.json, "cfg_scale", IG_A1111_CFG);
    cJSON_AddNumberToObject(b.json, "batch_size", batch_size);
    cJSON_AddNumberToObject(b.json, "n_iter", 1);
    cJSON_AddBoolToObject(b.json, "send_images", true);
    cJSON_AddBoolToObject(b.json, "save_images", false);
    if (checkpoint) {
        cJSON *settings = cJSON_AddObjectToObject(b.json, "override_settings");
        cJSON_AddStringToObject(settings, "sd_model_checkpoint", checkpoint);
        cJSON_AddBoolToObject(b.json, "override_settings_restore_afterwards", true);
    }
    int rc = 0;
    *width = applied->width;
    *height = applied->height;
    if (req->op == IG_OP_EDIT) {
        rc = edit_fields(&b, req, width, height, result, err);
    } else if (applied->width) { /* else A1111's default, 512x512 */
        cJSON_AddNumberToObject(b.json, "width", applied->width);
        cJSON_AddNumberToObject(b.json, "height", applied->height);
    }
    if (rc == 0 && ref && ref->send)
        rc = reference_unit(&b, req, ref, err);
    return finish(&b, req, result, rc, err);
}

char *ig_a1111_upscale_body(const ig_request *req, const char *upscaler, cJSON *result,
                            ig_error *err)
{
    body b = {.json = cJSON_CreateObject()};
    const ig_image *image = &req->images[IG_ROLE_IMAGE];
    int rc = add_image(&b, b.json, "image", image->data, image->size, err);
    int scale = req->scale == 4 ? 4 : 2;
    bool exact = !req->target_width || (req->target_width == image->info.width * scale &&
                                        req->target_height == image->info.height * scale);
    if (exact) { /* resize_mode 0: by a factor */
        cJSON_AddNumberToObject(b.json, "resize_mode", 0);
        cJSON_AddNumberToObject(b.json, "upscaling_resize", scale);
    } else { /* resize_mode 1: to the target size asked for */
        cJSON_AddNumberToObject(b.json, "resize_mode", 1);
        cJSON_AddNumberToObject(b.json, "upscaling_resize_w", req->target_width);
        cJSON_AddNumberToObject(b.json, "upscaling_resize_h", req->target_height);
        cJSON_AddBoolToObject(b.json, "upscaling_crop", true);
    }
    cJSON_AddStringToObject(b.json, "upscaler_1", upscaler);
    cJSON_AddBoolToObject(b.json, "show_extras_results", true);
    return finish(&b, req, result, rc, err);
}
