/* bfl_models.c - FLUX models as capability data (facts: provider-apis.md
 * section 3 and ../shared/specs/bfl.openapi.json). The model id is also the
 * endpoint: POST /v1/<model>. */
#include "providers/bfl/bfl.h"

static const char *const ratios[] = {"21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5",
                                     "3:4",  "2:3",  "9:16", "9:21", NULL};

#define ALL_FORMATS (IG_FMT_PNG | IG_FMT_JPEG | IG_FMT_WEBP)
/* No documented prompt limit; the text encoder reads ~512 tokens anyway. */
#define PROMPT_MAX 50000
#define GEN IG_OP_BIT(IG_OP_GENERATE)

/* flux-pro-1.1 and flux-dev: free sizes 256..1440 in steps of 32; the pro
 * models are sold for typography, dev takes steps and guidance. */
#define FREE_SIZE(name, text, cfg)                                             \
    {.model = name, .operations = GEN, .reference_image = true, .seed = true,  \
     .text_rendering = text, .cfg_steps = cfg,                                 \
     .max_n = 1, .max_prompt_chars = PROMPT_MAX, .min_side = 256, .max_side = 1440, \
     .size_step = 32, .output_formats = ALL_FORMATS}

/* Kontext edits, takes references and a second image for style. */
#define KONTEXT(name)                                                          \
    {.model = name,                                                            \
     .operations = GEN | IG_OP_BIT(IG_OP_EDIT) | IG_OP_BIT(IG_OP_TRANSFER_STYLE), \
     .edit_modes = IG_MODE_BIT(IG_EDIT_IMG2IMG), .reference_image = true, .seed = true, \
     .text_rendering = true, .max_n = 1, .max_prompt_chars = PROMPT_MAX,      \
     .aspect_ratios = ratios, .output_formats = ALL_FORMATS}

const ig_model_caps ig_bfl_models[] = {
    FREE_SIZE("flux-pro-1.1", true, false),
    {.model = "flux-pro-1.1-ultra", .operations = GEN, .reference_image = true,
     .seed = true, .text_rendering = true, .max_n = 1, .max_prompt_chars = PROMPT_MAX,
     .aspect_ratios = ratios, .output_formats = ALL_FORMATS},
    FREE_SIZE("flux-dev", false, true),
    KONTEXT("flux-kontext-pro"),
    KONTEXT("flux-kontext-max"),
    {.model = "flux-pro-1.0-fill", .operations = IG_OP_BIT(IG_OP_EDIT),
     .edit_modes = IG_MODE_BIT(IG_EDIT_INPAINT), .mask = true, .seed = true,
     .cfg_steps = true, .max_n = 1,
     .max_prompt_chars = PROMPT_MAX, .input_sets_size = true, .output_formats = ALL_FORMATS},
    {.model = "flux-pro-1.0-expand", .operations = IG_OP_BIT(IG_OP_EDIT),
     .edit_modes = IG_MODE_BIT(IG_EDIT_OUTPAINT), .seed = true, .cfg_steps = true,
     .max_n = 1,
     .max_prompt_chars = PROMPT_MAX, .input_sets_size = true, .output_formats = ALL_FORMATS},
    {0},
};

const char *ig_bfl_default_model(ig_operation op, const ig_request *req)
{
    switch (op) {
    case IG_OP_GENERATE:
        /* Kontext keeps a character's identity from a reference; Redux
         * (image_prompt on flux-pro-1.1) only borrows its look. */
        return req->image_refs[IG_ROLE_REFERENCE] && req->consistency != IG_CONSISTENCY_LOOSE
                   ? "flux-kontext-pro"
                   : "flux-pro-1.1";
    case IG_OP_EDIT:
        return req->mode == IG_EDIT_INPAINT    ? "flux-pro-1.0-fill"
               : req->mode == IG_EDIT_OUTPAINT ? "flux-pro-1.0-expand"
                                               : "flux-kontext-pro";
    case IG_OP_TRANSFER_STYLE:
        return "flux-kontext-pro";
    default:
        return NULL;
    }
}
