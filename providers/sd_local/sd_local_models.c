/* sd_local_models.c - what a local Stable Diffusion server can do, as data
 * (see sd_local.h; facts: provider-apis.md sections 7 and 8). */
#include "providers/sd_local/sd_local.h"

#define MODES                                                                 \
    (IG_MODE_BIT(IG_EDIT_IMG2IMG) | IG_MODE_BIT(IG_EDIT_INPAINT) |            \
     IG_MODE_BIT(IG_EDIT_OUTPAINT))

const ig_model_caps ig_sd_local_models[] = {
    /* Any checkpoint: sizes on the latent grid of 8 (snapped to 64 unless
     * imageGeneration.providers.stable-diffusion-local.sizeMultiple says
     * otherwise), up to 2048 a side and 4 MP, which SDXL-class models still
     * handle. Steps and cfg are the server's to take. Batches of up to 8
     * share one job. Both servers write PNG. */
    {.model = IG_SD_MODEL_CHECKPOINT, .operations = IG_OP_BIT(IG_OP_GENERATE) |
     IG_OP_BIT(IG_OP_EDIT), .edit_modes = MODES, .mask = true, .reference_image = true,
     .negative_prompt = true, .seed = true, .cfg_steps = true, .max_n = 8,
     .max_prompt_chars = 20000, .min_side = 64, .max_side = 2048, .size_step = 8,
     .max_aspect = 4,
     .max_pixels = 2048L * 2048, .input_sets_size = true, .output_formats = IG_FMT_PNG},
    /* An upscaler model (A1111 extras, ComfyUI ImageUpscaleWithModel). */
    {.model = IG_SD_MODEL_UPSCALER, .operations = IG_OP_BIT(IG_OP_UPSCALE), .max_n = 1,
     .input_sets_size = true, .output_formats = IG_FMT_PNG},
    {0},
};

const char *ig_sd_local_default_model(ig_operation op, const ig_request *req)
{
    (void)req;
    switch (op) {
    case IG_OP_GENERATE:
    case IG_OP_EDIT:
        return IG_SD_MODEL_CHECKPOINT;
    case IG_OP_UPSCALE:
        return IG_SD_MODEL_UPSCALER;
    default:
        return NULL;
    }
}

const char *ig_sd_server_name(ig_sd_server server)
{
    return server == IG_SD_A1111 ? "automatic1111" : server == IG_SD_COMFYUI ? "comfyui"
                                                                             : "unknown";
}
