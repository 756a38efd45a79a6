/*
 * priority_table.c - the priorities as data (see priority.h), and the
 * typical call times that seed the speed ranking.
 *
 * The lists follow the skill's provider selection guide: quality (OpenAI
 * gpt-image: fidelity, prompt adherence, text in images), control
 * (Stability: negative prompts, style presets, cfg/steps), speed (BFL Flux
 * Pro, fal), variety (Replicate's community models), cost (OpenRouter, the
 * cheapest route), privacy (local Stable Diffusion or the embedded
 * provider: nothing leaves the machine). README "Priorities" and SKILL.md
 * show this table; change them together.
 */
#include <string.h>

#include "providers/fallback/priority.h"

#define OPENAI IG_PROVIDER_OPENAI
#define STABILITY IG_PROVIDER_STABILITY
#define BFL IG_PROVIDER_BFL
#define FAL IG_PROVIDER_FAL
#define REPLICATE IG_PROVIDER_REPLICATE
#define OPENROUTER IG_PROVIDER_OPENROUTER
#define SD_LOCAL IG_PROVIDER_SD_LOCAL
#define LOCAL IG_PROVIDER_LOCAL

static const ig_priority_rule rules[IG_PRIORITY_COUNT] = {
    [IG_PRIORITY_NONE] = {"none", IG_RANK_BY_LIST, {0}, {-1}, false,
                          "the default order"},
    [IG_PRIORITY_QUALITY] = {"quality", IG_RANK_BY_CAPABILITIES,
                             {.text_rendering = 4},
                             {OPENAI, BFL, OPENROUTER, STABILITY, FAL, REPLICATE, SD_LOCAL,
                              LOCAL, -1},
                             false,
                             "models that render text in images first; then fidelity and "
                             "prompt adherence (OpenAI gpt-image, FLUX Pro)"},
    [IG_PRIORITY_CONTROL] = {"control", IG_RANK_BY_CAPABILITIES,
                             {.negative_prompt = 2, .style_presets = 2, .cfg_steps = 2,
                              .seed = 1},
                             {STABILITY, SD_LOCAL, FAL, REPLICATE, BFL, OPENAI, OPENROUTER,
                              LOCAL, -1},
                             false,
                             "models with negative prompts, style presets, cfg/steps and "
                             "seeds first (Stability, local Stable Diffusion)"},
    [IG_PRIORITY_SPEED] = {"speed", IG_RANK_BY_LATENCY, {0},
                           {FAL, BFL, REPLICATE, STABILITY, OPENROUTER, SD_LOCAL, OPENAI,
                            LOCAL, -1},
                           false,
                           "the lowest observed call time for this operation in this "
                           "instance (seeded from typical figures: fal, BFL Flux Pro)"},
    [IG_PRIORITY_VARIETY] = {"variety", IG_RANK_BY_LIST, {0},
                             {REPLICATE, FAL, OPENROUTER, SD_LOCAL, STABILITY, BFL, OPENAI,
                              LOCAL, -1},
                             false,
                             "hosts of many community models first (Replicate, fal, "
                             "OpenRouter)"},
    [IG_PRIORITY_COST] = {"cost", IG_RANK_BY_PRICE, {0},
                          {SD_LOCAL, LOCAL, OPENROUTER, REPLICATE, FAL, STABILITY, BFL,
                           OPENAI, -1},
                          false,
                          "the lowest price estimate for this very request (size, "
                          "quality, n); unknown prices last"},
    [IG_PRIORITY_PRIVACY] = {"privacy", IG_RANK_BY_LIST, {0}, {SD_LOCAL, LOCAL, -1}, true,
                             "only local Stable Diffusion on this machine or a named "
                             "private address, and the embedded provider"},
};

/*
 * Seconds one call typically takes, per operation (generate, edit, upscale,
 * variate, transfer_style), for each provider's default model at about 1 MP:
 * from the providers' documentation and public benchmarks (2026-11), rounded.
 * Local Stable Diffusion assumes a mid-range GPU. Only the order matters,
 * and observed times replace these after the first calls.
 */
static const double typical_seconds[IG_PROVIDER_COUNT][IG_OP_COUNT] = {
    [IG_PROVIDER_OPENAI] = {30, 35, 30, 10, 35},
    [IG_PROVIDER_STABILITY] = {6, 8, 10, 8, 10},
    [IG_PROVIDER_BFL] = {5, 8, 8, 8, 8},
    [IG_PROVIDER_FAL] = {4, 5, 4, 5, 5},
    [IG_PROVIDER_REPLICATE] = {6, 10, 8, 10, 10},
    [IG_PROVIDER_OPENROUTER] = {10, 12, 12, 12, 12},
    [IG_PROVIDER_SD_LOCAL] = {10, 12, 5, 12, 12},
    [IG_PROVIDER_LOCAL] = {3, 3, 3, 3, 3},
};

const ig_priority_rule *ig_priority_rule_of(ig_priority priority)
{
    return &rules[priority < IG_PRIORITY_COUNT ? priority : IG_PRIORITY_NONE];
}

int ig_priority_find(const char *name)
{
    if (!name)
        return IG_PRIORITY_NONE;
    for (int p = IG_PRIORITY_QUALITY; p < IG_PRIORITY_COUNT; p++)
        if (!strcmp(rules[p].name, name))
            return p;
    return -1;
}

int ig_priority_points(const ig_priority_rule *rule, const ig_model_caps *caps)
{
    const ig_caps_points *p = &rule->points;
    return p->text_rendering * caps->text_rendering +
           p->negative_prompt * caps->negative_prompt +
           p->style_presets * (caps->styles != NULL) + p->cfg_steps * caps->cfg_steps +
           p->seed * caps->seed + p->mask * caps->mask +
           p->reference_image * caps->reference_image;
}

int ig_priority_list_rank(const ig_priority_rule *rule, ig_provider_id provider)
{
    for (int i = 0; rule->list[i] >= 0; i++)
        if (rule->list[i] == (int)provider)
            return i;
    return IG_PROVIDER_COUNT + (int)provider;
}

double ig_typical_seconds(ig_provider_id provider, ig_operation op)
{
    return typical_seconds[provider][op];
}
