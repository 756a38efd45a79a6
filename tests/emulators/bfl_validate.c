/*
 * bfl_validate.c - request validation of the BFL emulator the way FastAPI
 * and pydantic v2 do it: the body must be a JSON object, every field is
 * coerced with pydantic's lax JSON rules and checked against its schema
 * (bfl_fields.c), and every bad field is reported at once as
 * {"type","loc":["body",field],"msg","input","ctx"}. The body itself is
 * read in bfl_body.c, image fields are decoded in bfl_images.c; the output
 * size is resolved here per family.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emulators/bfl_internal.h"

#define MAX_FIELDS 24

/* A field's coerced value. */
typedef struct field_value {
    bool set;        /* present and not null */
    double num;      /* int, number, bool */
    const char *str; /* strings (borrowed from the body) */
    bfl_image img;
    double ratio;
} field_value;


/* A ctx object with one number. */
static cJSON *ctx_number(const char *key, double v)
{
    cJSON *ctx = cJSON_CreateObject();
    cJSON_AddNumberToObject(ctx, key, v);
    return ctx;
}

/* Copies s without surrounding whitespace into buf (pydantic strips numeric strings). */
static const char *trimmed(const char *s, char *buf, size_t size)
{
    while (isspace((unsigned char)*s))
        s++;
    snprintf(buf, size, "%s", s);
    size_t n = strlen(buf);
    while (n && isspace((unsigned char)buf[n - 1]))
        buf[--n] = 0;
    return buf;
}

/* int: bools, integral numbers and integer strings, as pydantic's lax mode. */
static bool coerce_int(cJSON *errs, const char *name, const cJSON *v, double *out)
{
    char buf[64], *end;
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return true;
    }
    if (cJSON_IsNumber(v)) {
        if (!isfinite(v->valuedouble) || v->valuedouble != floor(v->valuedouble)) {
            bfl_error_add(errs, name, "int_from_float", "Input should be a valid integer, got a "
                          "number with a fractional part", v, NULL);
            return false;
        }
        *out = v->valuedouble;
        return true;
    }
    if (cJSON_IsString(v)) {
        const char *t = trimmed(v->valuestring, buf, sizeof buf);
        long long n = strtoll(t, &end, 10);
        if (*t && !*end && strlen(v->valuestring) < sizeof buf - 1) {
            *out = (double)n;
            return true;
        }
        bfl_error_add(errs, name, "int_parsing", "Input should be a valid integer, unable to "
                      "parse string as an integer", v, NULL);
        return false;
    }
    bfl_error_add(errs, name, "int_type", "Input should be a valid integer", v, NULL);
    return false;
}

/* float: bools, numbers and numeric strings. */
static bool coerce_number(cJSON *errs, const char *name, const cJSON *v, double *out)
{
    char buf[64], *end;
    if (cJSON_IsBool(v) || cJSON_IsNumber(v)) {
        *out = cJSON_IsBool(v) ? cJSON_IsTrue(v) : v->valuedouble;
        return true;
    }
    if (cJSON_IsString(v)) {
        const char *t = trimmed(v->valuestring, buf, sizeof buf);
        double d = strtod(t, &end);
        if (*t && !*end && strlen(v->valuestring) < sizeof buf - 1) {
            *out = d;
            return true;
        }
        bfl_error_add(errs, name, "float_parsing", "Input should be a valid number, unable to "
                      "parse string as a number", v, NULL);
        return false;
    }
    bfl_error_add(errs, name, "float_type", "Input should be a valid number", v, NULL);
    return false;
}

/* bool: true/false, 0/1 and pydantic's yes/no words. */
static bool coerce_bool(cJSON *errs, const char *name, const cJSON *v, double *out)
{
    static const char *const yes[] = {"1", "on", "t", "true", "y", "yes", NULL};
    static const char *const no[] = {"0", "off", "f", "false", "n", "no", NULL};
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return true;
    }
    if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1)) {
        *out = v->valuedouble;
        return true;
    }
    if (cJSON_IsString(v)) {
        for (size_t i = 0; yes[i]; i++) {
            if (!strcasecmp(v->valuestring, yes[i]) || !strcasecmp(v->valuestring, no[i])) {
                *out = !strcasecmp(v->valuestring, yes[i]);
                return true;
            }
        }
    }
    if (cJSON_IsNumber(v) || cJSON_IsString(v))
        bfl_error_add(errs, name, "bool_parsing", "Input should be a valid boolean, unable to "
                      "interpret input", v, NULL);
    else
        bfl_error_add(errs, name, "bool_type", "Input should be a valid boolean", v, NULL);
    return false;
}

/* multiple_of, then le, then ge: pydantic-core's order (one error per field). */
static bool check_bounds(cJSON *errs, const bfl_field *f, const cJSON *v, double x)
{
    char msg[96];
    if (f->multiple_of && fmod(x, f->multiple_of) != 0) {
        snprintf(msg, sizeof msg, "Input should be a multiple of %d", f->multiple_of);
        bfl_error_add(errs, f->name, "multiple_of", msg, v, ctx_number("multiple_of",
                                                                        f->multiple_of));
        return false;
    }
    if (f->has_max && !(x <= f->max)) {
        snprintf(msg, sizeof msg, "Input should be less than or equal to %g", f->max);
        bfl_error_add(errs, f->name, "less_than_equal", msg, v, ctx_number("le", f->max));
        return false;
    }
    if (f->has_min && !(x >= f->min)) {
        snprintf(msg, sizeof msg, "Input should be greater than or equal to %g", f->min);
        bfl_error_add(errs, f->name, "greater_than_equal", msg, v, ctx_number("ge", f->min));
        return false;
    }
    return true;
}

/* pydantic's HttpUrl checks of a webhook URL (max 2083 characters). */
static bool check_webhook(cJSON *errs, const char *name, const cJSON *v)
{
    const char *s = v->valuestring;
    const char *sep = strstr(s, "://");
    if (!*s) {
        bfl_error_add(errs, name, "url_parsing", "Input should be a valid URL, input is empty",
                      v, NULL);
    } else if (strlen(s) > 2083) {
        bfl_error_add(errs, name, "url_too_long", "URL should have at most 2083 characters", v,
                      ctx_number("max_length", 2083));
    } else if (!sep) {
        bfl_error_add(errs, name, "url_parsing", "Input should be a valid URL, relative URL "
                      "without a base", v, NULL);
    } else if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8)) {
        cJSON *ctx = cJSON_CreateObject();
        cJSON_AddStringToObject(ctx, "expected_schemes", "'http' or 'https'");
        bfl_error_add(errs, name, "url_scheme", "URL scheme should be 'http' or 'https'", v, ctx);
    } else if (!sep[3] || sep[3] == '/') {
        bfl_error_add(errs, name, "url_parsing", "Input should be a valid URL, empty host", v,
                      NULL);
    } else {
        return true;
    }
    return false;
}

/* Type-checks and range-checks one present, non-null field value. */
static bool check_value(cJSON *errs, const bfl_field *f, const cJSON *v, field_value *out)
{
    switch (f->type) {
    case BFL_T_INT:
        return coerce_int(errs, f->name, v, &out->num) && check_bounds(errs, f, v, out->num);
    case BFL_T_NUMBER:
        return coerce_number(errs, f->name, v, &out->num) && check_bounds(errs, f, v, out->num);
    case BFL_T_BOOL:
        return coerce_bool(errs, f->name, v, &out->num);
    case BFL_T_FORMAT:
        if (cJSON_IsString(v) && (!strcmp(v->valuestring, "jpeg") ||
                                  !strcmp(v->valuestring, "png") ||
                                  !strcmp(v->valuestring, "webp"))) {
            out->str = v->valuestring;
            return true;
        } else {
            cJSON *ctx = cJSON_CreateObject();
            cJSON_AddStringToObject(ctx, "expected", "'jpeg', 'png' or 'webp'");
            bfl_error_add(errs, f->name, "enum", "Input should be 'jpeg', 'png' or 'webp'", v,
                          ctx);
            return false;
        }
    default:
        break;
    }
    if (!cJSON_IsString(v)) { /* every remaining type is a string first */
        bfl_error_add(errs, f->name, "string_type", "Input should be a valid string", v, NULL);
        return false;
    }
    out->str = v->valuestring;
    switch (f->type) {
    case BFL_T_IMAGE:
    case BFL_T_IMAGE_OR_URL:
        return bfl_image_check(errs, f->name, v, f->type == BFL_T_IMAGE_OR_URL, &out->img);
    case BFL_T_RATIO:
        return bfl_ratio_check(errs, f->name, v, &out->ratio);
    case BFL_T_WEBHOOK:
        return check_webhook(errs, f->name, v);
    default:
        return true;
    }
}


/* The value of field `name` among the coerced values (NULL when unset). */
static const field_value *value_of(const bfl_endpoint *ep, const field_value *vals,
                                   const char *name)
{
    for (size_t i = 0; ep->fields[i].name; i++)
        if (!strcmp(ep->fields[i].name, name))
            return vals[i].set ? &vals[i] : NULL;
    return NULL;
}

/* A field's value as a number, or its default. */
static double num_or(const bfl_endpoint *ep, const field_value *vals, const char *name,
                     double dflt)
{
    const field_value *v = value_of(ep, vals, name);
    return v ? v->num : dflt;
}

/* Megapixels of a decoded image field (0 for URLs and absent fields). */
static double mp_of(const field_value *v)
{
    return v && v->img.present && !v->img.is_url
               ? (double)v->img.width * v->img.height / 1e6 : 0;
}

/* Resolves the output size and the cross-field rules; false with errors. */
static bool resolve(const bfl_endpoint *ep, const field_value *vals, cJSON *errs,
                    bfl_params *p)
{
    const field_value *image = value_of(ep, vals, "image");
    const field_value *ratio = value_of(ep, vals, "aspect_ratio");
    switch (ep->family) {
    case BFL_GENERATE:
        p->width = (int)num_or(ep, vals, "width", 1024);
        p->height = (int)num_or(ep, vals, "height", 768);
        p->input_mp = mp_of(value_of(ep, vals, "image_prompt"));
        return true;
    case BFL_ULTRA:
        bfl_ultra_size(ratio ? ratio->ratio : 16.0 / 9.0, &p->width, &p->height);
        p->input_mp = mp_of(value_of(ep, vals, "image_prompt"));
        return true;
    case BFL_KONTEXT: {
        static const char *const inputs[] = {"input_image", "input_image_2", "input_image_3",
                                             "input_image_4"};
        for (size_t i = 0; i < 4; i++)
            p->input_mp += mp_of(value_of(ep, vals, inputs[i]));
        const field_value *first = value_of(ep, vals, "input_image");
        double r = ratio ? ratio->ratio
                   : first && !first->img.is_url ? (double)first->img.width / first->img.height
                                                 : 1.0;
        bfl_kontext_size(r, &p->width, &p->height);
        return true;
    }
    case BFL_FILL: {
        const field_value *mask = value_of(ep, vals, "mask");
        char msg[200];
        if (mask && (mask->img.width != image->img.width ||
                     mask->img.height != image->img.height)) {
            snprintf(msg, sizeof msg, "Value error, Mask dimensions (%dx%d) must match the "
                     "image dimensions (%dx%d)", mask->img.width, mask->img.height,
                     image->img.width, image->img.height);
            bfl_error_add(errs, "mask", "value_error", msg, NULL, NULL);
            return false;
        }
        if (!mask && !image->img.alpha) {
            bfl_error_add(errs, "mask", "value_error", "Value error, Provide a mask or an image "
                          "with an alpha channel marking the area to fill", NULL, NULL);
            return false;
        }
        p->width = image->img.width;
        p->height = image->img.height;
        p->input_mp = mp_of(image) + mp_of(mask);
        return true;
    }
    case BFL_EXPAND:
        p->width = image->img.width + (int)num_or(ep, vals, "left", 0) +
                   (int)num_or(ep, vals, "right", 0);
        p->height = image->img.height + (int)num_or(ep, vals, "top", 0) +
                    (int)num_or(ep, vals, "bottom", 0);
        p->input_mp = mp_of(image);
        return true;
    }
    return true;
}

/* A default string value from the field table ("\"jpeg\"" -> jpeg). */
static void default_string(const bfl_endpoint *ep, const char *name, char *buf, size_t size)
{
    const bfl_field *f = bfl_field_find(ep, name);
    const char *d = f && f->dflt ? f->dflt : "\"\"";
    snprintf(buf, size, "%.*s", (int)strlen(d) - 2, d + 1);
}

/* Validates a submission: fields in spec order, then the cross-field rules. */
cJSON *bfl_validate(const bfl_endpoint *ep, const emu_request *req, bfl_params *p)
{
    memset(p, 0, sizeof *p);
    p->ep = ep;
    cJSON *errs = cJSON_CreateArray();
    cJSON *body = bfl_parse_body(req, errs);
    if (!body)
        return errs;
    field_value vals[MAX_FIELDS];
    memset(vals, 0, sizeof vals);
    for (size_t i = 0; ep->fields[i].name && i < MAX_FIELDS; i++) {
        const bfl_field *f = &ep->fields[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, f->name);
        if (!v) {
            if (f->required)
                bfl_error_add(errs, f->name, "missing", "Field required", body, NULL);
        } else if (cJSON_IsNull(v)) {
            if (!f->nullable) /* a non-nullable field's own type error, input null */
                check_value(errs, f, v, &vals[i]);
        } else {
            vals[i].set = check_value(errs, f, v, &vals[i]);
        }
    }
    if (cJSON_GetArraySize(errs) == 0 && resolve(ep, vals, errs, p)) {
        const field_value *prompt = value_of(ep, vals, "prompt");
        const field_value *fmt = value_of(ep, vals, "output_format");
        const field_value *seed = value_of(ep, vals, "seed");
        const field_value *hook = value_of(ep, vals, "webhook_url");
        p->prompt = strdup(prompt ? prompt->str : "");
        if (fmt)
            snprintf(p->format, sizeof p->format, "%s", fmt->str);
        else
            default_string(ep, "output_format", p->format, sizeof p->format);
        p->has_seed = seed != NULL;
        p->seed = seed ? seed->num : 0;
        p->webhook_url = hook ? strdup(hook->str) : NULL;
        if (!p->prompt || (hook && !p->webhook_url))
            abort();
    }
    cJSON_Delete(body);
    if (cJSON_GetArraySize(errs) == 0) {
        cJSON_Delete(errs);
        return NULL;
    }
    bfl_params_free(p);
    return errs;
}

/* Frees what params own. */
void bfl_params_free(bfl_params *p)
{
    free(p->prompt);
    free(p->webhook_url);
    p->prompt = p->webhook_url = NULL;
}
