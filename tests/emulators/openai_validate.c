/*
 * openai_validate.c - request validation of the OpenAI Images emulator, as
 * the real API does it: unknown fields, types, then values per model. A
 * multipart form is turned into a typed JSON object first so both endpoints
 * share the field rules; file parts are checked in openai_validate_files.c.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/openai_internal.h"
#include "emulators/openai_validate_internal.h"

const char *const oai_generation_fields[] = {
    "prompt", "model", "n", "quality", "response_format", "output_format",
    "output_compression", "stream", "partial_images", "size", "moderation",
    "background", "style", "user", NULL};
const char *const oai_edit_fields[] = {
    "image", "image[]", "prompt", "mask", "background", "model", "n", "size",
    "response_format", "output_format", "output_compression", "user",
    "input_fidelity", "stream", "partial_images", "quality", NULL};
const char *const oai_variation_fields[] = {
    "image", "model", "n", "response_format", "size", "user", NULL};

/* Fields whose JSON type is integer / boolean; the rest are strings. */
static const char *const int_fields[] = {"n", "output_compression", "partial_images", NULL};
static const char *const nullable_fields[] = {
    "model", "n", "quality", "response_format", "output_format", "output_compression",
    "stream", "partial_images", "size", "moderation", "background", "style",
    "input_fidelity", NULL};
/* Parameters only the GPT image models take. */
static const char *const gpt_only[] = {"output_format", "output_compression", "background",
                                       "moderation", "stream", "partial_images",
                                       "input_fidelity", NULL};

static const char *const gpt_models[] = {"gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5",
                                         "gpt-image-2", "gpt-image-2-2026-04-21", NULL};

bool oai_in(const char *const *list, const char *s)
{
    for (size_t i = 0; s && list[i]; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

void oai_error_set(oai_error *e, const char *param, const char *code, const char *fmt, ...)
{
    e->status = 400;
    snprintf(e->type, sizeof e->type, "invalid_request_error");
    snprintf(e->param, sizeof e->param, "%s", param ? param : "");
    snprintf(e->code, sizeof e->code, "%s", code ? code : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* "a string", "an integer"... for type errors, like OpenAI's messages. */
static const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return v->valuedouble == (double)(long long)v->valuedouble ? "an integer" : "a decimal";
}

/* Type checks every present field of the (known-field) object. */
static int check_types(const cJSON *obj, oai_error *e)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, obj)
    {
        const char *k = v->string;
        if (cJSON_IsNull(v)) {
            if (oai_in(nullable_fields, k))
                continue;
            oai_error_set(e, k, "invalid_type",
                          "Invalid type for '%s': expected a string, but got null instead.", k);
            return -1;
        }
        const char *want = oai_in(int_fields, k) ? "an integer"
                           : !strcmp(k, "stream") ? "a boolean" : "a string";
        const char *got = json_type_name(v);
        if (strcmp(want, got)) {
            oai_error_set(e, k, "invalid_type",
                          "Invalid type for '%s': expected %s, but got %s instead.", k, want,
                          got);
            return -1;
        }
    }
    return 0;
}

/* A field's string value, or NULL when absent or null. */
const char *oai_str(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* A field's integer value, or dflt when absent or null. */
static int int_or(const cJSON *obj, const char *key, int dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? (v->valuedouble > 1e9 ? 1000000000 : v->valuedouble < -1e9 ? -1000000000 : (int)v->valuedouble) : dflt;
}

/* Whether a field is present with a non-null value. */
static bool given(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return v && !cJSON_IsNull(v);
}

/* UTF-8 code points of s (OpenAI limits prompts in characters). */
static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

const char *oai_model_of(const cJSON *obj, oai_endpoint ep)
{
    const char *m = oai_str(obj, "model");
    if (m)
        return m;
    bool gpt_param = false;
    for (size_t i = 0; gpt_only[i]; i++)
        gpt_param |= given(obj, gpt_only[i]);
    const char *q = oai_str(obj, "quality");
    gpt_param |= q && (!strcmp(q, "low") || !strcmp(q, "medium") || !strcmp(q, "high"));
    return ep == OAI_VARIATIONS ? "dall-e-2"
           : ep == OAI_EDITS    ? "gpt-image-1.5"
           : gpt_param          ? "gpt-image-1.5"
                                : "dall-e-2";
}

bool oai_is_gpt_model(const char *m)
{
    return oai_in(gpt_models, m) || !strcmp(m, "chatgpt-image-latest");
}

/* Resolves and checks the model for an endpoint. */
static int check_model(const cJSON *obj, oai_endpoint ep, oai_params *p, oai_error *e)
{
    const char *m = oai_model_of(obj, ep);
    bool gpt = oai_in(gpt_models, m) || (ep == OAI_EDITS && !strcmp(m, "chatgpt-image-latest"));
    bool ok = ep == OAI_VARIATIONS ? !strcmp(m, "dall-e-2")
              : ep == OAI_EDITS    ? gpt || !strcmp(m, "dall-e-2")
                                   : gpt || !strcmp(m, "dall-e-2") || !strcmp(m, "dall-e-3");
    if (!ok) {
        oai_error_set(e, "model", "invalid_value",
                      "Invalid value: '%s'. Value must be one of the models this endpoint "
                      "supports.", m);
        return -1;
    }
    snprintf(p->model, sizeof p->model, "%s", m);
    p->gpt = gpt;
    return 0;
}

/* Parses "WxH" strictly. */
static bool parse_size(const char *s, int *w, int *h)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return false;
    long a = strtol(s, &end, 10);
    if (*end != 'x' || !isdigit((unsigned char)end[1]))
        return false;
    long b = strtol(end + 1, &end, 10);
    if (*end || a <= 0 || b <= 0 || a > 100000 || b > 100000)
        return false;
    *w = (int)a;
    *h = (int)b;
    return true;
}

/* Checks size against the model's sizes; sets p->width/height (0 = auto). */
static int check_size(const cJSON *obj, oai_endpoint ep, oai_params *p, oai_error *e)
{
    const char *sz = oai_str(obj, "size");
    bool de2 = !strcmp(p->model, "dall-e-2"), de3 = !strcmp(p->model, "dall-e-3");
    bool free_size = !strncmp(p->model, "gpt-image-2", 11);
    const char *allowed = de2   ? "'256x256', '512x512', '1024x1024'"
                          : de3 ? "'1024x1024', '1792x1024', '1024x1792'"
                                : "'1024x1024', '1536x1024', '1024x1536', 'auto'";
    if (!sz || !strcmp(sz, "auto")) {
        if (sz && !p->gpt)
            goto bad;
        p->size_auto = p->gpt;
        p->width = p->height = p->gpt ? 0 : 1024;
        return 0;
    }
    int w, h;
    if (!parse_size(sz, &w, &h))
        goto bad;
    if (free_size) {
        long long area = (long long)w * h;
        int lo = w < h ? w : h, hi = w < h ? h : w;
        if (w % 16 || h % 16 || hi > 3 * lo || hi > 3840 || area > 3840LL * 2160) {
            oai_error_set(e, "size", "invalid_value",
                          "Invalid size '%s'. Width and height must be multiples of 16, the "
                          "aspect ratio between 1:3 and 3:1, and at most 3840x2160 pixels.",
                          sz);
            return -1;
        }
    } else {
        static const char *const de2_sizes[] = {"256x256", "512x512", "1024x1024", NULL};
        static const char *const de3_sizes[] = {"1024x1024", "1792x1024", "1024x1792", NULL};
        static const char *const gpt_sizes[] = {"1024x1024", "1536x1024", "1024x1536", NULL};
        const char *const *list = de2 ? de2_sizes : de3 ? de3_sizes : gpt_sizes;
        if (!oai_in(list, sz))
            goto bad;
    }
    (void)ep;
    p->width = w;
    p->height = h;
    return 0;
bad:
    oai_error_set(e, "size", "invalid_value",
                  "Invalid value: '%s'. Supported values are: %s.", sz, allowed);
    return -1;
}

/* Checks one enumerated string field; NULL value = absent. */
static int check_enum(const cJSON *obj, const char *key, const char *const *values,
                      oai_error *e)
{
    const char *v = oai_str(obj, key);
    if (!v || oai_in(values, v))
        return 0;
    char list[160] = "";
    for (size_t i = 0; values[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", i ? ", " : "",
                 values[i]);
    oai_error_set(e, key, "invalid_value", "Invalid value: '%s'. Supported values are: %s.", v,
                  list);
    return -1;
}

/* Rejects a parameter the model does not take. */
static int unsupported(const char *key, const char *model, oai_error *e)
{
    oai_error_set(e, key, "unknown_parameter",
                  "Unknown parameter: '%s'. It is not supported with the model '%s'.", key,
                  model);
    return -1;
}

int oai_validate_fields(const cJSON *obj, oai_endpoint ep, oai_params *p, oai_error *e)
{
    static const char *const q_gpt[] = {"low", "medium", "high", "auto", NULL};
    static const char *const q_de2[] = {"standard", "auto", NULL};
    static const char *const q_de3[] = {"standard", "hd", "auto", NULL};
    static const char *const fmts[] = {"url", "b64_json", NULL};
    static const char *const outs[] = {"png", "jpeg", "webp", NULL};
    static const char *const bgs[] = {"transparent", "opaque", "auto", NULL};
    static const char *const mods[] = {"low", "auto", NULL};
    static const char *const styles[] = {"vivid", "natural", NULL};
    static const char *const fids[] = {"high", "low", NULL};
    memset(p, 0, sizeof *p);
    p->ep = ep;
    if (check_types(obj, e) || check_model(obj, ep, p, e))
        return -1;
    const char *prompt = oai_str(obj, "prompt");
    if (ep != OAI_VARIATIONS) {
        if (!prompt) {
            oai_error_set(e, "prompt", "missing_required_parameter",
                          "Missing required parameter: 'prompt'.");
            return -1;
        }
        size_t max = p->gpt ? 32000 : !strcmp(p->model, "dall-e-3") ? 4000 : 1000;
        size_t len = utf8_len(prompt);
        if (len == 0) {
            oai_error_set(e, "prompt", "empty_string",
                          "Invalid 'prompt': empty string. Expected a string with minimum "
                          "length 1, but got an empty string instead.");
            return -1;
        }
        if (len > max) {
            oai_error_set(e, "prompt", "string_above_max_length",
                          "Invalid 'prompt': string too long. Expected a string with maximum "
                          "length %zu, but got a string with length %zu instead.", max, len);
            return -1;
        }
    }
    p->n = int_or(obj, "n", 1);
    if (p->n < 1 || p->n > 10) {
        oai_error_set(e, "n", p->n < 1 ? "integer_below_min_value" : "integer_above_max_value",
                      "Invalid 'n': integer %s value. Expected a value %s, but got %d "
                      "instead.", p->n < 1 ? "below minimum" : "above maximum",
                      p->n < 1 ? ">= 1" : "<= 10", p->n);
        return -1;
    }
    if (!strcmp(p->model, "dall-e-3") && p->n != 1) {
        oai_error_set(e, "n", "invalid_value", "You must provide n=1 for this model.");
        return -1;
    }
    if (check_size(obj, ep, p, e))
        return -1;
    bool de3 = !strcmp(p->model, "dall-e-3");
    const char *const *quals = p->gpt ? q_gpt : de3 ? q_de3 : q_de2;
    if (check_enum(obj, "quality", quals, e))
        return -1;
    if (given(obj, "response_format") && p->gpt)
        return unsupported("response_format", p->model, e);
    if (check_enum(obj, "response_format", fmts, e))
        return -1;
    if (given(obj, "style") && !de3)
        return unsupported("style", p->model, e);
    if (check_enum(obj, "style", styles, e))
        return -1;
    for (size_t i = 0; gpt_only[i]; i++)
        if (given(obj, gpt_only[i]) && !p->gpt)
            return unsupported(gpt_only[i], p->model, e);
    if (check_enum(obj, "output_format", outs, e) || check_enum(obj, "background", bgs, e) ||
        check_enum(obj, "moderation", mods, e) || check_enum(obj, "input_fidelity", fids, e))
        return -1;
    if (given(obj, "input_fidelity") && !strcmp(p->model, "gpt-image-1-mini"))
        return unsupported("input_fidelity", p->model, e);
    const char *of = oai_str(obj, "output_format");
    snprintf(p->output_format, sizeof p->output_format, "%s", of ? of : "png");
    p->output_compression = int_or(obj, "output_compression", 100);
    if (p->output_compression < 0 || p->output_compression > 100) {
        oai_error_set(e, "output_compression",
                      p->output_compression < 0 ? "integer_below_min_value"
                                                : "integer_above_max_value",
                      "Invalid 'output_compression': expected a value between 0 and 100, but "
                      "got %d instead.", p->output_compression);
        return -1;
    }
    if (p->output_compression < 100 && !strcmp(p->output_format, "png")) {
        oai_error_set(e, "output_compression", "invalid_value",
                      "Compression less than 100 is not supported for PNG output format.");
        return -1;
    }
    const char *bg = oai_str(obj, "background");
    p->transparent = bg && !strcmp(bg, "transparent");
    if (p->transparent && !strcmp(p->output_format, "jpeg")) {
        oai_error_set(e, "background", "invalid_value",
                      "Transparent background is not supported for jpeg output format; use "
                      "png or webp.");
        return -1;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "stream");
    p->stream = cJSON_IsTrue(st);
    p->partial_images = int_or(obj, "partial_images", 0);
    if (p->partial_images < 0 || p->partial_images > 3) {
        oai_error_set(e, "partial_images", "invalid_value",
                      "Invalid 'partial_images': expected a value between 0 and 3, but got %d "
                      "instead.", p->partial_images);
        return -1;
    }
    const char *q = oai_str(obj, "quality");
    snprintf(p->quality, sizeof p->quality, "%s",
             q && strcmp(q, "auto") ? q : p->gpt ? "medium" : "standard");
    const char *rf = oai_str(obj, "response_format");
    p->url = !p->gpt && (!rf || !strcmp(rf, "url"));
    p->prompt = prompt ? strdup(prompt) : NULL;
    return 0;
}

int oai_validate_generation(const emu_request *req, oai_params *p, oai_error *e)
{
    memset(p, 0, sizeof *p);
    cJSON *obj = cJSON_ParseWithLength((const char *)req->body, req->body_size);
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        oai_error_set(e, NULL, NULL,
                      "We could not parse the JSON body of your request. (HINT: This likely "
                      "means you aren't using your HTTP library correctly. The OpenAI API "
                      "expects a JSON payload, but what was sent was not valid JSON.)");
        return -1;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, obj) if (!oai_in(oai_generation_fields, v->string))
    {
        oai_error_set(e, NULL, NULL, "Unrecognized request argument supplied: %s", v->string);
        cJSON_Delete(obj);
        return -1;
    }
    int rc = oai_validate_fields(obj, OAI_GENERATIONS, p, e);
    cJSON_Delete(obj);
    return rc;
}

void oai_params_free(oai_params *p)
{
    free(p->prompt);
    p->prompt = NULL;
}
