/* negotiate.c - see negotiate.h. */
#include "providers/negotiate.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/json_schema_text.h"
#include "core/result.h"
#include "tools/tool_args.h"

#define DEFAULT_AREA (1024.0 * 1024.0) /* when only a ratio is known */

static const char *const mode_names[] = {"none", "img2img", "inpaint", "outpaint"};

/* The operation, edit mode and prompt length the model must support. */
static int check_hard_limits(const ig_model_caps *caps, const ig_request *req,
                             ig_error *err)
{
    if (!(caps->operations & IG_OP_BIT(req->op)))
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "model",
                       "model \"%s\" cannot %s images", caps->model,
                       ig_operation_name(req->op));
    if (req->op == IG_OP_EDIT && !(caps->edit_modes & IG_MODE_BIT(req->mode)))
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "mode",
                       "model \"%s\" cannot do %s edits", caps->model,
                       mode_names[req->mode]);
    if (req->op == IG_OP_UPSCALE && req->method != IG_METHOD_AUTO && !caps->upscale_methods)
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "method",
                       "model \"%s\" has its own upscaler; method \"%s\" is the local "
                       "provider's", caps->model, ig_upscale_method_name(req->method));
    size_t chars = 0;
    if (req->prompt && caps->max_prompt_chars > 0 && ig_utf8_length(req->prompt, &chars) &&
        chars > (size_t)caps->max_prompt_chars) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "prompt",
                "prompt is %zu characters; model \"%s\" accepts at most %d", chars,
                caps->model, caps->max_prompt_chars);
        ig_error_hint(err, "Shorten the prompt, or choose a model that takes longer "
                           "prompts (gpt-image models take 32000).");
        return -1;
    }
    return 0;
}

/* How far apart two shapes are: ratio matters most, then area. */
static double shape_distance(double w1, double h1, double w2, double h2)
{
    return fabs(log((w1 / h1) / (w2 / h2))) * 10 + fabs(log((w1 * h1) / (w2 * h2)));
}

/* Picks the listed "WxH" closest to the wanted shape (area from DEFAULT_AREA
 * when only a ratio is wanted). */
static const char *closest_listed_size(const char *const *sizes, double w, double h)
{
    const char *best = NULL;
    double best_d = INFINITY;
    for (int i = 0; sizes[i]; i++) {
        int sw, sh;
        if (!ig_parse_size(sizes[i], &sw, &sh))
            continue; /* "auto" and the like */
        double d = shape_distance(sw, sh, w, h);
        if (d < best_d) {
            best_d = d;
            best = sizes[i];
        }
    }
    return best;
}

static int round_to_step(double v, int step)
{
    return step > 1 ? (int)lround(v / step) * step : (int)lround(v);
}

/* True when w x h breaks the model's aspect or area limit. */
static bool breaks_shape_limits(const ig_model_caps *caps, int w, int h)
{
    int lo = w < h ? w : h, hi = w < h ? h : w;
    return (caps->max_aspect > 0 && hi > caps->max_aspect * lo) ||
           (caps->max_pixels > 0 && (long)w * h > caps->max_pixels);
}

/* Fits a wanted size into free-size limits: steps, side bounds, aspect and
 * area. Aim at the same shape, snap both sides to the step inside the side
 * bounds, then take steps off the long side until aspect and area hold
 * (rounding each side alone could push the ratio past the limit). */
static void fit_free_size(const ig_model_caps *caps, double w, double h, int *ow, int *oh)
{
    int step = caps->size_step > 0 ? caps->size_step : 1;
    double ratio = w / h;
    if (caps->max_aspect > 0)
        ratio = fmin(fmax(ratio, 1 / caps->max_aspect), caps->max_aspect);
    double area = w * h;
    if (caps->max_pixels > 0)
        area = fmin(area, (double)caps->max_pixels);
    h = sqrt(area / ratio);
    w = h * ratio;
    int min_side = (caps->min_side + step - 1) / step * step;
    int max_side = caps->max_side / step * step;
    int W = round_to_step(w, step), H = round_to_step(h, step);
    W = W < min_side ? min_side : W > max_side ? max_side : W;
    H = H < min_side ? min_side : H > max_side ? max_side : H;
    while (breaks_shape_limits(caps, W, H) && (W > min_side || H > min_side)) {
        if (W >= H)
            W -= step;
        else
            H -= step;
    }
    *ow = W;
    *oh = H;
}

/* Picks the listed "W:H" closest to the wanted ratio. */
static const char *closest_ratio(const char *const *ratios, double ratio)
{
    const char *best = NULL;
    double best_d = INFINITY;
    for (int i = 0; ratios[i]; i++) {
        int rw, rh;
        if (!ig_parse_ratio(ratios[i], &rw, &rh))
            continue;
        double d = fabs(log(((double)rw / rh) / ratio));
        if (d < best_d) {
            best_d = d;
            best = ratios[i];
        }
    }
    return best;
}

static void negotiate_size(const ig_model_caps *caps, const ig_request *req,
                           ig_applied *out, cJSON *warnings)
{
    double w = req->width, h = req->height;
    if (caps->input_sets_size && req->op != IG_OP_GENERATE) {
        if (req->width || req->aspect_w)
            ig_warnings_add(warnings, req->width ? "size" : "aspectRatio",
                            "ignored: model \"%s\" makes its output at the input "
                            "image's size", caps->model);
        return;
    }
    if (!req->width && req->aspect_w) {
        h = sqrt(DEFAULT_AREA * req->aspect_h / req->aspect_w);
        w = h * req->aspect_w / req->aspect_h;
    }
    if (w <= 0)
        return; /* nothing asked: the provider's default size */
    const char *field = req->width ? "size" : "aspectRatio";
    if (caps->sizes) {
        const char *pick = closest_listed_size(caps->sizes, w, h);
        if (pick) {
            snprintf(out->size, sizeof out->size, "%s", pick);
            ig_parse_size(pick, &out->width, &out->height);
        }
    } else if (caps->aspect_ratios) {
        const char *pick = closest_ratio(caps->aspect_ratios, w / h);
        int rw = 0, rh = 1;
        if (!pick || !ig_parse_ratio(pick, &rw, &rh))
            return;
        snprintf(out->aspect_ratio, sizeof out->aspect_ratio, "%s", pick);
        if (req->width)
            ig_warnings_add(warnings, "size",
                            "model \"%s\" takes an aspect ratio, not pixels: "
                            "%dx%d was sent as %s and the provider chooses the pixels",
                            caps->model, req->width, req->height, pick);
        else if ((long)rw * req->aspect_h != (long)rh * req->aspect_w)
            ig_warnings_add(warnings, "aspectRatio",
                            "model \"%s\" does not offer %d:%d; using "
                            "the nearest ratio it does, %s",
                            caps->model, req->aspect_w, req->aspect_h, pick);
        return;
    } else if (caps->max_side > 0) {
        fit_free_size(caps, w, h, &out->width, &out->height);
        snprintf(out->size, sizeof out->size, "%dx%d", out->width, out->height);
    }
    if (!out->width)
        return;
    if (req->width && (out->width != req->width || out->height != req->height))
        ig_warnings_add(warnings, field,
                        "model \"%s\" does not offer %dx%d; using the nearest "
                        "size it does, %s",
                        caps->model, req->width, req->height, out->size);
    else if (!req->width)
        ig_warnings_add(warnings, field,
                        "aspect ratio %d:%d was sent to model \"%s\" as size %s",
                        req->aspect_w, req->aspect_h, caps->model, out->size);
}

/* A quality the model takes, or NULL (then the provider's default). */
static const char *negotiate_quality(const ig_model_caps *caps, const char *wanted,
                                     cJSON *warnings)
{
    if (!wanted || !strcmp(wanted, "auto"))
        return NULL;
    for (int i = 0; caps->qualities && caps->qualities[i]; i++)
        if (!strcmp(caps->qualities[i], wanted))
            return wanted;
    ig_warnings_add(warnings, "quality",
                    "model \"%s\" has no quality \"%s\"; the provider's "
                    "default was used",
                    caps->model, wanted);
    return NULL;
}

static const char *format_name(unsigned bit)
{
    return bit == IG_FMT_JPEG ? "jpeg" : bit == IG_FMT_WEBP ? "webp" : "png";
}

static unsigned format_bit(const char *name)
{
    return !strcmp(name, "jpeg") ? IG_FMT_JPEG : !strcmp(name, "webp") ? IG_FMT_WEBP
                                                                       : IG_FMT_PNG;
}

/* The wanted output format, or the model's closest (png first). */
static const char *negotiate_format(const ig_model_caps *caps, const char *wanted,
                                    cJSON *warnings)
{
    unsigned bit = format_bit(wanted);
    if (caps->output_formats & bit)
        return format_name(bit);
    unsigned fallback = caps->output_formats & IG_FMT_PNG    ? IG_FMT_PNG
                        : caps->output_formats & IG_FMT_WEBP ? IG_FMT_WEBP
                                                             : IG_FMT_JPEG;
    ig_warnings_add(warnings, "outputFormat",
                    "model \"%s\" cannot return %s; the image is %s", caps->model, wanted,
                    format_name(fallback));
    return format_name(fallback);
}

/* The style if the model offers it; otherwise a warning naming what it has. */
static const char *negotiate_style(const ig_model_caps *caps, const char *wanted,
                                   cJSON *warnings)
{
    if (!wanted)
        return NULL;
    char offered[512] = "";
    size_t used = 0;
    for (int i = 0; caps->styles && caps->styles[i]; i++) {
        if (!strcmp(caps->styles[i], wanted))
            return wanted;
        int n = snprintf(offered + used, sizeof offered - used, "%s%s", i ? ", " : "",
                         caps->styles[i]);
        used += n > 0 && (size_t)n < sizeof offered - used ? (size_t)n : 0;
    }
    if (caps->styles)
        ig_warnings_add(warnings, "style", "ignored: model \"%s\" has no style \"%s\"; "
                        "it offers %s", caps->model, wanted, offered);
    else
        ig_warnings_add(warnings, "style", "ignored: model \"%s\" takes no style name; "
                        "describe the style in the prompt instead", caps->model);
    return NULL;
}

/* Options the model ignores are dropped with a warning, never silently. */
static void negotiate_options(const ig_model_caps *caps, const ig_request *req,
                              ig_applied *out, cJSON *warnings)
{
    out->send_negative_prompt = req->negative_prompt && caps->negative_prompt;
    if (req->negative_prompt && !caps->negative_prompt)
        ig_warnings_add(warnings, "negativePrompt",
                        "ignored: model \"%s\" takes no negative "
                        "prompt; say what to avoid in the prompt instead",
                        caps->model);
    out->send_seed = req->has_seed && caps->seed;
    if (req->has_seed && !caps->seed)
        ig_warnings_add(warnings, "seed",
                        "ignored: model \"%s\" takes no seed, so results are "
                        "not reproducible",
                        caps->model);
    out->send_reference = req->image_refs[IG_ROLE_REFERENCE] && caps->reference_image;
    if (req->image_refs[IG_ROLE_REFERENCE] && !caps->reference_image)
        ig_warnings_add(warnings, "referenceImageUrl",
                        "ignored: model \"%s\" cannot use a "
                        "reference image, so character consistency is not enforced",
                        caps->model);
    if (!strcmp(req->background, "transparent") && !caps->transparent_background)
        ig_warnings_add(warnings, "background",
                        "ignored: model \"%s\" cannot make transparent "
                        "backgrounds",
                        caps->model);
    if (req->prompt && caps->max_prompt_chars == 0)
        ig_warnings_add(warnings, "prompt", "ignored: model \"%s\" takes no prompt",
                        caps->model);
    if (req->negative_prompt && !out->send_negative_prompt)
        out->dropped |= IG_DROP_NEGATIVE_PROMPT;
    if (req->has_seed && !out->send_seed)
        out->dropped |= IG_DROP_SEED;
    if (req->image_refs[IG_ROLE_REFERENCE] && !out->send_reference)
        out->dropped |= IG_DROP_REFERENCE;
    if (!strcmp(req->background, "transparent") && !caps->transparent_background)
        out->dropped |= IG_DROP_BACKGROUND;
}

int ig_negotiate(const ig_model_caps *caps, const ig_request *req, ig_applied *out,
                 cJSON *warnings, ig_error *err)
{
    memset(out, 0, sizeof *out);
    out->caps = caps;
    if (check_hard_limits(caps, req, err) != 0)
        return -1;
    negotiate_size(caps, req, out, warnings);
    out->n = req->n;
    int per_call = caps->max_n > 0 ? caps->max_n : 1;
    out->requests = (req->n + per_call - 1) / per_call;
    if (out->requests > 1)
        ig_warnings_add(warnings, "n",
                        "model \"%s\" makes at most %d image%s per request; "
                        "the call is split into %d requests",
                        caps->model, per_call, per_call == 1 ? "" : "s", out->requests);
    out->quality = negotiate_quality(caps, req->quality, warnings);
    out->output_format = negotiate_format(caps, req->output_format, warnings);
    out->style = negotiate_style(caps, req->style, warnings);
    if (req->style && !out->style)
        out->dropped |= IG_DROP_STYLE;
    negotiate_options(caps, req, out, warnings);
    return 0;
}

cJSON *ig_applied_to_json(const ig_applied *applied, const char *provider)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "provider", provider);
    cJSON_AddStringToObject(a, "model", applied->caps->model);
    if (applied->size[0])
        cJSON_AddStringToObject(a, "size", applied->size);
    if (applied->aspect_ratio[0])
        cJSON_AddStringToObject(a, "aspectRatio", applied->aspect_ratio);
    cJSON_AddNumberToObject(a, "n", applied->n);
    cJSON_AddNumberToObject(a, "requests", applied->requests);
    if (applied->quality)
        cJSON_AddStringToObject(a, "quality", applied->quality);
    if (applied->style)
        cJSON_AddStringToObject(a, "style", applied->style);
    cJSON_AddStringToObject(a, "outputFormat", applied->output_format);
    return a;
}
