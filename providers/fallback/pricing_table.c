/*
 * pricing_table.c - the providers' published prices per output image.
 *
 * Sources (each provider's own pricing page, read 2026-11-24):
 *   OpenAI   platform.openai.com/docs/pricing (image generation per image;
 *            edits also pay input-image tokens, not counted here)
 *   Stability platform.stability.ai/pricing (credits; 1 credit = $0.01)
 *   BFL      docs.bfl.ml/quick_start/pricing (credits; 1 credit = $0.01)
 *   OpenRouter openrouter.ai/models (per-image output price)
 *   fal      fal.ai/models/<model id> (per megapixel of output; the rows are
 *            per image at 1 MP). flux/dev: $0.025/MP as its page
 *            states; flux-lora/inpainting: $0.035/MP (the FLUX.1
 *            [dev] LoRA rate). Unsure, estimates: flux/dev/image-to-image
 *            $0.03 (per MP), flux-pulid $0.03 (per image, from a third-party
 *            comparison), esrgan $0.002 (billed per compute second, ~1-2 s).
 *   Replicate replicate.com/pricing and each model's page (official FLUX
 *            models are billed per output image). real-esrgan and
 *            flux-pulid are billed by GPU time: their rows are ESTIMATES
 *            (T4 ~$0.000225/s x ~8 s; L40S ~$0.000975/s x ~30 s per image)
 * Models without a row (gpt-image-2, openai/gpt-5-image-mini) have no
 * published per-image price: their estimate is "unknown", and a budget cap
 * skips them. Local providers cost nothing. Config rows override these.
 */
#include "providers/fallback/pricing.h"

#include <stddef.h>

#define GPT(model, q, square, wide)                                             \
    {"openai", model, q, "1024x1024", square}, {"openai", model, q, "1536x1024", wide}, \
        {"openai", model, q, "1024x1536", wide}

const char ig_builtin_prices_source[] = "built-in price table (providers' pricing pages, "
                                        "2026-11-24)";

const ig_price ig_builtin_prices[] = {
    GPT("gpt-image-1", "low", 0.011, 0.016),
    GPT("gpt-image-1", "medium", 0.042, 0.063),
    GPT("gpt-image-1", "high", 0.167, 0.25),
    GPT("gpt-image-1-mini", "low", 0.005, 0.006),
    GPT("gpt-image-1-mini", "medium", 0.011, 0.015),
    GPT("gpt-image-1-mini", "high", 0.036, 0.052),
    GPT("gpt-image-1.5", "low", 0.009, 0.013),
    GPT("gpt-image-1.5", "medium", 0.034, 0.05),
    GPT("gpt-image-1.5", "high", 0.133, 0.2),
    {"openai", "dall-e-3", "standard", "1024x1024", 0.04},
    {"openai", "dall-e-3", "standard", "1792x1024", 0.08},
    {"openai", "dall-e-3", "standard", "1024x1792", 0.08},
    {"openai", "dall-e-3", "hd", "1024x1024", 0.08},
    {"openai", "dall-e-3", "hd", "1792x1024", 0.12},
    {"openai", "dall-e-3", "hd", "1024x1792", 0.12},
    {"openai", "dall-e-2", NULL, "256x256", 0.016},
    {"openai", "dall-e-2", NULL, "512x512", 0.018},
    {"openai", "dall-e-2", NULL, "1024x1024", 0.02},

    {"stability", "ultra", NULL, NULL, 0.08},
    {"stability", "core", NULL, NULL, 0.03},
    {"stability", "sd3.5-large", NULL, NULL, 0.065},
    {"stability", "sd3.5-large-turbo", NULL, NULL, 0.04},
    {"stability", "sd3.5-medium", NULL, NULL, 0.035},
    {"stability", "sd3.5-flash", NULL, NULL, 0.025},
    {"stability", "inpaint", NULL, NULL, 0.05},
    {"stability", "outpaint", NULL, NULL, 0.04},
    {"stability", "fast", NULL, NULL, 0.02},
    {"stability", "conservative", NULL, NULL, 0.40},
    {"stability", "creative", NULL, NULL, 0.60},
    {"stability", "style-transfer", NULL, NULL, 0.08},

    {"bfl", "flux-pro-1.1", NULL, NULL, 0.04},
    {"bfl", "flux-pro-1.1-ultra", NULL, NULL, 0.06},
    {"bfl", "flux-dev", NULL, NULL, 0.025},
    {"bfl", "flux-kontext-pro", NULL, NULL, 0.04},
    {"bfl", "flux-kontext-max", NULL, NULL, 0.08},
    {"bfl", "flux-pro-1.0-fill", NULL, NULL, 0.05},
    {"bfl", "flux-pro-1.0-expand", NULL, NULL, 0.05},

    {"fal", "fal-ai/flux/dev", NULL, NULL, 0.025},
    {"fal", "fal-ai/flux/dev/image-to-image", NULL, NULL, 0.03},
    {"fal", "fal-ai/flux-lora/inpainting", NULL, NULL, 0.035},
    {"fal", "fal-ai/flux-pulid", NULL, NULL, 0.03},
    {"fal", "fal-ai/esrgan", NULL, NULL, 0.002},

    {"openrouter", "google/gemini-2.5-flash-image", NULL, NULL, 0.039},
    {"openrouter", "google/gemini-3-pro-image-preview", NULL, NULL, 0.134},
    {"openrouter", "black-forest-labs/flux.2-pro", NULL, NULL, 0.03},
    {"openrouter", "black-forest-labs/flux.2-flex", NULL, NULL, 0.06},

    {"replicate", "black-forest-labs/flux-schnell", NULL, NULL, 0.003},
    {"replicate", "black-forest-labs/flux-dev", NULL, NULL, 0.025},
    {"replicate", "black-forest-labs/flux-1.1-pro", NULL, NULL, 0.04},
    {"replicate", "black-forest-labs/flux-redux-dev", NULL, NULL, 0.025},
    {"replicate", "black-forest-labs/flux-fill-pro", NULL, NULL, 0.05},
    {"replicate", "nightmareai/real-esrgan", NULL, NULL, 0.002}, /* estimate (GPU time) */
    {"replicate", "zsxkib/flux-pulid", NULL, NULL, 0.03},        /* estimate (GPU time) */

    {"stable-diffusion-local", "*", NULL, NULL, 0},
    {"local", "*", NULL, NULL, 0},
    {0},
};
