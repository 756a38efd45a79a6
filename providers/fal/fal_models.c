/* fal_models.c - fal models as capability data (facts: provider-apis.md
 * section 4 and fal's model pages). The model id is also the queue path:
 * POST {base}/<model id>. */
#include "providers/fal/fal.h"

#define PNG_JPEG (IG_FMT_PNG | IG_FMT_JPEG) /* output_format jpeg|png */
/* No documented prompt limit; FLUX's T5 encoder reads ~512 tokens anyway. */
#define PROMPT_MAX 50000
#define GEN IG_OP_BIT(IG_OP_GENERATE)
#define EDIT IG_OP_BIT(IG_OP_EDIT)

/* image_size {width, height}: fal documents no hard bounds; these are ours
 * (FLUX works in 16-pixel latents and is trained up to ~2 MP). */
#define FREE_SIZES .min_side = 256, .max_side = 2048, .size_step = 16, \
                   .max_pixels = 2048L * 2048L

const ig_model_caps ig_fal_models[] = {
    /* Every fal FLUX endpoint here takes num_inference_steps and
     * guidance_scale (cfg_steps). */
    {.model = FAL_FLUX_DEV, .operations = GEN, .seed = true, .cfg_steps = true, .max_n = 4,
     .max_prompt_chars = PROMPT_MAX, FREE_SIZES, .output_formats = PNG_JPEG},
    /* The character-reference model: reference_image_url + id_weight. It
     * takes neither num_images nor output_format: one JPEG per request. */
    {.model = FAL_PULID, .operations = GEN, .reference_image = true, .negative_prompt = true,
     .seed = true, .cfg_steps = true, .max_n = 1, .max_prompt_chars = PROMPT_MAX, FREE_SIZES,
     .output_formats = IG_FMT_JPEG},
    {.model = FAL_IMG2IMG, .operations = EDIT, .edit_modes = IG_MODE_BIT(IG_EDIT_IMG2IMG),
     .seed = true, .cfg_steps = true, .max_n = 4, .max_prompt_chars = PROMPT_MAX,
     .input_sets_size = true, .output_formats = PNG_JPEG},
    /* Inpainting, and outpainting as inpainting of a padded canvas. */
    {.model = FAL_INPAINT, .operations = EDIT,
     .edit_modes = IG_MODE_BIT(IG_EDIT_INPAINT) | IG_MODE_BIT(IG_EDIT_OUTPAINT),
     .mask = true, .seed = true, .cfg_steps = true, .max_n = 4, .max_prompt_chars = PROMPT_MAX,
     .input_sets_size = true, .output_formats = PNG_JPEG},
    {.model = FAL_ESRGAN, .operations = IG_OP_BIT(IG_OP_UPSCALE), .max_n = 1,
     .input_sets_size = true, .output_formats = IG_FMT_PNG},
    {0},
};

const char *ig_fal_default_model(ig_operation op, const ig_request *req)
{
    switch (op) {
    case IG_OP_GENERATE:
        /* PuLID for every consistency mode, with id_weight per mode
         * (ig_fal_id_weight): it keeps the prompt, Redux would not. */
        return req->image_refs[IG_ROLE_REFERENCE] ? FAL_PULID : FAL_FLUX_DEV;
    case IG_OP_EDIT:
        return req->mode == IG_EDIT_INPAINT || req->mode == IG_EDIT_OUTPAINT ? FAL_INPAINT
                                                                              : FAL_IMG2IMG;
    case IG_OP_UPSCALE:
        return FAL_ESRGAN;
    default:
        return NULL;
    }
}

double ig_fal_id_weight(ig_consistency mode)
{
    return mode == IG_CONSISTENCY_STRICT ? 1.0 : mode == IG_CONSISTENCY_LOOSE ? 0.5 : 0.8;
}
