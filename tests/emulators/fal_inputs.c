/*
 * fal_inputs.c - the fal emulator's models and their input validation, the
 * way fal's pydantic models answer: every bad field at once as
 * {"loc":["body",field],"msg","type"}, unknown fields ignored. Field
 * ranges follow fal's model pages; ip-adapter-face-id's are unverified.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_images.h"
#include "emulators/fal_internal.h"

typedef enum fal_type {
    T_STRING, T_INT, T_NUMBER, T_BOOL, T_FORMAT, T_IMAGE, T_SIZE
} fal_type;

typedef struct fal_field {
    const char *name;
    fal_type type;
    bool required;
    bool ranged;
    double min, max;
} fal_field;

#define R(n, t) {.name = (n), .type = (t), .required = true}
#define O(n, t) {.name = (n), .type = (t)}
#define RANGE(n, t, lo, hi) {.name = (n), .type = (t), .ranged = true, .min = (lo), .max = (hi)}
#define STEPS RANGE("num_inference_steps", T_INT, 1, 50)
#define COMMON STEPS, O("seed", T_INT), RANGE("num_images", T_INT, 1, 4), \
               O("enable_safety_checker", T_BOOL), O("output_format", T_FORMAT), \
               O("sync_mode", T_BOOL)
#define END {.name = NULL}

static const fal_field flux_dev[] = {
    R("prompt", T_STRING), O("image_size", T_SIZE), RANGE("guidance_scale", T_NUMBER, 1, 20),
    COMMON, END};
static const fal_field img2img[] = {
    R("image_url", T_IMAGE), R("prompt", T_STRING), RANGE("strength", T_NUMBER, 0.01, 1),
    RANGE("guidance_scale", T_NUMBER, 1, 20), COMMON, END};
static const fal_field inpaint[] = {
    R("prompt", T_STRING), O("image_size", T_SIZE), R("image_url", T_IMAGE),
    R("mask_url", T_IMAGE), RANGE("strength", T_NUMBER, 0.01, 1),
    RANGE("guidance_scale", T_NUMBER, 0, 35), COMMON, END};
static const fal_field redux[] = {
    R("image_url", T_IMAGE), O("image_size", T_SIZE), RANGE("guidance_scale", T_NUMBER, 1, 20),
    COMMON, END};
static const fal_field pulid[] = {
    R("prompt", T_STRING), R("reference_image_url", T_IMAGE), O("image_size", T_SIZE),
    STEPS, O("seed", T_INT), RANGE("guidance_scale", T_NUMBER, 1, 10),
    O("negative_prompt", T_STRING), RANGE("start_step", T_INT, 0, 10),
    RANGE("true_cfg", T_NUMBER, 1, 10), RANGE("id_weight", T_NUMBER, 0, 3),
    O("enable_safety_checker", T_BOOL), END};
static const fal_field face_id[] = {
    R("prompt", T_STRING), R("face_image_url", T_IMAGE), O("negative_prompt", T_STRING),
    O("seed", T_INT), RANGE("guidance_scale", T_NUMBER, 0, 20), STEPS,
    RANGE("num_samples", T_INT, 1, 4), RANGE("width", T_INT, 512, 1024),
    RANGE("height", T_INT, 512, 1024), END};
static const fal_field esrgan[] = {
    R("image_url", T_IMAGE), RANGE("scale", T_NUMBER, 1, 8), RANGE("tile", T_INT, 0, 1024),
    O("face", T_BOOL), O("model", T_STRING), END};

const fal_model fal_models[] = {
    {"fal-ai/flux/dev", FAL_SIZE_PRESET, false, NULL, flux_dev},
    {"fal-ai/flux/dev/image-to-image", FAL_SIZE_INPUT, false, NULL, img2img},
    {"fal-ai/flux-lora/inpainting", FAL_SIZE_INPUT, false, NULL, inpaint},
    {"fal-ai/flux-1/dev/redux", FAL_SIZE_PRESET, false, NULL, redux},
    {"fal-ai/flux-pulid", FAL_SIZE_PRESET, false, "jpeg", pulid},
    {"fal-ai/ip-adapter-face-id", FAL_SIZE_WH, false, "png", face_id},
    {"fal-ai/esrgan", FAL_SIZE_SCALE, true, "png", esrgan},
    {NULL, 0, false, NULL, NULL},
};

const fal_model *fal_model_for_path(const char *path)
{
    for (const fal_model *m = fal_models; m->id; m++)
        if (path[0] == '/' && !strcmp(path + 1, m->id))
            return m;
    return NULL;
}

void fal_error_add(cJSON *errs, const char *field, const char *sub, const char *type,
                   const char *msg)
{
    cJSON *e = cJSON_CreateObject();
    cJSON *loc = cJSON_AddArrayToObject(e, "loc");
    cJSON_AddItemToArray(loc, cJSON_CreateString("body"));
    if (field)
        cJSON_AddItemToArray(loc, cJSON_CreateString(field));
    if (sub)
        cJSON_AddItemToArray(loc, cJSON_CreateString(sub));
    cJSON_AddStringToObject(e, "msg", msg);
    cJSON_AddStringToObject(e, "type", type);
    cJSON_AddItemToArray(errs, e);
}

/* A number in range, or an error: the bounds as pydantic words them. */
static bool check_number(cJSON *errs, const char *field, const char *sub, const cJSON *v,
                         bool integer, bool ranged, double min, double max, double *out)
{
    char msg[96];
    if (!cJSON_IsNumber(v)) {
        fal_error_add(errs, field, sub, integer ? "int_type" : "float_type",
                      integer ? "Input should be a valid integer"
                              : "Input should be a valid number");
        return false;
    }
    double x = v->valuedouble;
    if (integer && x != floor(x)) {
        fal_error_add(errs, field, sub, "int_from_float", "Input should be a valid integer, "
                      "got a number with a fractional part");
        return false;
    }
    if (ranged && x > max) {
        snprintf(msg, sizeof msg, "Input should be less than or equal to %g", max);
        fal_error_add(errs, field, sub, "less_than_equal", msg);
        return false;
    }
    if (ranged && x < min) {
        snprintf(msg, sizeof msg, "Input should be greater than or equal to %g", min);
        fal_error_add(errs, field, sub, "greater_than_equal", msg);
        return false;
    }
    *out = x;
    return true;
}

/* An image field: a data URI we decode, or an http(s) URL we do not fetch. */
static bool check_image(cJSON *errs, const char *field, const cJSON *v, int *w, int *h)
{
    if (!cJSON_IsString(v)) {
        fal_error_add(errs, field, NULL, "string_type", "Input should be a valid string");
        return false;
    }
    const char *s = v->valuestring;
    if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8)) {
        *w = 1024, *h = 768; /* never fetched */
        return true;
    }
    const char *comma = !strncmp(s, "data:", 5) ? strstr(s, ";base64,") : NULL;
    size_t size = 0;
    unsigned char *bytes = comma ? emu_base64_decode(comma + 8, &size) : NULL;
    emu_probe probe;
    bool ok = bytes && emu_image_probe(bytes, size, &probe) && probe.format[0];
    free(bytes);
    if (!ok) {
        fal_error_add(errs, field, NULL, "image_load_error", "Failed to load the image. "
                      "Please ensure the image file is not corrupted and is in a supported "
                      "format.");
        return false;
    }
    *w = probe.width, *h = probe.height;
    return true;
}

static const struct {
    const char *name;
    int width, height;
} presets[] = {
    {"square_hd", 1024, 1024},    {"square", 512, 512},          {"portrait_4_3", 768, 1024},
    {"portrait_16_9", 576, 1024}, {"landscape_4_3", 1024, 768},  {"landscape_16_9", 1024, 576},
};

/* image_size: a preset name or {width, height} (each 1..14142). */
static bool check_size(cJSON *errs, const cJSON *v, int *w, int *h)
{
    if (cJSON_IsString(v)) {
        for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
            if (!strcmp(v->valuestring, presets[i].name)) {
                *w = presets[i].width, *h = presets[i].height;
                return true;
            }
        fal_error_add(errs, "image_size", NULL, "literal_error", "Input should be "
                      "'square_hd', 'square', 'portrait_4_3', 'portrait_16_9', "
                      "'landscape_4_3' or 'landscape_16_9'");
        return false;
    }
    if (!cJSON_IsObject(v)) {
        fal_error_add(errs, "image_size", NULL, "model_type", "Input should be a valid "
                      "dictionary or instance of ImageSize");
        return false;
    }
    double dw = 0, dh = 0;
    const cJSON *jw = cJSON_GetObjectItemCaseSensitive(v, "width");
    const cJSON *jh = cJSON_GetObjectItemCaseSensitive(v, "height");
    bool ok = true;
    if (jw)
        ok &= check_number(errs, "image_size", "width", jw, true, true, 1, 14142, &dw);
    if (jh)
        ok &= check_number(errs, "image_size", "height", jh, true, true, 1, 14142, &dh);
    /* FLUX works in 16-pixel latents: sizes come out floored to 16. */
    *w = jw ? (int)dw / 16 * 16 : 512;
    *h = jh ? (int)dh / 16 * 16 : 512;
    *w = *w < 16 ? 16 : *w, *h = *h < 16 ? 16 : *h;
    return ok;
}

/* What the fields said, for sizing the output. */
typedef struct seen {
    int in_w, in_h, size_w, size_h, width, height;
    double scale;
    bool has_size;
} seen;

static void check_field(const fal_field *f, const cJSON *v, cJSON *errs, fal_params *p,
                        seen *s)
{
    double x;
    switch (f->type) {
    case T_STRING:
        if (!cJSON_IsString(v))
            fal_error_add(errs, f->name, NULL, "string_type", "Input should be a valid string");
        break;
    case T_BOOL:
        if (!cJSON_IsBool(v))
            fal_error_add(errs, f->name, NULL, "bool_type", "Input should be a valid boolean");
        break;
    case T_FORMAT:
        if (!cJSON_IsString(v) || (strcmp(v->valuestring, "jpeg") && strcmp(v->valuestring,
                                                                           "png")))
            fal_error_add(errs, f->name, NULL, "literal_error", "Input should be 'jpeg' or "
                          "'png'");
        else
            snprintf(p->format, sizeof p->format, "%s", v->valuestring);
        break;
    case T_IMAGE:
        if (strcmp(f->name, "mask_url"))
            check_image(errs, f->name, v, &s->in_w, &s->in_h);
        else
            check_image(errs, f->name, v, &(int){0}, &(int){0});
        break;
    case T_SIZE:
        s->has_size = check_size(errs, v, &s->size_w, &s->size_h);
        break;
    case T_INT:
    case T_NUMBER:
        if (!check_number(errs, f->name, NULL, v, f->type == T_INT, f->ranged, f->min, f->max,
                          &x))
            break;
        if (!strcmp(f->name, "seed"))
            p->has_seed = true, p->seed = x;
        else if (!strcmp(f->name, "num_images") || !strcmp(f->name, "num_samples"))
            p->num_images = (int)x;
        else if (!strcmp(f->name, "scale"))
            s->scale = x;
        else if (!strcmp(f->name, "width"))
            s->width = (int)x;
        else if (!strcmp(f->name, "height"))
            s->height = (int)x;
        break;
    }
}

/* The output size the model makes. */
static void output_size(const fal_model *m, const seen *s, fal_params *p)
{
    switch (m->sizing) {
    case FAL_SIZE_PRESET:
        p->width = s->has_size ? s->size_w : 1024; /* default landscape_4_3 */
        p->height = s->has_size ? s->size_h : 768;
        break;
    case FAL_SIZE_INPUT:
        p->width = s->in_w, p->height = s->in_h;
        break;
    case FAL_SIZE_SCALE:
        p->width = (int)lround(s->in_w * s->scale), p->height = (int)lround(s->in_h * s->scale);
        break;
    case FAL_SIZE_WH:
        p->width = s->width, p->height = s->height;
        break;
    }
}

cJSON *fal_validate(const fal_model *m, const emu_request *req, fal_params *p)
{
    cJSON *errs = cJSON_CreateArray();
    memset(p, 0, sizeof *p);
    p->model = m;
    p->num_images = 1;
    snprintf(p->format, sizeof p->format, "%s", m->format ? m->format : "jpeg");
    seen s = {.scale = 2, .width = 512, .height = 512};
    cJSON *body = req->body_size ? cJSON_ParseWithLength((const char *)req->body,
                                                          req->body_size) : NULL;
    if (!cJSON_IsObject(body)) {
        fal_error_add(errs, NULL, NULL, body ? "model_attributes_type" : "json_invalid",
                      body ? "Input should be a valid dictionary or object to extract "
                             "fields from" : "JSON decode error");
    } else {
        for (const fal_field *f = m->fields; f->name; f++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, f->name);
            if (!v && f->required)
                fal_error_add(errs, f->name, NULL, "missing", "Field required");
            else if (v)
                check_field(f, v, errs, p, &s);
        }
    }
    cJSON_Delete(body);
    if (cJSON_GetArraySize(errs) > 0)
        return errs;
    cJSON_Delete(errs);
    output_size(m, &s, p);
    return NULL;
}
