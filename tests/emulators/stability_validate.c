/*
 * stability_validate.c - request validation shared by every endpoint
 * (output_format, seed, style_preset, output sizes) and the generate
 * endpoints (ultra, core, sd3). Edit endpoints are in
 * stability_validate_edit.c, upscale and control in
 * stability_validate_upscale.c.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emulators/stability_internal.h"

#define PROMPT_MAX 10000

const char *const stab_endpoint_names[STAB_ENDPOINT_COUNT] = {
    [STAB_GENERATE_ULTRA] = "generate/ultra",
    [STAB_GENERATE_CORE] = "generate/core",
    [STAB_GENERATE_SD3] = "generate/sd3",
    [STAB_EDIT_INPAINT] = "edit/inpaint",
    [STAB_EDIT_OUTPAINT] = "edit/outpaint",
    [STAB_EDIT_ERASE] = "edit/erase",
    [STAB_EDIT_SEARCH_AND_REPLACE] = "edit/search-and-replace",
    [STAB_EDIT_REMOVE_BACKGROUND] = "edit/remove-background",
    [STAB_UPSCALE_FAST] = "upscale/fast",
    [STAB_UPSCALE_CONSERVATIVE] = "upscale/conservative",
    [STAB_UPSCALE_CREATIVE] = "upscale/creative",
    [STAB_CONTROL_STYLE] = "control/style",
    [STAB_CONTROL_STYLE_TRANSFER] = "control/style-transfer",
};

static const char *const style_presets[] = {
    "3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art", "enhance",
    "fantasy-art", "isometric", "line-art", "low-poly", "modeling-compound", "neon-punk",
    "origami", "photographic", "pixel-art", "tile-texture", NULL};

static const char *const aspect_ratios[] = {"21:9", "16:9", "3:2", "5:4", "1:1",
                                            "4:5",  "2:3",  "9:16", "9:21", NULL};

/* The SDXL/SD3 buckets of about one megapixel, landscape side first. */
static const struct {
    const char *ratio;
    int w, h;
} buckets[] = {{"1:1", 1024, 1024}, {"16:9", 1344, 768}, {"21:9", 1536, 640},
               {"3:2", 1216, 832},  {"5:4", 1152, 896}};

void stab_megapixel_size(const char *ratio, int w, int h, int *out_w, int *out_h)
{
    if (ratio) {
        for (size_t i = 0; i < sizeof buckets / sizeof *buckets; i++) {
            char flipped[8];
            const char *colon = strchr(buckets[i].ratio, ':');
            snprintf(flipped, sizeof flipped, "%s:%.*s", colon + 1,
                     (int)(colon - buckets[i].ratio), buckets[i].ratio);
            if (!strcmp(ratio, buckets[i].ratio) || !strcmp(ratio, flipped)) {
                bool portrait = strcmp(ratio, buckets[i].ratio) != 0;
                *out_w = portrait ? buckets[i].h : buckets[i].w;
                *out_h = portrait ? buckets[i].w : buckets[i].h;
                return;
            }
        }
    }
    /* An input image's aspect at ~1 MP, each side a multiple of 64. */
    double target = 1024.0 * 1024.0, aspect = (double)w / h;
    long ow = lround(sqrt(target * aspect) / 64.0) * 64;
    long oh = lround(sqrt(target / aspect) / 64.0) * 64;
    *out_w = ow < 64 ? 64 : (int)ow;
    *out_h = oh < 64 ? 64 : (int)oh;
}

void stab_common_fields(const emu_request *req, const char *const *formats, bool style_preset,
                        stab_params *p, stab_errors *e)
{
    const char *fmt = stab_enum(req, "output_format", formats, "png", e);
    snprintf(p->output_format, sizeof p->output_format, "%s", fmt ? fmt : "png");
    stab_integer(req, "seed", 0, STAB_MAX_SEED, 0, &p->seed, e);
    if (style_preset)
        stab_enum(req, "style_preset", style_presets, NULL, e);
}

/* prompt*, negative_prompt and aspect_ratio of the generate endpoints. */
static const char *generate_texts(const emu_request *req, stab_errors *e)
{
    stab_text(req, "prompt", true, PROMPT_MAX, e);
    stab_text(req, "negative_prompt", false, PROMPT_MAX, e);
    return stab_enum(req, "aspect_ratio", aspect_ratios, "1:1", e);
}

/* image + strength of an image-to-image generation; false when absent. */
static bool img2img_input(const emu_request *req, const stab_image_rule *rule, bool required,
                          emu_probe *img, stab_errors *e)
{
    bool ok = stab_image(req, "image", required, rule, img, e);
    bool given = emu_find_part(req, "image") != NULL;
    double strength;
    if (given && !stab_field(req, "strength"))
        stab_err_add(e, "strength: is required when image is provided");
    else if (given)
        stab_number(req, "strength", 0, 1, 0, &strength, e);
    return ok && img->width > 0;
}

int stab_validate_generate(const emu_request *req, stab_params *p, stab_errors *e)
{
    static const char *const all_formats[] = {"jpeg", "png", "webp", NULL};
    static const char *const sd3_formats[] = {"png", "jpeg", NULL};
    static const char *const modes[] = {"text-to-image", "image-to-image", NULL};
    static const char *const models[] = {"sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium",
                                         "sd3.5-flash", NULL};
    const char *ratio = generate_texts(req, e);
    emu_probe img = {0};
    bool img2img = false;
    if (p->ep == STAB_GENERATE_ULTRA) {
        static const stab_image_rule rule = {64, 16384, 4096, 0, 0};
        stab_common_fields(req, all_formats, true, p, e);
        img2img = img2img_input(req, &rule, false, &img, e);
    } else if (p->ep == STAB_GENERATE_CORE) {
        stab_common_fields(req, all_formats, true, p, e);
    } else {
        static const stab_image_rule rule = {64, 0, 0, 0, 0};
        stab_common_fields(req, sd3_formats, true, p, e);
        const char *mode = stab_enum(req, "mode", modes, "text-to-image", e);
        stab_enum(req, "model", models, "sd3.5-large", e);
        double cfg;
        stab_number(req, "cfg_scale", 1, 10, 4, &cfg, e);
        if (mode && !strcmp(mode, "image-to-image")) {
            img2img = img2img_input(req, &rule, true, &img, e);
        } else if (mode) {
            if (emu_find_part(req, "image"))
                stab_err_add(e, "image: is only valid in image-to-image mode");
            if (emu_find_part(req, "strength"))
                stab_err_add(e, "strength: is only valid in image-to-image mode");
        }
    }
    if (img2img)
        stab_megapixel_size(NULL, img.width, img.height, &p->width, &p->height);
    else
        stab_megapixel_size(ratio ? ratio : "1:1", 0, 0, &p->width, &p->height);
    return e->count ? -1 : 0;
}

int stab_validate(const emu_request *req, stab_endpoint ep, stab_params *p, stab_errors *e)
{
    memset(p, 0, sizeof *p);
    memset(e, 0, sizeof *e);
    p->ep = ep;
    snprintf(p->output_format, sizeof p->output_format, "png");
    switch (ep) {
    case STAB_GENERATE_ULTRA:
    case STAB_GENERATE_CORE:
    case STAB_GENERATE_SD3:
        return stab_validate_generate(req, p, e);
    case STAB_EDIT_INPAINT:
    case STAB_EDIT_OUTPAINT:
    case STAB_EDIT_ERASE:
    case STAB_EDIT_SEARCH_AND_REPLACE:
    case STAB_EDIT_REMOVE_BACKGROUND:
        return stab_validate_edit(req, p, e);
    default:
        return stab_validate_upscale_control(req, p, e);
    }
}
