/* openrouter_models.c - image models reachable through OpenRouter, as
 * capability data (facts: provider-apis.md section 6). Each takes an
 * aspect ratio, one image per request, and input images for edits and
 * references. */
#include "providers/openrouter/openrouter.h"

#include <string.h>

static const char *const ratios[] = {"1:1", "2:3", "3:2", "3:4", "4:3", "4:5",
                                     "5:4", "9:16", "16:9", "21:9", NULL};

#define CHAT_IMAGE_MODEL(name)                                                 \
    {.model = name, .operations = IG_OP_BIT(IG_OP_GENERATE) | IG_OP_BIT(IG_OP_EDIT), \
     .edit_modes = IG_MODE_BIT(IG_EDIT_IMG2IMG), .reference_image = true,      \
     .text_rendering = true, .max_n = 1, .max_prompt_chars = 32000,           \
     .aspect_ratios = ratios, .output_formats = IG_FMT_PNG}

const ig_model_caps ig_openrouter_models[] = {
    CHAT_IMAGE_MODEL("google/gemini-2.5-flash-image"),
    CHAT_IMAGE_MODEL("google/gemini-3-pro-image-preview"),
    CHAT_IMAGE_MODEL("black-forest-labs/flux.2-pro"),
    CHAT_IMAGE_MODEL("black-forest-labs/flux.2-flex"),
    CHAT_IMAGE_MODEL("openai/gpt-5-image-mini"),
    {0},
};

const char *ig_openrouter_default_model(ig_operation op, const ig_request *req)
{
    (void)req;
    return op == IG_OP_GENERATE || op == IG_OP_EDIT ? "google/gemini-2.5-flash-image" : NULL;
}

bool ig_openrouter_image_only(const char *model)
{
    return !strncmp(model, "black-forest-labs/", 18);
}

bool ig_openrouter_takes_image_size(const char *model)
{
    return !strcmp(model, "google/gemini-3-pro-image-preview");
}
