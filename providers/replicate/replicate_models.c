/* replicate_models.c - Replicate's image models as capability data (facts:
 * provider-apis.md section 5, each model's API page on replicate.com). The
 * model id is owner/name; official models are called by name, community
 * models by a pinned version. */
#include <string.h>

#include "providers/replicate/replicate.h"

/* flux-schnell, flux-dev and flux-redux-dev take these ratios ... */
static const char *const ratios[] = {"21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5",
                                     "3:4",  "2:3",  "9:16", "9:21", NULL};
/* ... flux-1.1-pro has no 21:9 nor 9:21. */
static const char *const pro_ratios[] = {"16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4",
                                         "2:3",  "9:16", NULL};

#define ALL_FORMATS (IG_FMT_PNG | IG_FMT_JPEG | IG_FMT_WEBP)
#define PROMPT_MAX 50000 /* no documented limit; T5 reads ~512 tokens anyway */
#define GEN IG_OP_BIT(IG_OP_GENERATE)
#define EDIT IG_OP_BIT(IG_OP_EDIT)

/*
 * Community models have no name endpoint: their versions are pinned here.
 * Both hashes are the "latest version" shown on the models' API pages
 * (replicate.com/nightmareai/real-esrgan/api, replicate.com/zsxkib/flux-pulid
 * /api) and the ones public client code runs, read 2026-11-24. A new
 * version needs a new hash here (or model "owner/name:<hash>" in a call).
 */
#define REAL_ESRGAN "nightmareai/real-esrgan"
#define PULID "zsxkib/flux-pulid"
static const struct {
    const char *model, *version;
} versions[] = {
    {REAL_ESRGAN, "42fed1c4974146d4d2414e2be2c5277c7fcf05fcc3a73abf41610695738c1d7b"},
    {PULID, "8baa7ef2255075b46f4d91cd238c21d31181b3e6a864463f967960bb0112525b"},
};

const ig_model_caps ig_replicate_models[] = {
    {.model = "black-forest-labs/flux-schnell", .operations = GEN, .seed = true, .max_n = 4,
     .max_prompt_chars = PROMPT_MAX, .aspect_ratios = ratios, .output_formats = ALL_FORMATS},
    /* img2img with image + prompt_strength; steps and guidance. */
    {.model = "black-forest-labs/flux-dev", .operations = GEN | EDIT, .cfg_steps = true,
     .edit_modes = IG_MODE_BIT(IG_EDIT_IMG2IMG), .seed = true, .max_n = 4,
     .max_prompt_chars = PROMPT_MAX, .aspect_ratios = ratios, .output_formats = ALL_FORMATS},
    /* image_prompt is Redux: a loose reference (look, not identity). Sold
     * for typography. */
    {.model = "black-forest-labs/flux-1.1-pro", .operations = GEN, .reference_image = true,
     .seed = true, .text_rendering = true, .max_n = 1, .max_prompt_chars = PROMPT_MAX,
     .aspect_ratios = pro_ratios, .output_formats = ALL_FORMATS},
    /* Variations of redux_image; it takes no prompt (warned when given). */
    {.model = "black-forest-labs/flux-redux-dev", .operations = GEN, .reference_image = true,
     .seed = true, .max_n = 4, .max_prompt_chars = PROMPT_MAX, .aspect_ratios = ratios,
     .output_formats = ALL_FORMATS},
    /* Inpaint (mask white = change); outpaint as a padded canvas + a mask
     * made locally (image_ops). Output keeps the input's size. */
    {.model = "black-forest-labs/flux-fill-pro", .operations = EDIT,
     .edit_modes = IG_MODE_BIT(IG_EDIT_INPAINT) | IG_MODE_BIT(IG_EDIT_OUTPAINT), .mask = true,
     .seed = true, .cfg_steps = true, .max_n = 1, .max_prompt_chars = PROMPT_MAX,
     .input_sets_size = true, .output_formats = IG_FMT_PNG | IG_FMT_JPEG},
    {.model = REAL_ESRGAN, .operations = IG_OP_BIT(IG_OP_UPSCALE), .max_n = 1,
     .input_sets_size = true, .output_formats = IG_FMT_PNG},
    /* PuLID: identity from main_face_image with id_weight; free sizes. */
    {.model = PULID, .operations = GEN, .reference_image = true, .negative_prompt = true,
     .seed = true, .cfg_steps = true, .max_n = 4, .max_prompt_chars = PROMPT_MAX, .min_side = 256,
     .max_side = 1536, .size_step = 32, .output_formats = ALL_FORMATS},
    {0},
};

const char *ig_replicate_version(const char *model)
{
    const char *colon = strchr(model, ':');
    if (colon)
        return colon + 1;
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++)
        if (!strcmp(versions[i].model, model))
            return versions[i].version;
    return NULL;
}

double ig_replicate_id_weight(ig_consistency mode)
{
    /* PuLID's id_weight runs 0-3 (default 1): above 1 the face is locked
     * harder at some cost to the prompt's freedom. */
    return mode == IG_CONSISTENCY_STRICT     ? 1.3
           : mode == IG_CONSISTENCY_BALANCED ? 0.8
           : mode == IG_CONSISTENCY_LOOSE    ? 0.5
                                             : 1.0;
}

const char *ig_replicate_default_model(ig_operation op, const ig_request *req)
{
    switch (op) {
    case IG_OP_GENERATE:
        /* PuLID keeps a face's identity; Redux (image_prompt) only its look. */
        if (req->image_refs[IG_ROLE_REFERENCE])
            return req->consistency == IG_CONSISTENCY_LOOSE ? "black-forest-labs/flux-1.1-pro"
                                                            : PULID;
        return "black-forest-labs/flux-schnell";
    case IG_OP_EDIT:
        return req->mode == IG_EDIT_INPAINT || req->mode == IG_EDIT_OUTPAINT
                   ? "black-forest-labs/flux-fill-pro"
                   : "black-forest-labs/flux-dev";
    case IG_OP_UPSCALE:
        return REAL_ESRGAN;
    default:
        return NULL;
    }
}
