/* openai_models.c - OpenAI image models as capability data (facts:
 * ../shared/reference/provider-apis.md section 1 and the OpenAI spec). */
#include "providers/openai/openai.h"

#include <string.h>

static const char *const gpt_sizes[] = {"1024x1024", "1536x1024", "1024x1536", NULL};
static const char *const gpt_qualities[] = {"low", "medium", "high", NULL};
static const char *const dalle3_sizes[] = {"1024x1024", "1792x1024", "1024x1792", NULL};
static const char *const dalle3_qualities[] = {"standard", "hd", NULL};
static const char *const dalle3_styles[] = {"vivid", "natural", NULL};
static const char *const dalle2_sizes[] = {"256x256", "512x512", "1024x1024", NULL};

#define ALL_FORMATS (IG_FMT_PNG | IG_FMT_JPEG | IG_FMT_WEBP)
#define GPT_EDIT_MODES                                                         \
    (IG_MODE_BIT(IG_EDIT_IMG2IMG) | IG_MODE_BIT(IG_EDIT_INPAINT) |             \
     IG_MODE_BIT(IG_EDIT_OUTPAINT))

/* The gpt-image family shares one shape; gpt-image-2 takes free sizes. */
#define GPT_IMAGE(name)                                                        \
    {.model = name, .operations = IG_OP_BIT(IG_OP_GENERATE) | IG_OP_BIT(IG_OP_EDIT), \
     .edit_modes = GPT_EDIT_MODES, .mask = true, .transparent_background = true, \
     .text_rendering = true, .max_n = 10, .max_prompt_chars = 32000,          \
     .sizes = gpt_sizes, .qualities = gpt_qualities, .output_formats = ALL_FORMATS}

const ig_model_caps ig_openai_models[] = {
    GPT_IMAGE("gpt-image-1"),
    GPT_IMAGE("gpt-image-1-mini"),
    GPT_IMAGE("gpt-image-1.5"),
    {.model = "gpt-image-2", .operations = IG_OP_BIT(IG_OP_GENERATE) | IG_OP_BIT(IG_OP_EDIT),
     .edit_modes = GPT_EDIT_MODES, .mask = true, .transparent_background = true,
     .text_rendering = true, .max_n = 10, .max_prompt_chars = 32000, .min_side = 256,
     .max_side = 3840, .size_step = 16, .max_aspect = 3.0, .max_pixels = 3840L * 2160,
     .qualities = gpt_qualities, .output_formats = ALL_FORMATS},
    {.model = "dall-e-3", .operations = IG_OP_BIT(IG_OP_GENERATE), .text_rendering = true,
     .max_n = 1,
     .max_prompt_chars = 4000, .sizes = dalle3_sizes, .qualities = dalle3_qualities,
     .styles = dalle3_styles,
     .output_formats = IG_FMT_PNG},
    {.model = "dall-e-2",
     .operations = IG_OP_BIT(IG_OP_GENERATE) | IG_OP_BIT(IG_OP_EDIT) | IG_OP_BIT(IG_OP_VARIATE),
     /* dall-e-2 edits take a square PNG only, so no outpaint canvas. */
     .edit_modes = IG_MODE_BIT(IG_EDIT_INPAINT), .mask = true,
     .max_n = 10, .max_prompt_chars = 1000, .sizes = dalle2_sizes,
     .output_formats = IG_FMT_PNG},
    {0},
};

const char *ig_openai_default_model(ig_operation op, const ig_request *req)
{
    (void)req;
    switch (op) {
    case IG_OP_GENERATE:
    case IG_OP_EDIT:
        return "gpt-image-1";
    case IG_OP_VARIATE:
        return "dall-e-2"; /* the only model with a variations endpoint */
    default:
        return NULL;
    }
}

bool ig_openai_is_gpt_image(const char *model)
{
    return !strncmp(model, "gpt-image", 9);
}
