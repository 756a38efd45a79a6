/* catalog.c - provider facts as one table (see catalog.h and
 * ../shared/reference/provider-apis.md for where each operation comes from). */
#include "providers/catalog.h"

#include <string.h>

#define OPS(...) (0u | __VA_ARGS__)
#define GEN IG_OP_BIT(IG_OP_GENERATE)
#define EDIT IG_OP_BIT(IG_OP_EDIT)
#define UPSCALE IG_OP_BIT(IG_OP_UPSCALE)
#define VARIATE IG_OP_BIT(IG_OP_VARIATE)
#define STYLE IG_OP_BIT(IG_OP_TRANSFER_STYLE)

/* Order = default priority order when nothing else decides. */
static const ig_provider_info providers[IG_PROVIDER_COUNT] = {
    {IG_PROVIDER_OPENAI, "openai", "OpenAI", "OPENAI_API_KEY",
     "OPENAI_BASE_URL", true, OPS(GEN | EDIT | VARIATE)},
    {IG_PROVIDER_STABILITY, "stability", "Stability AI", "STABILITY_API_KEY",
     "STABILITY_BASE_URL", true, OPS(GEN | EDIT | UPSCALE | STYLE)},
    {IG_PROVIDER_BFL, "bfl", "Black Forest Labs", "BFL_API_KEY",
     "BFL_BASE_URL", true, OPS(GEN | EDIT | STYLE)},
    /* fal's and Replicate's FLUX models take one image, never a content and
     * a style image together: no transfer_style there. */
    {IG_PROVIDER_FAL, "fal", "fal", "FAL_API_KEY", "FAL_BASE_URL", true,
     OPS(GEN | EDIT | UPSCALE)},
    {IG_PROVIDER_REPLICATE, "replicate", "Replicate", "REPLICATE_API_TOKEN",
     "REPLICATE_BASE_URL", true, OPS(GEN | EDIT | UPSCALE)},
    {IG_PROVIDER_OPENROUTER, "openrouter", "OpenRouter", "OPENROUTER_API_KEY",
     "OPENROUTER_BASE_URL", true, OPS(GEN | EDIT)},
    {IG_PROVIDER_SD_LOCAL, "stable-diffusion-local", "Local Stable Diffusion",
     NULL, "STABLE_DIFFUSION_LOCAL_BASE_URL", false,
     OPS(GEN | EDIT | UPSCALE)},
    /* The embedded CPU provider: always available, last by default. */
    {IG_PROVIDER_LOCAL, "local", "Embedded offline provider", NULL, NULL,
     false, OPS(UPSCALE)},
};

static const char *const operation_names[IG_OP_COUNT] = {
    "generate", "edit", "upscale", "variate", "transfer_style"};

const ig_provider_info *ig_provider(ig_provider_id id)
{
    return &providers[id];
}

bool ig_provider_offers(ig_provider_id id, ig_operation op)
{
    return (providers[id].operations & IG_OP_BIT(op)) != 0;
}

int ig_provider_find(const char *name)
{
    for (int i = 0; name && i < IG_PROVIDER_COUNT; i++)
        if (!strcmp(providers[i].name, name))
            return i;
    return -1;
}

const char *ig_operation_name(ig_operation op)
{
    return op < IG_OP_COUNT ? operation_names[op] : "unknown";
}
