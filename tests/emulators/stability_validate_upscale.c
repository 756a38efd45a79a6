/*
 * stability_validate_upscale.c - validation and output sizes of the upscale
 * endpoints (fast 4x, conservative and creative to ~4 MP) and the control
 * endpoints (style at ~1 MP per aspect ratio, style-transfer at the
 * init_image's size).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emulators/stability_internal.h"

#define PROMPT_MAX 10000
#define MAX_PIXELS 9437184LL
#define FOUR_MEGAPIXELS 4194304.0

static const char *const all_formats[] = {"jpeg", "png", "webp", NULL};
static const char *const aspect_ratios[] = {"21:9", "16:9", "3:2", "5:4", "1:1",
                                            "4:5",  "2:3",  "9:16", "9:21", NULL};

/* About 4 megapixels at the input's aspect ratio. */
static void four_megapixels(const emu_probe *img, stab_params *p)
{
    if (img->width <= 0)
        return;
    double scale = sqrt(FOUR_MEGAPIXELS / ((double)img->width * img->height));
    p->width = (int)lround(img->width * scale);
    p->height = (int)lround(img->height * scale);
}

/* conservative and creative: image, prompt, creativity in [lo, hi]. */
static void prompted_upscale(const emu_request *req, const stab_image_rule *rule, double lo,
                             double hi, double dflt, bool style_preset, stab_params *p,
                             stab_errors *e)
{
    emu_probe img;
    double creativity;
    stab_image(req, "image", true, rule, &img, e);
    stab_text(req, "prompt", true, PROMPT_MAX, e);
    stab_text(req, "negative_prompt", false, PROMPT_MAX, e);
    stab_number(req, "creativity", lo, hi, dflt, &creativity, e);
    stab_common_fields(req, all_formats, style_preset, p, e);
    four_megapixels(&img, p);
}

/* style-transfer: two images; the output keeps init_image's size. */
static void style_transfer(const emu_request *req, stab_params *p, stab_errors *e)
{
    static const stab_image_rule rule = {64, 0, 4096, MAX_PIXELS, 0};
    emu_probe init, style;
    double v;
    stab_image(req, "init_image", true, &rule, &init, e);
    stab_image(req, "style_image", true, &rule, &style, e);
    stab_text(req, "prompt", false, PROMPT_MAX, e);
    stab_text(req, "negative_prompt", false, PROMPT_MAX, e);
    stab_number(req, "style_strength", 0, 1, 1, &v, e);
    stab_number(req, "composition_fidelity", 0, 1, 0.9, &v, e);
    stab_number(req, "change_strength", 0.1, 1, 0.9, &v, e);
    stab_common_fields(req, all_formats, false, p, e);
    p->width = init.width;
    p->height = init.height;
}

int stab_validate_upscale_control(const emu_request *req, stab_params *p, stab_errors *e)
{
    emu_probe img;
    switch (p->ep) {
    case STAB_UPSCALE_FAST: {
        static const stab_image_rule rule = {32, 1536, 1024, 1048576, 0};
        stab_image(req, "image", true, &rule, &img, e);
        stab_common_fields(req, all_formats, false, p, e);
        p->width = img.width * 4;
        p->height = img.height * 4;
        break;
    }
    case STAB_UPSCALE_CONSERVATIVE: {
        static const stab_image_rule rule = {64, 0, 4096, MAX_PIXELS, 2.5};
        prompted_upscale(req, &rule, 0.2, 0.5, 0.35, false, p, e);
        break;
    }
    case STAB_UPSCALE_CREATIVE: {
        static const stab_image_rule rule = {64, 0, 4096, 1048576, 0};
        prompted_upscale(req, &rule, 0.1, 0.5, 0.3, true, p, e);
        break;
    }
    case STAB_CONTROL_STYLE: {
        static const stab_image_rule rule = {64, 0, 4096, MAX_PIXELS, 2.5};
        double fidelity;
        stab_image(req, "image", true, &rule, &img, e);
        stab_text(req, "prompt", true, PROMPT_MAX, e);
        stab_text(req, "negative_prompt", false, PROMPT_MAX, e);
        const char *ratio = stab_enum(req, "aspect_ratio", aspect_ratios, "1:1", e);
        stab_number(req, "fidelity", 0, 1, 0.5, &fidelity, e);
        stab_common_fields(req, all_formats, true, p, e);
        stab_megapixel_size(ratio ? ratio : "1:1", 0, 0, &p->width, &p->height);
        break;
    }
    default:
        style_transfer(req, p, e);
        break;
    }
    return e->count ? -1 : 0;
}
