/* bfl_request.c - the JSON body of one FLUX task (see bfl.h). Input
 * images travel inline as base64, which every BFL endpoint takes. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/result.h"
#include "providers/bfl/bfl.h"
#include "providers/transport/base64_stream.h"

#define MAX_INLINE 4 /* images one body can carry */

/* The body under construction; base64 texts are referenced, not copied,
 * and freed once the body is printed. */
typedef struct task_body {
    cJSON *json;
    char *inline_images[MAX_INLINE];
    int n_inline;
} task_body;

static int add_image(task_body *b, const char *key, const ig_image *image, ig_error *err)
{
    char *b64 = b->n_inline < MAX_INLINE ? ig_base64_encode(image->data, image->size, "")
                                         : NULL;
    if (!b64)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory encoding %s", key);
    b->inline_images[b->n_inline++] = b64;
    cJSON_AddItemToObject(b->json, key, cJSON_CreateStringReference(b64));
    return 0;
}

/* Redux (image_prompt_strength on ultra) per consistency mode. */
static double redux_strength(ig_consistency mode)
{
    return mode == IG_CONSISTENCY_STRICT ? 0.8 : mode == IG_CONSISTENCY_LOOSE ? 0.25 : 0.5;
}

/* How kontext is told to keep a reference character, per mode. */
static const char *identity_instruction(ig_consistency mode)
{
    return mode == IG_CONSISTENCY_STRICT
               ? "Keep the exact identity, face, body and features of the character in "
                 "the input image. "
               : "Keep the character in the input image recognisable. ";
}

/* Kontext has no numeric style strength: say it in words. */
static const char *style_degree(double strength)
{
    return strength < 0.4 ? "subtly" : strength < 0.75 ? "clearly" : "fully";
}

static bool is_kontext(const char *model)
{
    return !strncmp(model, "flux-kontext", 12);
}

/* Sets "prompt" to instruction + the caller's prompt. */
static void set_prompt(task_body *b, const char *instruction, const char *prompt)
{
    char *text = ig_backend_join(instruction, prompt);
    if (text)
        cJSON_AddStringToObject(b->json, "prompt", text);
    free(text);
}

/* Generation: sizes, and the reference through kontext or Redux. */
static int generation_fields(task_body *b, const ig_request *req, const ig_applied *applied,
                             ig_error *err)
{
    const char *model = applied->caps->model;
    const ig_image *reference = &req->images[IG_ROLE_REFERENCE];
    bool with_reference = applied->send_reference && reference->data;
    if (with_reference && is_kontext(model)) {
        set_prompt(b, identity_instruction(req->consistency), req->prompt);
        return add_image(b, "input_image", reference, err);
    }
    cJSON_AddStringToObject(b->json, "prompt", req->prompt);
    if (with_reference && add_image(b, "image_prompt", reference, err) != 0)
        return -1;
    if (with_reference && !strcmp(model, "flux-pro-1.1-ultra"))
        cJSON_AddNumberToObject(b->json, "image_prompt_strength",
                                redux_strength(req->consistency));
    return 0;
}

static int edit_fields(task_body *b, const ig_request *req, const ig_applied *applied,
                       cJSON *result, ig_error *err)
{
    const ig_image *image = &req->images[IG_ROLE_IMAGE];
    if (req->mode == IG_EDIT_INPAINT) {
        cJSON_AddStringToObject(b->json, "prompt", req->prompt ? req->prompt : "");
        if (add_image(b, "image", image, err) != 0)
            return -1;
        return add_image(b, "mask", &req->images[IG_ROLE_MASK], err); /* white = change */
    }
    if (req->mode == IG_EDIT_OUTPAINT) {
        cJSON_AddStringToObject(b->json, "prompt", req->prompt ? req->prompt : "");
        cJSON_AddNumberToObject(b->json, "top", req->margins.top);
        cJSON_AddNumberToObject(b->json, "bottom", req->margins.bottom);
        cJSON_AddNumberToObject(b->json, "left", req->margins.left);
        cJSON_AddNumberToObject(b->json, "right", req->margins.right);
        return add_image(b, "image", image, err);
    }
    if (req->strength != 0.75)
        ig_result_warn(result, "strength", "ignored: %s has no edit strength; say in the "
                       "prompt how much should change", applied->caps->model);
    cJSON_AddStringToObject(b->json, "prompt", req->prompt);
    return add_image(b, "input_image", image, err);
}

static int style_fields(task_body *b, const ig_request *req, cJSON *result, ig_error *err)
{
    char instruction[300];
    const char *degree = style_degree(req->strength);
    snprintf(instruction, sizeof instruction,
             "Restyle the first image %s in the visual style of the second image: keep "
             "the subject, composition and layout of the first image; take colours, "
             "textures, brushwork and mood from the second. ", degree);
    set_prompt(b, instruction, req->prompt);
    ig_result_warn(result, "strength", "kontext has no numeric style strength; %.2f was "
                   "expressed in the prompt as \"%s\"", req->strength, degree);
    if (add_image(b, "input_image", &req->images[IG_ROLE_IMAGE], err) != 0)
        return -1;
    return add_image(b, "input_image_2", &req->images[IG_ROLE_STYLE], err);
}

char *ig_bfl_task_body(const ig_request *req, const ig_applied *applied, cJSON *result,
                       ig_error *err)
{
    task_body b = {.json = cJSON_CreateObject()};
    int rc = req->op == IG_OP_GENERATE ? generation_fields(&b, req, applied, err)
             : req->op == IG_OP_EDIT   ? edit_fields(&b, req, applied, result, err)
                                       : style_fields(&b, req, result, err);
    char *text = NULL;
    if (rc == 0) {
        if (applied->width) {
            cJSON_AddNumberToObject(b.json, "width", applied->width);
            cJSON_AddNumberToObject(b.json, "height", applied->height);
        }
        if (applied->aspect_ratio[0])
            cJSON_AddStringToObject(b.json, "aspect_ratio", applied->aspect_ratio);
        if (applied->send_seed)
            cJSON_AddNumberToObject(b.json, "seed", req->seed);
        cJSON_AddStringToObject(b.json, "output_format", applied->output_format);
        ig_backend_json_options(b.json, req, "bfl", result);
        text = cJSON_PrintUnformatted(b.json);
        if (!text)
            ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    }
    cJSON_Delete(b.json);
    for (int i = 0; i < b.n_inline; i++)
        free(b.inline_images[i]);
    return text;
}
