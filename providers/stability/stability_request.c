/* stability_request.c - the path and multipart body of one Stability AI
 * v2beta request per model (see stability.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/result.h"
#include "providers/stability/stability.h"

#define OUTPAINT_MAX_MARGIN 2000 /* per side, edit/outpaint */

/* The upscalers that need a prompt get this when the tool gives none. */
#define UPSCALE_PROMPT "A sharp, detailed, high resolution version of this image."

/* Fields most endpoints share: negative prompt, seed, format, style. */
static void add_common(ig_form *form, const ig_request *req, const ig_applied *applied)
{
    if (applied->send_negative_prompt)
        ig_form_text_ref(form, "negative_prompt", req->negative_prompt);
    if (applied->send_seed)
        ig_form_text(form, "seed", "%u", req->seed > 4294967294u ? 4294967294u : req->seed);
    ig_form_text_ref(form, "output_format", applied->output_format);
    if (applied->style)
        ig_form_text_ref(form, "style_preset", applied->style);
}

static void add_image(ig_form *form, const char *name, const ig_image *image)
{
    ig_form_file(form, name, image->data, image->size, image->info.mime_type);
}

static bool is_sd3(const char *model)
{
    return !strncmp(model, "sd3", 3);
}

/* generate/ultra, generate/core, generate/sd3, and img2img on ultra/sd3. */
static void build_generate(const ig_request *req, const ig_applied *applied,
                           ig_stability_call *call)
{
    const char *model = applied->caps->model;
    ig_form *form = &call->form;
    snprintf(call->path, sizeof call->path, "/v2beta/stable-image/generate/%s",
             is_sd3(model) ? "sd3" : model);
    ig_form_text_ref(form, "prompt", req->prompt);
    if (is_sd3(model))
        ig_form_text_ref(form, "model", model);
    if (req->op == IG_OP_EDIT) {
        if (is_sd3(model))
            ig_form_text_ref(form, "mode", "image-to-image");
        add_image(form, "image", &req->images[IG_ROLE_IMAGE]);
        ig_form_text(form, "strength", "%.3f", req->strength);
    } else if (applied->aspect_ratio[0]) {
        ig_form_text_ref(form, "aspect_ratio", applied->aspect_ratio);
    }
    add_common(form, req, applied);
}

static int build_outpaint(const ig_request *req, const ig_applied *applied,
                          ig_stability_call *call, ig_error *err)
{
    const ig_margins *m = &req->margins;
    int sides[4] = {m->left, m->right, m->top, m->bottom};
    static const char *const names[4] = {"left", "right", "up", "down"};
    for (int i = 0; i < 4; i++)
        if (sides[i] > OUTPAINT_MAX_MARGIN) {
            ig_fail(err, IG_ERR_INVALID_ARGUMENT, "margins",
                    "Stability outpaints at most %d pixels per side; %s is %d",
                    OUTPAINT_MAX_MARGIN, names[i], sides[i]);
            ig_error_hint(err, "Outpaint in two steps, or use another provider.");
            return -1;
        }
    snprintf(call->path, sizeof call->path, "/v2beta/stable-image/edit/outpaint");
    add_image(&call->form, "image", &req->images[IG_ROLE_IMAGE]);
    for (int i = 0; i < 4; i++)
        if (sides[i] > 0)
            ig_form_text(&call->form, names[i], "%d", sides[i]);
    if (req->prompt)
        ig_form_text_ref(&call->form, "prompt", req->prompt);
    add_common(&call->form, req, applied);
    return 0;
}

static void build_inpaint(const ig_request *req, const ig_applied *applied,
                          ig_stability_call *call)
{
    snprintf(call->path, sizeof call->path, "/v2beta/stable-image/edit/inpaint");
    add_image(&call->form, "image", &req->images[IG_ROLE_IMAGE]);
    add_image(&call->form, "mask", &req->images[IG_ROLE_MASK]); /* white = change, as ours */
    ig_form_text_ref(&call->form, "prompt", req->prompt);
    add_common(&call->form, req, applied);
}

static void build_upscale(const ig_request *req, const ig_applied *applied,
                          ig_stability_call *call, cJSON *result)
{
    const char *model = applied->caps->model;
    snprintf(call->path, sizeof call->path, "/v2beta/stable-image/upscale/%s", model);
    call->async = !strcmp(model, "creative");
    add_image(&call->form, "image", &req->images[IG_ROLE_IMAGE]);
    if (strcmp(model, "fast")) {
        ig_form_text_ref(&call->form, "prompt", UPSCALE_PROMPT);
        ig_result_warn(result, "prompt", "Stability's %s upscaler needs a prompt; used: "
                       "\"%s\" (override with providerOptions.stability.prompt)", model,
                       UPSCALE_PROMPT);
    }
    add_common(&call->form, req, applied);
}

static void build_style_transfer(const ig_request *req, const ig_applied *applied,
                                 ig_stability_call *call)
{
    snprintf(call->path, sizeof call->path, "/v2beta/stable-image/control/style-transfer");
    add_image(&call->form, "init_image", &req->images[IG_ROLE_IMAGE]);
    add_image(&call->form, "style_image", &req->images[IG_ROLE_STYLE]);
    if (req->prompt)
        ig_form_text_ref(&call->form, "prompt", req->prompt);
    ig_form_text(&call->form, "style_strength", "%.3f", req->strength);
    add_common(&call->form, req, applied);
}

int ig_stability_build(const ig_request *req, const ig_applied *applied,
                       ig_stability_call *call, cJSON *result, ig_error *err)
{
    memset(call, 0, sizeof *call);
    int rc = 0;
    if (req->op == IG_OP_GENERATE || (req->op == IG_OP_EDIT && req->mode == IG_EDIT_IMG2IMG))
        build_generate(req, applied, call);
    else if (req->op == IG_OP_EDIT && req->mode == IG_EDIT_INPAINT)
        build_inpaint(req, applied, call);
    else if (req->op == IG_OP_EDIT)
        rc = build_outpaint(req, applied, call, err);
    else if (req->op == IG_OP_UPSCALE)
        build_upscale(req, applied, call, result);
    else if (req->op == IG_OP_TRANSFER_STYLE)
        build_style_transfer(req, applied, call);
    else
        rc = ig_fail(err, IG_ERR_INVALID_ARGUMENT, "provider", "Stability AI cannot %s images",
                     ig_operation_name(req->op));
    if (rc == 0)
        ig_form_add_options(&call->form, req, "stability", result);
    return rc;
}
