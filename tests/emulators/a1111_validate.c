/*
 * a1111_validate.c - request validation as FastAPI 0.94 with pydantic 1
 * does it for A1111 (see a1111_internal.h): every field of the generated
 * processing models is Optional with lax coercion (numbers from numeric
 * strings and bools, strings from numbers), unknown keys are ignored, and
 * every bad field is reported at once as {"loc":["body",field],"msg","type"}.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emulators/a1111_internal.h"

typedef enum ftype { F_STR, F_INT, F_FLOAT, F_BOOL, F_DICT, F_LIST } ftype;

typedef struct field {
    const char *name;
    ftype type;
} field;

/* StableDiffusionProcessing's parameters plus the API's extras. */
static const field common_fields[] = {
    {"prompt", F_STR}, {"negative_prompt", F_STR}, {"styles", F_LIST}, {"seed", F_INT},
    {"subseed", F_INT}, {"subseed_strength", F_FLOAT}, {"seed_resize_from_h", F_INT},
    {"seed_resize_from_w", F_INT}, {"sampler_name", F_STR}, {"scheduler", F_STR},
    {"batch_size", F_INT}, {"n_iter", F_INT}, {"steps", F_INT}, {"cfg_scale", F_FLOAT},
    {"width", F_INT}, {"height", F_INT}, {"restore_faces", F_BOOL}, {"tiling", F_BOOL},
    {"do_not_save_samples", F_BOOL}, {"do_not_save_grid", F_BOOL}, {"eta", F_FLOAT},
    {"denoising_strength", F_FLOAT}, {"s_min_uncond", F_FLOAT}, {"s_churn", F_FLOAT},
    {"s_tmax", F_FLOAT}, {"s_tmin", F_FLOAT}, {"s_noise", F_FLOAT},
    {"override_settings", F_DICT}, {"override_settings_restore_afterwards", F_BOOL},
    {"refiner_checkpoint", F_STR}, {"refiner_switch_at", F_FLOAT},
    {"disable_extra_networks", F_BOOL}, {"comments", F_DICT}, {"sampler_index", F_STR},
    {"script_name", F_STR}, {"script_args", F_LIST}, {"send_images", F_BOOL},
    {"save_images", F_BOOL}, {"alwayson_scripts", F_DICT}, {"force_task_id", F_STR},
    {"infotext", F_STR}, {NULL, F_STR},
};

static const field txt2img_fields[] = {
    {"enable_hr", F_BOOL}, {"firstphase_width", F_INT}, {"firstphase_height", F_INT},
    {"hr_scale", F_FLOAT}, {"hr_upscaler", F_STR}, {"hr_second_pass_steps", F_INT},
    {"hr_resize_x", F_INT}, {"hr_resize_y", F_INT}, {"hr_checkpoint_name", F_STR},
    {"hr_sampler_name", F_STR}, {"hr_prompt", F_STR}, {"hr_negative_prompt", F_STR},
    {NULL, F_STR},
};

static const field img2img_fields[] = {
    {"init_images", F_LIST}, {"resize_mode", F_INT}, {"image_cfg_scale", F_FLOAT},
    {"mask", F_STR}, {"mask_blur_x", F_INT}, {"mask_blur_y", F_INT}, {"mask_blur", F_INT},
    {"mask_round", F_BOOL}, {"inpainting_fill", F_INT}, {"inpaint_full_res", F_BOOL},
    {"inpaint_full_res_padding", F_INT}, {"inpainting_mask_invert", F_INT},
    {"initial_noise_multiplier", F_FLOAT}, {"latent_mask", F_STR},
    {"include_init_images", F_BOOL}, {NULL, F_STR},
};

/* Appends {"loc":["body",name?],"msg","type"} (ctx taken, may be NULL). */
static void add_error(cJSON *errs, const char *name, const char *msg, const char *type,
                      cJSON *ctx)
{
    cJSON *e = cJSON_CreateObject();
    cJSON *loc = cJSON_AddArrayToObject(e, "loc");
    cJSON_AddItemToArray(loc, cJSON_CreateString("body"));
    if (name)
        cJSON_AddItemToArray(loc, cJSON_CreateString(name));
    cJSON_AddStringToObject(e, "msg", msg);
    cJSON_AddStringToObject(e, "type", type);
    if (ctx)
        cJSON_AddItemToObject(e, "ctx", ctx);
    cJSON_AddItemToArray(errs, e);
}

/* A numeric string as a double; false when it is not one. */
static bool numeric_string(const char *s, double *out)
{
    char *end;
    while (*s == ' ')
        s++;
    if (!*s)
        return false;
    *out = strtod(s, &end);
    while (*end == ' ')
        end++;
    return *end == '\0' && isfinite(*out);
}

/* pydantic 1's coercions; true when v passes as type t. */
static bool coerces(const cJSON *v, ftype t, bool integer_only)
{
    double d;
    switch (t) {
    case F_STR:
        return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v);
    case F_INT:
    case F_FLOAT:
        if (cJSON_IsNumber(v) || cJSON_IsBool(v))
            return true;
        if (!cJSON_IsString(v) || !numeric_string(v->valuestring, &d))
            return false;
        return !integer_only || d == floor(d);
    case F_BOOL:
        if (cJSON_IsBool(v))
            return true;
        if (cJSON_IsNumber(v))
            return v->valuedouble == 0 || v->valuedouble == 1;
        if (cJSON_IsString(v)) {
            static const char *const ok[] = {"0", "off", "f", "false", "n", "no", "1",
                                             "on", "t", "true", "y", "yes", NULL};
            for (int i = 0; ok[i]; i++)
                if (!strcasecmp(v->valuestring, ok[i]))
                    return true;
        }
        return false;
    case F_DICT:
        return cJSON_IsObject(v);
    case F_LIST:
    default:
        return cJSON_IsArray(v);
    }
}

/* Checks one optional field of the table. */
static void check_field(const cJSON *body, const field *f, cJSON *errs)
{
    static const char *const msgs[] = {"str type expected", "value is not a valid integer",
                                       "value is not a valid float",
                                       "value could not be parsed to a boolean",
                                       "value is not a valid dict", "value is not a valid list"};
    static const char *const types[] = {"type_error.str", "type_error.integer",
                                        "type_error.float", "type_error.bool",
                                        "type_error.dict", "type_error.list"};
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, f->name);
    if (!v || cJSON_IsNull(v) || coerces(v, f->type, f->type == F_INT))
        return;
    add_error(errs, f->name, msgs[f->type], types[f->type], NULL);
}

cJSON *a1111_validate_generate(const cJSON *body, bool img2img)
{
    cJSON *errs = cJSON_CreateArray();
    for (const field *f = common_fields; f->name; f++)
        check_field(body, f, errs);
    for (const field *f = img2img ? img2img_fields : txt2img_fields; f->name; f++)
        check_field(body, f, errs);
    if (cJSON_GetArraySize(errs) == 0) {
        cJSON_Delete(errs);
        return NULL;
    }
    return errs;
}

/* A required-with-default field of the extras model: no null, ranges. */
static void check_extra(const cJSON *body, const char *name, ftype t, double ge, double le,
                        bool gt_zero, cJSON *errs)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    if (!v)
        return;
    if (cJSON_IsNull(v)) {
        add_error(errs, name, "none is not an allowed value", "type_error.none.not_allowed",
                  NULL);
        return;
    }
    if (!coerces(v, t, t == F_INT)) {
        check_field(body, &(field){name, t}, errs);
        return;
    }
    if (t != F_INT && t != F_FLOAT)
        return;
    double d = a1111_number(body, name, 0);
    char msg[96];
    cJSON *ctx = cJSON_CreateObject();
    if (gt_zero && d <= 0) {
        cJSON_AddNumberToObject(ctx, "limit_value", 0);
        add_error(errs, name, "ensure this value is greater than 0", "value_error.number.not_gt",
                  ctx);
    } else if (!isnan(ge) && d < ge) {
        snprintf(msg, sizeof msg, "ensure this value is greater than or equal to %g", ge);
        cJSON_AddNumberToObject(ctx, "limit_value", ge);
        add_error(errs, name, msg, "value_error.number.not_ge", ctx);
    } else if (!isnan(le) && d > le) {
        snprintf(msg, sizeof msg, "ensure this value is less than or equal to %g", le);
        cJSON_AddNumberToObject(ctx, "limit_value", le);
        add_error(errs, name, msg, "value_error.number.not_le", ctx);
    } else {
        cJSON_Delete(ctx);
    }
}

cJSON *a1111_validate_extras(const cJSON *body)
{
    cJSON *errs = cJSON_CreateArray();
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(body, "resize_mode");
    if (mode && !(cJSON_IsNumber(mode) && (mode->valuedouble == 0 || mode->valuedouble == 1))) {
        cJSON *ctx = cJSON_CreateObject();
        cJSON_AddItemToObject(ctx, "given", cJSON_Duplicate(mode, true));
        cJSON *permitted = cJSON_AddArrayToObject(ctx, "permitted");
        cJSON_AddItemToArray(permitted, cJSON_CreateNumber(0));
        cJSON_AddItemToArray(permitted, cJSON_CreateNumber(1));
        add_error(errs, "resize_mode", "unexpected value; permitted: 0, 1", "value_error.const",
                  ctx);
    }
    check_extra(body, "show_extras_results", F_BOOL, NAN, NAN, false, errs);
    check_extra(body, "gfpgan_visibility", F_FLOAT, 0, 1, false, errs);
    check_extra(body, "codeformer_visibility", F_FLOAT, 0, 1, false, errs);
    check_extra(body, "codeformer_weight", F_FLOAT, 0, 1, false, errs);
    check_extra(body, "upscaling_resize", F_FLOAT, NAN, NAN, true, errs);
    check_extra(body, "upscaling_resize_w", F_INT, 1, NAN, false, errs);
    check_extra(body, "upscaling_resize_h", F_INT, 1, NAN, false, errs);
    check_extra(body, "upscaling_crop", F_BOOL, NAN, NAN, false, errs);
    check_extra(body, "upscaler_1", F_STR, NAN, NAN, false, errs);
    check_extra(body, "upscaler_2", F_STR, NAN, NAN, false, errs);
    check_extra(body, "extras_upscaler_2_visibility", F_FLOAT, 0, 1, false, errs);
    check_extra(body, "upscale_first", F_BOOL, NAN, NAN, false, errs);
    check_extra(body, "image", F_STR, NAN, NAN, false, errs);
    if (cJSON_GetArraySize(errs) == 0) {
        cJSON_Delete(errs);
        return NULL;
    }
    return errs;
}

cJSON *a1111_parse_body(const emu_request *req, cJSON **errs)
{
    *errs = NULL;
    if (req->body_size == 0) {
        *errs = cJSON_CreateArray();
        add_error(*errs, NULL, "field required", "value_error.missing", NULL);
        return NULL;
    }
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithOpts((const char *)req->body, &end, true);
    if (!doc) {
        /* FastAPI 0.94: json.JSONDecodeError as ["body", pos] */
        long pos = end ? (long)(end - (const char *)req->body) : 0;
        char msg[96];
        snprintf(msg, sizeof msg, "Expecting value: line 1 column %ld (char %ld)", pos + 1,
                 pos);
        *errs = cJSON_CreateArray();
        cJSON *e = cJSON_CreateObject();
        cJSON *loc = cJSON_AddArrayToObject(e, "loc");
        cJSON_AddItemToArray(loc, cJSON_CreateString("body"));
        cJSON_AddItemToArray(loc, cJSON_CreateNumber((double)pos));
        cJSON_AddStringToObject(e, "msg", msg);
        cJSON_AddStringToObject(e, "type", "value_error.jsondecode");
        cJSON *ctx = cJSON_AddObjectToObject(e, "ctx");
        cJSON_AddStringToObject(ctx, "msg", "Expecting value");
        cJSON_AddNumberToObject(ctx, "pos", (double)pos);
        cJSON_AddNumberToObject(ctx, "lineno", 1);
        cJSON_AddNumberToObject(ctx, "colno", (double)pos + 1);
        cJSON_AddItemToArray(*errs, e);
        return NULL;
    }
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        *errs = cJSON_CreateArray();
        add_error(*errs, NULL, "value is not a valid dict", "type_error.dict", NULL);
        return NULL;
    }
    return doc;
}

double a1111_number(const cJSON *body, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    double d;
    if (cJSON_IsNumber(v))
        return v->valuedouble;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? 1 : 0;
    if (cJSON_IsString(v) && numeric_string(v->valuestring, &d))
        return d;
    return dflt;
}

const char *a1111_string(const cJSON *body, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, key));
}

bool a1111_bool(const cJSON *body, const char *key, bool dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    if (cJSON_IsString(v)) {
        static const char *const yes[] = {"1", "on", "t", "true", "y", "yes", NULL};
        for (int i = 0; yes[i]; i++)
            if (!strcasecmp(v->valuestring, yes[i]))
                return true;
        return false;
    }
    return dflt;
}
