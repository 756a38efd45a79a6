/* tool_rules.c - see tool_rules.h. One function per tool, plus the rules
 * shared by all of them. */
#include "tools/tool_rules.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "core/result.h"
#include "tools/tool_args.h"

#define DEFAULT_EDIT_STRENGTH 0.75
#define DEFAULT_STYLE_STRENGTH 0.7
#define DEFAULT_VARIANCE 0.5
#define DEFAULT_SCALE 2

/* "size" / "targetSize": WxH with each side in [IG_MIN_SIDE, IG_MAX_SIDE]. */
static int read_size(const cJSON *args, const char *key, int *w, int *h,
                     ig_error *err)
{
    const char *text = ig_arg_string(args, key);
    if (!text)
        return 0;
    if (!ig_parse_size(text, w, h))
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, key,
                       "%s must be WIDTHxHEIGHT in pixels, like \"1024x1024\" "
                       "(got \"%.32s\")", key, text);
    if (*w < IG_MIN_SIDE || *h < IG_MIN_SIDE || *w > IG_MAX_SIDE || *h > IG_MAX_SIDE) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, key,
                "%s sides must be between %d and %d pixels (got %dx%d)", key,
                IG_MIN_SIDE, IG_MAX_SIDE, *w, *h);
        ig_error_hint(err, "Common sizes: 1024x1024, 1536x1024, 1024x1536.");
        return -1;
    }
    return 0;
}

/* "aspectRatio" / "targetAspectRatio": W:H no more elongated than 4:1. */
static int read_ratio(const cJSON *args, const char *key, int *w, int *h,
                      ig_error *err)
{
    const char *text = ig_arg_string(args, key);
    if (!text)
        return 0;
    if (!ig_parse_ratio(text, w, h))
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, key,
                       "%s must be W:H, like \"16:9\" (got \"%.32s\")", key, text);
    double ratio = (double)*w / *h;
    if (ratio > IG_MAX_ASPECT || ratio < 1.0 / IG_MAX_ASPECT) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, key,
                "%s must be between 1:%d and %d:1 (got %s)", key, IG_MAX_ASPECT,
                IG_MAX_ASPECT, text);
        ig_error_hint(err, "Common ratios: 1:1, 3:2, 2:3, 16:9, 9:16, 21:9.");
        return -1;
    }
    return 0;
}

/* size and aspectRatio may both be given only when they agree (within 2%). */
static int check_size_matches_ratio(const ig_request *req, ig_error *err)
{
    if (!req->width || !req->aspect_w)
        return 0;
    double from_size = (double)req->width / req->height;
    double wanted = (double)req->aspect_w / req->aspect_h;
    if (fabs(from_size / wanted - 1.0) <= 0.02)
        return 0;
    ig_fail(err, IG_ERR_INVALID_ARGUMENT, "aspectRatio",
            "aspectRatio %d:%d contradicts size %dx%d", req->aspect_w,
            req->aspect_h, req->width, req->height);
    ig_error_hint(err, "Give either size or aspectRatio, or make them agree.");
    return -1;
}

/* provider, model, providerPreferences, maxCostUsd, providerOptions, priority. */
static int read_routing(const cJSON *args, const ig_config *config,
                        ig_request *req, ig_error *err)
{
    ig_prefs own;
    ig_prefs_parse(cJSON_GetObjectItemCaseSensitive(args, "providerPreferences"), &own);
    ig_prefs_merge(&config->prefs, &own, &req->prefs);
    /* Checked after the merge: the request may prefer what the config blocks. */
    if (ig_prefs_check(&req->prefs, "providerPreferences.", !own.has_blocked, err) != 0)
        return -1;

    req->pinned_provider = ig_provider_find(ig_arg_string(args, "provider"));
    if (req->pinned_provider >= 0 && req->prefs.blocked[req->pinned_provider]) {
        const char *name = ig_provider(req->pinned_provider)->name;
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "provider",
                "provider \"%s\" is blocked by providerPreferences.blocked%s",
                name, own.has_blocked ? "" : " in the agent config");
        ig_error_hint(err, "Choose another provider or omit \"provider\" to let "
                           "routing pick an allowed one.");
        return -1;
    }
    req->model = ig_arg_string(args, "model");
    req->max_cost_usd = config->max_cost_usd;
    ig_arg_double(args, "maxCostUsd", &req->max_cost_usd);
    req->provider_options = cJSON_GetObjectItemCaseSensitive(args, "providerOptions");
    return ig_rules_read_priority(args, config, req, err);
}

/* Fields every tool reads the same way. */
static int read_common(const cJSON *args, const ig_config *config,
                       ig_request *req, ig_error *err)
{
    req->prompt = ig_arg_string(args, "prompt");
    req->negative_prompt = ig_arg_string(args, "negativePrompt");
    if (!ig_arg_int(args, "n", &req->n))
        req->n = 1;
    req->quality = ig_arg_string(args, "quality");
    req->style = ig_arg_string(args, "style");
    req->output_format = ig_arg_string(args, "outputFormat");
    req->background = ig_arg_string(args, "background");
    if (!req->quality)
        req->quality = "auto";
    if (!req->output_format)
        req->output_format = "png";
    if (!req->background)
        req->background = "auto";
    req->has_seed = ig_arg_u32(args, "seed", &req->seed);
    for (int role = 0; role < IG_ROLE_COUNT; role++)
        req->image_refs[role] = ig_arg_string(args, ig_image_role_field(role));
    if (read_size(args, "size", &req->width, &req->height, err) ||
        read_ratio(args, "aspectRatio", &req->aspect_w, &req->aspect_h, err) ||
        check_size_matches_ratio(req, err))
        return -1;
    return read_routing(args, config, req, err);
}

static int rules_generate(const cJSON *args, ig_request *req, cJSON *result,
                          ig_error *err)
{
    const char *mode = ig_arg_string(args, "consistencyMode");
    if (mode && !req->image_refs[IG_ROLE_REFERENCE] && !strcmp(mode, "balanced")) {
        ig_result_warn(result, "consistencyMode",
                       "ignored: consistencyMode only applies with referenceImageUrl");
        mode = NULL;
    }
    if (mode && !req->image_refs[IG_ROLE_REFERENCE]) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "consistencyMode",
                "consistencyMode needs referenceImageUrl (the image of the "
                "character to keep consistent)");
        ig_error_hint(err, "Add referenceImageUrl or remove consistencyMode.");
        return -1;
    }
    if (req->image_refs[IG_ROLE_REFERENCE])
        req->consistency = !mode || !strcmp(mode, "balanced") ? IG_CONSISTENCY_BALANCED
                           : !strcmp(mode, "strict")          ? IG_CONSISTENCY_STRICT
                                                              : IG_CONSISTENCY_LOOSE;
    if (!strcmp(req->background, "transparent") && !strcmp(req->output_format, "jpeg")) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "background",
                "background \"transparent\" needs outputFormat png or webp "
                "(got jpeg, which has no alpha channel)");
        ig_error_hint(err, "Set outputFormat to \"png\" or \"webp\".");
        return -1;
    }
    return 0;
}

/* Which outpaint forms were given: margins, targetSize, targetAspectRatio. */
static int count_outpaint_forms(const cJSON *args)
{
    return ig_arg_has(args, "margins") + ig_arg_has(args, "targetSize") +
           ig_arg_has(args, "targetAspectRatio");
}

static ig_edit_mode edit_mode_of(const cJSON *args)
{
    const char *mode = ig_arg_string(args, "mode");
    if (mode)
        return !strcmp(mode, "inpaint")    ? IG_EDIT_INPAINT
               : !strcmp(mode, "outpaint") ? IG_EDIT_OUTPAINT
                                           : IG_EDIT_IMG2IMG;
    if (ig_arg_has(args, "mask"))
        return IG_EDIT_INPAINT;
    return count_outpaint_forms(args) ? IG_EDIT_OUTPAINT : IG_EDIT_IMG2IMG;
}

static const char *edit_mode_name(ig_edit_mode mode)
{
    return mode == IG_EDIT_INPAINT ? "inpaint" : mode == IG_EDIT_OUTPAINT ? "outpaint"
                                                                        : "img2img";
}

static int rules_edit_outpaint(const cJSON *args, ig_request *req, ig_error *err)
{
    int forms = count_outpaint_forms(args);
    if (forms == 0) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "margins",
                "mode outpaint needs one of margins, targetSize or targetAspectRatio");
        ig_error_hint(err, "For example margins {\"left\":256,\"right\":256} or "
                           "targetAspectRatio \"16:9\".");
        return -1;
    }
    if (forms > 1)
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "margins",
                       "give only one of margins, targetSize and targetAspectRatio");
    if (ig_arg_has(args, "size"))
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "size",
                       "size is not used with mode outpaint; the canvas size "
                       "comes from margins, targetSize or targetAspectRatio");
    const cJSON *margins = cJSON_GetObjectItemCaseSensitive(args, "margins");
    if (margins) {
        ig_arg_int(margins, "left", &req->margins.left);
        ig_arg_int(margins, "right", &req->margins.right);
        ig_arg_int(margins, "top", &req->margins.top);
        ig_arg_int(margins, "bottom", &req->margins.bottom);
        const ig_margins *m = &req->margins;
        if (m->left + m->right + m->top + m->bottom == 0)
            return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "margins",
                           "margins must add at least one pixel on some side "
                           "(all four are 0)");
    }
    if (read_size(args, "targetSize", &req->target_width, &req->target_height, err))
        return -1;
    return read_ratio(args, "targetAspectRatio", &req->target_aspect_w,
                      &req->target_aspect_h, err);
}

static int rules_edit(const cJSON *args, ig_request *req, cJSON *result,
                      ig_error *err)
{
    req->mode = edit_mode_of(args);
    const char *mode = edit_mode_name(req->mode);
    bool has_mask = req->image_refs[IG_ROLE_MASK] != NULL;
    if (req->mode != IG_EDIT_INPAINT && has_mask)
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "mask",
                       "mask is only used with mode inpaint (mode is %s)", mode);
    if (req->mode == IG_EDIT_INPAINT && !has_mask) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "mask",
                "mode inpaint needs a mask: an image the size of the source, "
                "white where it should change and black where it should stay");
        return -1;
    }
    if (req->mode != IG_EDIT_OUTPAINT && count_outpaint_forms(args)) {
        const char *field = ig_arg_has(args, "margins")      ? "margins"
                            : ig_arg_has(args, "targetSize") ? "targetSize"
                                                             : "targetAspectRatio";
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, field,
                       "%s is only used with mode outpaint (mode is %s)", field, mode);
    }
    bool has_strength = ig_arg_double(args, "strength", &req->strength);
    if (req->mode == IG_EDIT_OUTPAINT && has_strength) {
        if (req->strength != DEFAULT_EDIT_STRENGTH)
            return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "strength",
                           "strength applies to img2img and inpaint, not outpaint");
        ig_result_warn(result, "strength", "ignored: strength does not apply to outpaint");
    }
    if (req->mode != IG_EDIT_OUTPAINT && !req->prompt) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "prompt",
                "mode %s needs a prompt describing the change", mode);
        return -1;
    }
    if (!has_strength)
        req->strength = DEFAULT_EDIT_STRENGTH;
    return req->mode == IG_EDIT_OUTPAINT ? rules_edit_outpaint(args, req, err) : 0;
}

static int rules_upscale(const cJSON *args, ig_request *req, cJSON *result,
                         ig_error *err)
{
    bool has_scale = ig_arg_int(args, "scale", &req->scale);
    ig_arg_int(args, "width", &req->target_width);
    ig_arg_int(args, "height", &req->target_height);
    bool has_target = req->target_width || req->target_height;
    if (has_scale && has_target && req->scale == DEFAULT_SCALE) {
        ig_result_warn(result, "scale", "ignored: width/height decide the size");
        has_scale = false;
        req->scale = 0;
    }
    if (has_scale && has_target) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "scale",
                "give scale or width/height, not both");
        ig_error_hint(err, "Use scale 2 or 4, or a target width and/or height.");
        return -1;
    }
    if (!has_scale && !has_target)
        req->scale = DEFAULT_SCALE;
    const char *method = ig_arg_string(args, "method");
    req->method = !method || !strcmp(method, "auto") ? IG_METHOD_AUTO
                  : !strcmp(method, "lanczos3")      ? IG_METHOD_LANCZOS3
                                                     : IG_METHOD_NEURAL;
    ig_arg_double(args, "maxSeconds", &req->max_seconds);
    return 0;
}

int ig_rules_build_request(ig_operation op, const char *tool, const cJSON *args,
                           const ig_config *config, ig_request *req,
                           cJSON *result, ig_error *err)
{
    req->op = op;
    req->tool = tool;
    req->pinned_provider = -1;
    if (read_common(args, config, req, err) != 0)
        return -1;
    switch (op) {
    case IG_OP_GENERATE:
        return rules_generate(args, req, result, err);
    case IG_OP_EDIT:
        return rules_edit(args, req, result, err);
    case IG_OP_UPSCALE:
        return rules_upscale(args, req, result, err);
    case IG_OP_VARIATE:
        if (!ig_arg_double(args, "variance", &req->variance))
            req->variance = DEFAULT_VARIANCE;
        return 0;
    case IG_OP_TRANSFER_STYLE:
        if (!ig_arg_double(args, "strength", &req->strength))
            req->strength = DEFAULT_STYLE_STRENGTH;
        return 0;
    default:
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "unknown operation");
    }
}
