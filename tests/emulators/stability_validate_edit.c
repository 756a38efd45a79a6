/*
 * stability_validate_edit.c - validation of the edit endpoints: inpaint,
 * outpaint, erase, search-and-replace and remove-background, with the input
 * image limits the v2beta spec states for each.
 */
#include <stdio.h>
#include <string.h>

#include "emulators/stability_internal.h"

#define PROMPT_MAX 10000
#define MAX_PIXELS 9437184LL

static const char *const all_formats[] = {"jpeg", "png", "webp", NULL};

/* The optional mask: white = change. Without one the image's alpha is the
 * mask, so an opaque image without a mask leaves nothing to change. Masks of
 * another size are resized by the API, so any decodable size is taken. */
static void check_mask(const emu_request *req, const emu_probe *img, stab_errors *e)
{
    static const stab_image_rule any_size = {1, 0, 0, 0, 0};
    emu_probe mask;
    if (!stab_image(req, "mask", false, &any_size, &mask, e))
        return;
    if (mask.width == 0 && img->width > 0 && !img->alpha)
        stab_err_add(e, "mask: is required when image has no alpha channel");
}

/* inpaint and erase: image, optional mask, grow_mask. */
static void masked_edit(const emu_request *req, stab_params *p, long long grow_max,
                        emu_probe *img, stab_errors *e)
{
    static const stab_image_rule rule = {64, 0, 4096, MAX_PIXELS, 0};
    long long grow;
    stab_image(req, "image", true, &rule, img, e);
    check_mask(req, img, e);
    stab_integer(req, "grow_mask", 0, grow_max, 5, &grow, e);
    p->width = img->width;
    p->height = img->height;
}

/* outpaint: the margins (at least one > 0) enlarge the image. */
static void outpaint(const emu_request *req, stab_params *p, stab_errors *e)
{
    static const stab_image_rule rule = {64, 0, 4096, MAX_PIXELS, 2.5};
    static const char *const sides[] = {"left", "right", "up", "down"};
    emu_probe img;
    long long margin[4];
    bool ok = true, any = false;
    stab_image(req, "image", true, &rule, &img, e);
    for (int i = 0; i < 4; i++) {
        ok &= stab_integer(req, sides[i], 0, 2000, 0, &margin[i], e);
        any |= margin[i] > 0;
    }
    if (ok && !any)
        stab_err_add(e, "left, right, up, down: at least one direction must be greater than 0");
    double creativity;
    stab_number(req, "creativity", 0, 1, 0.5, &creativity, e);
    stab_text(req, "prompt", false, PROMPT_MAX, e);
    stab_common_fields(req, all_formats, true, p, e);
    p->width = img.width + (int)(margin[0] + margin[1]);
    p->height = img.height + (int)(margin[2] + margin[3]);
}

int stab_validate_edit(const emu_request *req, stab_params *p, stab_errors *e)
{
    emu_probe img;
    switch (p->ep) {
    case STAB_EDIT_INPAINT:
        stab_text(req, "prompt", true, PROMPT_MAX, e);
        stab_text(req, "negative_prompt", false, PROMPT_MAX, e);
        masked_edit(req, p, 100, &img, e);
        stab_common_fields(req, all_formats, true, p, e);
        break;
    case STAB_EDIT_ERASE:
        masked_edit(req, p, 20, &img, e);
        stab_common_fields(req, all_formats, false, p, e);
        break;
    case STAB_EDIT_OUTPAINT:
        outpaint(req, p, e);
        break;
    case STAB_EDIT_SEARCH_AND_REPLACE: {
        static const stab_image_rule rule = {64, 0, 4096, MAX_PIXELS, 2.5};
        long long grow;
        stab_image(req, "image", true, &rule, &img, e);
        stab_text(req, "prompt", true, PROMPT_MAX, e);
        stab_text(req, "search_prompt", true, PROMPT_MAX, e);
        stab_text(req, "negative_prompt", false, PROMPT_MAX, e);
        stab_integer(req, "grow_mask", 0, 20, 3, &grow, e);
        stab_common_fields(req, all_formats, true, p, e);
        p->width = img.width;
        p->height = img.height;
        break;
    }
    default: { /* remove-background: the subject on a transparent background */
        static const stab_image_rule rule = {64, 0, 4096, 4194304, 0};
        static const char *const formats[] = {"png", "webp", NULL};
        stab_image(req, "image", true, &rule, &img, e);
        const char *fmt = stab_enum(req, "output_format", formats, "png", e);
        snprintf(p->output_format, sizeof p->output_format, "%s", fmt ? fmt : "png");
        p->width = img.width;
        p->height = img.height;
        p->alpha = true;
        break;
    }
    }
    return e->count ? -1 : 0;
}
