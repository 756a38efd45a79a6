/* stability_models.c - Stability AI v2beta endpoints as capability data
 * (facts: ../shared/reference/provider-apis.md section 2). Each endpoint
 * without a model parameter is listed under its endpoint name ("inpaint",
 * "fast", "style-transfer"), which is also what results report. */
#include "providers/stability/stability.h"

#include <string.h>

static const char *const ratios[] = {"21:9", "16:9", "3:2", "5:4", "1:1",
                                     "4:5",  "2:3",  "9:16", "9:21", NULL};
static const char *const presets[] = {
    "3d-model",     "analog-film", "anime",      "cinematic",         "comic-book",
    "digital-art",  "enhance",     "fantasy-art", "isometric",        "line-art",
    "low-poly",     "modeling-compound",          "neon-punk",        "origami",
    "photographic", "pixel-art",   "tile-texture", NULL};

#define ALL_FORMATS (IG_FMT_PNG | IG_FMT_JPEG | IG_FMT_WEBP)
#define PROMPT_MAX 10000
#define GEN IG_OP_BIT(IG_OP_GENERATE)
#define EDIT IG_OP_BIT(IG_OP_EDIT)

/* sd3.5 models share the /generate/sd3 endpoint (png or jpeg only), which
 * takes cfg_scale; large is the one sold for typography. */
#define SD3(name, text)                                                        \
    {.model = name, .operations = GEN | EDIT, .edit_modes = IG_MODE_BIT(IG_EDIT_IMG2IMG), \
     .negative_prompt = true, .seed = true, .text_rendering = text, .cfg_steps = true, \
     .max_n = 1, .max_prompt_chars = PROMPT_MAX, .aspect_ratios = ratios,       \
     .input_sets_size = true,                                                   \
     .output_formats = IG_FMT_PNG | IG_FMT_JPEG}

const ig_model_caps ig_stability_models[] = {
    {.model = "ultra", .operations = GEN | EDIT, .edit_modes = IG_MODE_BIT(IG_EDIT_IMG2IMG),
     .negative_prompt = true, .seed = true, .text_rendering = true, .max_n = 1,
     .max_prompt_chars = PROMPT_MAX, .aspect_ratios = ratios, .styles = presets, .input_sets_size = true,
     .output_formats = ALL_FORMATS},
    {.model = "core", .operations = GEN, .negative_prompt = true, .seed = true, .max_n = 1,
     .max_prompt_chars = PROMPT_MAX, .aspect_ratios = ratios, .styles = presets,
     .output_formats = ALL_FORMATS},
    SD3("sd3.5-large", true),
    SD3("sd3.5-large-turbo", false),
    SD3("sd3.5-medium", false),
    SD3("sd3.5-flash", false),
    {.model = "inpaint", .operations = EDIT, .edit_modes = IG_MODE_BIT(IG_EDIT_INPAINT),
     .mask = true, .negative_prompt = true, .seed = true, .max_n = 1,
     .max_prompt_chars = PROMPT_MAX, .styles = presets, .input_sets_size = true,
     .output_formats = ALL_FORMATS},
    {.model = "outpaint", .operations = EDIT, .edit_modes = IG_MODE_BIT(IG_EDIT_OUTPAINT),
     .seed = true, .max_n = 1, .max_prompt_chars = PROMPT_MAX, .styles = presets,
     .input_sets_size = true, .output_formats = ALL_FORMATS},
    {.model = "fast", .operations = IG_OP_BIT(IG_OP_UPSCALE), .max_n = 1,
     .input_sets_size = true, .output_formats = ALL_FORMATS},
    {.model = "conservative", .operations = IG_OP_BIT(IG_OP_UPSCALE), .negative_prompt = true,
     .seed = true, .max_n = 1, .max_prompt_chars = PROMPT_MAX, .input_sets_size = true,
     .output_formats = ALL_FORMATS},
    {.model = "creative", .operations = IG_OP_BIT(IG_OP_UPSCALE), .negative_prompt = true,
     .seed = true, .max_n = 1, .max_prompt_chars = PROMPT_MAX, .styles = presets,
     .input_sets_size = true, .output_formats = ALL_FORMATS},
    {.model = "style-transfer", .operations = IG_OP_BIT(IG_OP_TRANSFER_STYLE),
     .negative_prompt = true, .seed = true, .max_n = 1, .max_prompt_chars = PROMPT_MAX,
     .input_sets_size = true, .output_formats = ALL_FORMATS},
    {0},
};

/* upscale/fast takes 32..1536 pixels per side and at most 1 MP. */
static bool fits_fast_upscale(const ig_image *image)
{
    int w = image->info.width, h = image->info.height;
    return w >= 32 && h >= 32 && w <= 1536 && h <= 1536 && (long)w * h <= 1048576L;
}

const char *ig_stability_default_model(ig_operation op, const ig_request *req)
{
    switch (op) {
    case IG_OP_GENERATE:
        return "core"; /* style presets, fast, the cheapest of the three */
    case IG_OP_EDIT:
        return req->mode == IG_EDIT_INPAINT    ? "inpaint"
               : req->mode == IG_EDIT_OUTPAINT ? "outpaint"
                                               : "sd3.5-large";
    case IG_OP_UPSCALE:
        return fits_fast_upscale(&req->images[IG_ROLE_IMAGE]) ? "fast" : "conservative";
    case IG_OP_TRANSFER_STYLE:
        return "style-transfer";
    default:
        return NULL;
    }
}
