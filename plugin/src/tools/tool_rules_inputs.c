/* tool_rules_inputs.c - the rules that need decoded input sizes (see
 * tool_rules.h): mask size, outpaint canvas, upscale target. */
#include <math.h>
#include <stdbool.h>

#include "tools/tool_rules.h"

static int check_mask_size(const ig_request *req, ig_error *err)
{
    const ig_image_info *image = &req->images[IG_ROLE_IMAGE].info;
    const ig_image_info *mask = &req->images[IG_ROLE_MASK].info;
    if (mask->width == image->width && mask->height == image->height)
        return 0;
    ig_fail(err, IG_ERR_INVALID_ARGUMENT, "mask",
            "mask is %dx%d but image is %dx%d; the mask must be exactly the "
            "image's size", mask->width, mask->height, image->width, image->height);
    ig_error_hint(err, "Resize the mask to %dx%d (white = change, black = keep).",
                  image->width, image->height);
    return -1;
}

/* Centres the extra width or height needed for the target canvas. */
static void margins_for_canvas(int width, int height, int canvas_w, int canvas_h,
                               ig_margins *m)
{
    m->left = (canvas_w - width) / 2;
    m->right = canvas_w - width - m->left;
    m->top = (canvas_h - height) / 2;
    m->bottom = canvas_h - height - m->top;
}

static int outpaint_canvas(ig_request *req, ig_error *err)
{
    int w = req->images[IG_ROLE_IMAGE].info.width;
    int h = req->images[IG_ROLE_IMAGE].info.height;
    if (req->target_width) {
        if (req->target_width < w || req->target_height < h ||
            (req->target_width == w && req->target_height == h))
            return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "targetSize",
                           "targetSize %dx%d must be at least the image's size "
                           "%dx%d on both sides and larger on one",
                           req->target_width, req->target_height, w, h);
        margins_for_canvas(w, h, req->target_width, req->target_height, &req->margins);
    } else if (req->target_aspect_w) {
        double want = (double)req->target_aspect_w / req->target_aspect_h;
        double have = (double)w / h;
        if (fabs(want / have - 1.0) < 0.01)
            return ig_fail(err, IG_ERR_INVALID_ARGUMENT, "targetAspectRatio",
                           "the image (%dx%d) already has aspect ratio %d:%d; "
                           "nothing to outpaint", w, h, req->target_aspect_w,
                           req->target_aspect_h);
        int canvas_w = want > have ? (int)lround(h * want) : w;
        int canvas_h = want > have ? h : (int)lround(w / want);
        margins_for_canvas(w, h, canvas_w, canvas_h, &req->margins);
    }
    const ig_margins *m = &req->margins;
    req->target_width = w + m->left + m->right;
    req->target_height = h + m->top + m->bottom;
    if (req->target_width > IG_MAX_SIDE || req->target_height > IG_MAX_SIDE)
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT,
                       req->target_aspect_w ? "targetAspectRatio" : "margins",
                       "the outpainted canvas would be %dx%d; at most %d pixels "
                       "per side are allowed", req->target_width,
                       req->target_height, IG_MAX_SIDE);
    return 0;
}

static int upscale_target(ig_request *req, ig_error *err)
{
    int w = req->images[IG_ROLE_IMAGE].info.width;
    int h = req->images[IG_ROLE_IMAGE].info.height;
    if (req->scale) {
        req->target_width = w * req->scale;
        req->target_height = h * req->scale;
    } else {
        /* A single dimension keeps the aspect ratio; derive it in double so
         * an absurd target cannot overflow before it is refused. */
        double tw = req->target_width, th = req->target_height;
        if (!th)
            th = round(tw * h / w);
        if (!tw)
            tw = round(th * w / h);
        bool width_bad = tw < w || tw > 4.0 * w;
        const char *field = req->target_width && (width_bad || !req->target_height)
                                ? "width" : "height";
        if (tw < w || th < h || tw > 4.0 * w || th > 4.0 * h)
            return ig_fail(err, IG_ERR_INVALID_ARGUMENT, field,
                           "target %.0fx%.0f must be between the image's size %dx%d "
                           "and 4x it (%dx%d)", tw, th, w, h, 4 * w, 4 * h);
        req->target_width = (int)tw;
        req->target_height = (int)th;
        bool within_2x = req->target_width <= 2 * w && req->target_height <= 2 * h;
        req->scale = within_2x ? 2 : 4;
    }
    if (req->target_width > IG_MAX_UPSCALED_SIDE || req->target_height > IG_MAX_UPSCALED_SIDE)
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, req->scale ? "scale" : "width",
                       "the upscaled image would be %dx%d; at most %d pixels per "
                       "side are allowed", req->target_width, req->target_height,
                       IG_MAX_UPSCALED_SIDE);
    return 0;
}

int ig_rules_check_inputs(ig_request *req, ig_error *err)
{
    if (req->op == IG_OP_EDIT && req->mode == IG_EDIT_INPAINT)
        return check_mask_size(req, err);
    if (req->op == IG_OP_EDIT && req->mode == IG_EDIT_OUTPAINT)
        return outpaint_canvas(req, err);
    if (req->op == IG_OP_UPSCALE)
        return upscale_target(req, err);
    return 0;
}
