/*
 * replicate_inputs.c - the Replicate emulator's models (each version's
 * input schema as data: types, ranges, enums, required inputs) and input
 * validation the way the API reports it: 422 problem details whose
 * invalid_fields are {type, field, description}, every bad input at once.
 * Also works out each output's size and format per model.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_images.h"
#include "emulators/replicate_internal.h"

static const char *const ratios[] = {"1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4",
                                     "3:4", "4:3",  "9:16", "9:21", NULL};
static const char *const pro_ratios[] = {"custom", "1:1", "16:9", "3:2", "2:3", "4:5",
                                         "5:4",    "9:16", "3:4", "4:3", NULL};
static const char *const formats[] = {"webp", "jpg", "png", NULL};
static const char *const fill_formats[] = {"jpg", "png", NULL};
static const char *const megapixels[] = {"1", "0.25", NULL};
static const char *const outpaint[] = {"None", "Zoom out 1.5x", "Zoom out 2x", "Make square",
                                       "Left outpaint", "Right outpaint", "Top outpaint",
                                       "Bottom outpaint", NULL};

/* cog-flux's ASPECT_RATIOS: the 1 MP size of each ratio. */
static const struct {
    const char *ratio;
    int w, h;
} ratio_sizes[] = {
    {"1:1", 1024, 1024}, {"16:9", 1344, 768}, {"21:9", 1536, 640}, {"3:2", 1216, 832},
    {"2:3", 832, 1216},  {"4:5", 896, 1088},  {"5:4", 1088, 896},  {"3:4", 896, 1152},
    {"4:3", 1152, 896},  {"9:16", 768, 1344}, {"9:21", 640, 1536},
};

#define PROMPT {"prompt", REP_STR, true, false, false, 0, 0, NULL}
#define RANGE(n, t, lo, hi) {n, t, false, true, true, lo, hi, NULL}
#define CHOICE(n, list) {n, REP_STR, false, false, false, 0, 0, list}
#define PLAIN(n, t) {n, t, false, false, false, 0, 0, NULL}
#define SEED PLAIN("seed", REP_INT)
#define QUALITY RANGE("output_quality", REP_INT, 0, 100)

static const rep_input schnell[] = {
    PROMPT, CHOICE("aspect_ratio", ratios), RANGE("num_outputs", REP_INT, 1, 4),
    RANGE("num_inference_steps", REP_INT, 1, 4), SEED, CHOICE("output_format", formats),
    QUALITY, PLAIN("disable_safety_checker", REP_BOOL), PLAIN("go_fast", REP_BOOL),
    CHOICE("megapixels", megapixels), {0}};
static const rep_input dev[] = {
    PROMPT, CHOICE("aspect_ratio", ratios), PLAIN("image", REP_FILE),
    RANGE("prompt_strength", REP_NUM, 0, 1), RANGE("num_outputs", REP_INT, 1, 4),
    RANGE("num_inference_steps", REP_INT, 1, 50), RANGE("guidance", REP_NUM, 0, 10), SEED,
    CHOICE("output_format", formats), QUALITY, PLAIN("disable_safety_checker", REP_BOOL),
    PLAIN("go_fast", REP_BOOL), CHOICE("megapixels", megapixels), {0}};
static const rep_input pro[] = {
    PROMPT, CHOICE("aspect_ratio", pro_ratios), PLAIN("image_prompt", REP_FILE),
    RANGE("width", REP_INT, 256, 1440), RANGE("height", REP_INT, 256, 1440),
    RANGE("safety_tolerance", REP_INT, 1, 6), SEED, CHOICE("output_format", formats),
    QUALITY, PLAIN("prompt_upsampling", REP_BOOL), {0}};
static const rep_input redux[] = {
    {"redux_image", REP_FILE, true, false, false, 0, 0, NULL}, CHOICE("aspect_ratio", ratios),
    RANGE("num_outputs", REP_INT, 1, 4), RANGE("num_inference_steps", REP_INT, 1, 50),
    RANGE("guidance", REP_NUM, 0, 10), SEED, CHOICE("output_format", formats), QUALITY,
    PLAIN("disable_safety_checker", REP_BOOL), CHOICE("megapixels", megapixels), {0}};
static const rep_input fill[] = {
    PLAIN("prompt", REP_STR), {"image", REP_FILE, true, false, false, 0, 0, NULL},
    PLAIN("mask", REP_FILE), CHOICE("outpaint", outpaint), RANGE("steps", REP_INT, 15, 50),
    RANGE("guidance", REP_NUM, 1.5, 100), SEED, CHOICE("output_format", fill_formats),
    RANGE("safety_tolerance", REP_INT, 1, 6), PLAIN("prompt_upsampling", REP_BOOL), {0}};
static const rep_input esrgan[] = {
    {"image", REP_FILE, true, false, false, 0, 0, NULL}, RANGE("scale", REP_NUM, 0, 10),
    PLAIN("face_enhance", REP_BOOL), {0}};
static const rep_input pulid[] = {
    PLAIN("prompt", REP_STR), {"main_face_image", REP_FILE, true, false, false, 0, 0, NULL},
    PLAIN("negative_prompt", REP_STR), RANGE("width", REP_INT, 256, 1536),
    RANGE("height", REP_INT, 256, 1536), RANGE("num_steps", REP_INT, 1, 20),
    RANGE("start_step", REP_INT, 0, 10), RANGE("guidance_scale", REP_NUM, 1, 10),
    RANGE("id_weight", REP_NUM, 0, 3), SEED, RANGE("true_cfg", REP_NUM, 1, 10),
    RANGE("max_sequence_length", REP_INT, 128, 512), CHOICE("output_format", formats),
    QUALITY, RANGE("num_outputs", REP_INT, 1, 4), {0}};

const rep_model rep_models[] = {
    {"black-forest-labs/flux-schnell", NULL, true, true, REP_RATIO, "webp", schnell},
    {"black-forest-labs/flux-dev", NULL, true, true, REP_RATIO, "webp", dev},
    {"black-forest-labs/flux-1.1-pro", NULL, true, false, REP_PRO, "webp", pro},
    {"black-forest-labs/flux-redux-dev", NULL, true, true, REP_RATIO, "webp", redux},
    {"black-forest-labs/flux-fill-pro", NULL, true, false, REP_INPUT, "jpg", fill},
    {"nightmareai/real-esrgan",
     "42fed1c4974146d4d2414e2be2c5277c7fcf05fcc3a73abf41610695738c1d7b", false, false,
     REP_SCALE, "png", esrgan},
    {"zsxkib/flux-pulid", "8baa7ef2255075b46f4d91cd238c21d31181b3e6a864463f967960bb0112525b",
     false, true, REP_FREE, "webp", pulid},
    {0},
};

const rep_model *rep_model_named(const char *owner, const char *name)
{
    char full[256];
    snprintf(full, sizeof full, "%s/%s", owner, name);
    for (const rep_model *m = rep_models; m->name; m++)
        if (!strcmp(m->name, full))
            return m;
    return NULL;
}

const rep_model *rep_model_for_version(const char *version)
{
    const char *colon = strchr(version, ':');
    for (const rep_model *m = rep_models; m->name; m++) {
        size_t n = strlen(m->name);
        if (colon) { /* owner/name:<version> */
            if ((size_t)(colon - version) == n && !strncmp(version, m->name, n) && m->version &&
                !strcmp(colon + 1, m->version))
                return m;
        } else if (m->version ? !strcmp(version, m->version)
                              : !strcmp(version, m->name)) { /* official by name */
            return m;
        }
    }
    return NULL;
}

/* Appends one invalid field. */
static void invalid(cJSON *errs, const char *type, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void invalid(cJSON *errs, const char *type, const char *field, const char *fmt, ...)
{
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", type);
    cJSON_AddStringToObject(e, "field", field);
    cJSON_AddStringToObject(e, "description", text);
    cJSON_AddItemToArray(errs, e);
}

static bool integral(const cJSON *v)
{
    return v->valuedouble == floor(v->valuedouble);
}

static const char *json_type(const cJSON *v)
{
    return cJSON_IsString(v) ? "string" : cJSON_IsBool(v) ? "boolean"
           : cJSON_IsNumber(v) ? (integral(v) ? "integer" : "number")
           : cJSON_IsArray(v) ? "array" : cJSON_IsObject(v) ? "object" : "null";
}

/* A decoded file input: its size, or unknown for a URL we do not fetch. */
typedef struct file_info {
    bool present, decoded, is_url;
    int width, height;
} file_info;

/* A file input must be a URI: an http(s) URL or a base64 data URL. */
static bool check_file(cJSON *errs, const char *field, const char *s, file_info *out)
{
    memset(out, 0, sizeof *out);
    if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8)) {
        out->present = out->is_url = true; /* never fetched: sized as 1024x1024 */
        return true;
    }
    const char *comma = !strncmp(s, "data:", 5) ? strstr(s, ";base64,") : NULL;
    if (!comma) {
        invalid(errs, "format", field, "Does not match format 'uri'");
        return false;
    }
    size_t size = 0;
    unsigned char *bytes = emu_base64_decode(comma + 8, &size);
    emu_probe probe;
    bool ok = bytes && emu_image_probe(bytes, size, &probe) && probe.format[0];
    free(bytes);
    out->present = true;
    if (ok) { /* an undecodable file fails the prediction, not the request */
        out->decoded = true;
        out->width = probe.width;
        out->height = probe.height;
    }
    return true;
}

/* Checks one input value against its schema entry. */
static bool check_value(cJSON *errs, const rep_input *in, const cJSON *v, file_info *file)
{
    char field[96];
    snprintf(field, sizeof field, "input.%s", in->name);
    const char *want = in->type == REP_STR || in->type == REP_FILE ? "string"
                       : in->type == REP_INT                       ? "integer"
                       : in->type == REP_NUM                       ? "number"
                                                                   : "boolean";
    bool type_ok = in->type == REP_STR || in->type == REP_FILE ? cJSON_IsString(v)
                   : in->type == REP_BOOL ? cJSON_IsBool(v)
                   : in->type == REP_INT  ? cJSON_IsNumber(v) && integral(v)
                                          : cJSON_IsNumber(v);
    if (!type_ok) {
        invalid(errs, "invalid_type", field, "Invalid type. Expected: %s, given: %s", want,
                json_type(v));
        return false;
    }
    if (in->has_min && v->valuedouble < in->min) {
        invalid(errs, "number_gte", field, "Must be greater than or equal to %g", in->min);
        return false;
    }
    if (in->has_max && v->valuedouble > in->max) {
        invalid(errs, "number_lte", field, "Must be less than or equal to %g", in->max);
        return false;
    }
    if (in->choices) {
        for (size_t i = 0; in->choices[i]; i++)
            if (!strcmp(in->choices[i], v->valuestring))
                return true;
        char list[400] = "";
        for (size_t i = 0; in->choices[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"", i ? ", " : "",
                     in->choices[i]);
        invalid(errs, "enum", field, "%s must be one of the following: %s", field, list);
        return false;
    }
    if (in->type == REP_FILE)
        return check_file(errs, field, v->valuestring, file);
    return true;
}

static const rep_input *find_input(const rep_model *m, const char *name)
{
    for (const rep_input *in = m->inputs; in->name; in++)
        if (!strcmp(in->name, name))
            return in;
    return NULL;
}

static double num_or(const cJSON *input, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(input, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static const char *str_or(const cJSON *input, const char *key, const char *dflt)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(input, key));
    return s ? s : dflt;
}

static void ratio_size(const char *ratio, int *w, int *h)
{
    for (size_t i = 0; i < sizeof ratio_sizes / sizeof *ratio_sizes; i++)
        if (!strcmp(ratio_sizes[i].ratio, ratio)) {
            *w = ratio_sizes[i].w;
            *h = ratio_sizes[i].h;
            return;
        }
    *w = *h = 1024;
}

/* The output size per model (inputs already checked). */
static void size_job(const rep_model *m, const cJSON *input, const file_info *image,
                     cJSON *errs, rep_job *job)
{
    switch (m->sizing) {
    case REP_RATIO:
        if (image->decoded) { /* img2img keeps the input's shape, in steps of 16 */
            job->width = image->width < 16 ? 16 : image->width / 16 * 16;
            job->height = image->height < 16 ? 16 : image->height / 16 * 16;
        } else {
            ratio_size(str_or(input, "aspect_ratio", "1:1"), &job->width, &job->height);
        }
        if (!strcmp(str_or(input, "megapixels", "1"), "0.25")) {
            job->width = job->width / 32 * 16;
            job->height = job->height / 32 * 16;
        }
        break;
    case REP_PRO:
        if (!strcmp(str_or(input, "aspect_ratio", "1:1"), "custom")) {
            job->width = (int)num_or(input, "width", 0);
            job->height = (int)num_or(input, "height", 0);
            if (!job->width || !job->height)
                invalid(errs, "required", "input", "width and height are required when "
                        "aspect_ratio is custom");
            else if (job->width % 32 || job->height % 32)
                invalid(errs, "multiple_of", "input.width", "width and height must be "
                        "multiples of 32");
        } else {
            ratio_size(str_or(input, "aspect_ratio", "1:1"), &job->width, &job->height);
        }
        break;
    case REP_INPUT:
    case REP_SCALE: {
        double scale = m->sizing == REP_SCALE ? num_or(input, "scale", 4) : 1;
        job->width = (int)lround((image->decoded ? image->width : 1024) * scale);
        job->height = (int)lround((image->decoded ? image->height : 1024) * scale);
        if (job->width < 1 || job->height < 1 || job->width > 16384 || job->height > 16384)
            invalid(errs, "number_gte", "input.scale", "the output would be %dx%d",
                    job->width, job->height);
        break;
    }
    case REP_FREE:
        job->width = (int)num_or(input, "width", 896);
        job->height = (int)num_or(input, "height", 1152);
        break;
    }
}

cJSON *rep_validate(const rep_model *m, const cJSON *input, rep_job *job)
{
    cJSON *errs = cJSON_CreateArray();
    memset(job, 0, sizeof *job);
    file_info image = {0}, mask = {0}, file;
    const cJSON *v;
    cJSON_ArrayForEach(v, input)
    {
        const rep_input *in = find_input(m, v->string);
        if (!in) {
            invalid(errs, "additional_property_not_allowed", "input",
                    "Additional property %s is not allowed", v->string);
            continue;
        }
        if (check_value(errs, in, v, &file) && in->type == REP_FILE) {
            if (!strcmp(in->name, "mask"))
                mask = file;
            else
                image = file;
        }
    }
    for (const rep_input *in = m->inputs; in->name; in++)
        if (in->required && !cJSON_GetObjectItemCaseSensitive(input, in->name))
            invalid(errs, "required", "input", "%s is required", in->name);
    if (cJSON_GetArraySize(errs) == 0)
        size_job(m, input, &image, errs, job);
    if (cJSON_GetArraySize(errs) > 0)
        return errs;
    cJSON_Delete(errs);
    if (image.present && !image.decoded && !image.is_url)
        snprintf(job->fail, sizeof job->fail, "cannot identify image file");
    else if (mask.decoded && (mask.width != image.width || mask.height != image.height))
        snprintf(job->fail, sizeof job->fail, "The mask (%dx%d) must be the size of the image "
                 "(%dx%d)", mask.width, mask.height, image.width, image.height);
    job->outputs = (int)num_or(input, "num_outputs", 1);
    const char *fmt = str_or(input, "output_format", m->default_format);
    snprintf(job->ext, sizeof job->ext, "%s", fmt);
    snprintf(job->format, sizeof job->format, "%s", !strcmp(fmt, "jpg") ? "jpeg" : fmt);
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(input, "seed");
    job->has_seed = cJSON_IsNumber(seed);
    job->seed = job->has_seed ? (unsigned)(long long)seed->valuedouble : 0;
    return NULL;
}
