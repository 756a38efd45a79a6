/*
 * priority.h - what the user cares about most for a call (the tools'
 * `priority`, default imageGeneration.priority), as routing data.
 *
 * Each priority is one row of a table (priority_table.c): how it orders the
 * providers that can serve the call (by the chosen model's capabilities, by
 * observed latency, by the price estimate of this very request, or by a
 * fixed list), the fixed list that breaks ties, and, for privacy, that only
 * providers which keep data on this machine may be used at all. Ordering
 * happens before providerPreferences: preferred providers, weights and the
 * blocked list still win. Static data; any thread.
 */
#ifndef IG_PRIORITY_H
#define IG_PRIORITY_H

#include <stdbool.h>

#include "providers/catalog.h"
#include "providers/model_caps.h"

typedef enum ig_priority {
    IG_PRIORITY_NONE,
    IG_PRIORITY_QUALITY,
    IG_PRIORITY_CONTROL,
    IG_PRIORITY_SPEED,
    IG_PRIORITY_VARIETY,
    IG_PRIORITY_COST,
    IG_PRIORITY_PRIVACY,
    IG_PRIORITY_COUNT
} ig_priority;

/* What a priority orders providers by (the best first). */
typedef enum ig_rank_by {
    IG_RANK_BY_LIST,         /* the row's provider list alone */
    IG_RANK_BY_CAPABILITIES, /* points for the chosen model's capabilities */
    IG_RANK_BY_LATENCY,      /* observed seconds for the operation, lowest */
    IG_RANK_BY_PRICE,        /* this request's estimated cost, lowest */
} ig_rank_by;

/* Points a model earns for its capabilities (IG_RANK_BY_CAPABILITIES). */
typedef struct ig_caps_points {
    int text_rendering, negative_prompt, style_presets, cfg_steps, seed, mask,
        reference_image;
} ig_caps_points;

typedef struct ig_priority_rule {
    const char *name;                    /* "quality": the argument's value */
    ig_rank_by rank_by;
    ig_caps_points points;
    /* Ties (and IG_RANK_BY_LIST) follow this order; providers missing from
     * it come after, in the default order. Terminated by -1. */
    int list[IG_PROVIDER_COUNT + 1];
    bool private_only;                   /* nothing may leave this machine */
    const char *why;                     /* one line for docs and results */
} ig_priority_rule;

/* The rule of a priority (NONE included: the default order). */
const ig_priority_rule *ig_priority_rule_of(ig_priority priority);

/* Looks a priority up by name; IG_PRIORITY_NONE when name is NULL, -1 when
 * unknown. */
int ig_priority_find(const char *name);

/* A model's capability points under rule. */
int ig_priority_points(const ig_priority_rule *rule, const ig_model_caps *caps);

/* Position of provider in rule's list (IG_PROVIDER_COUNT + its default
 * position when the list does not name it): lower comes first. */
int ig_priority_list_rank(const ig_priority_rule *rule, ig_provider_id provider);

/* Documented typical seconds of one call of provider for op (the latency
 * estimate before this instance has observed any), > 0. */
double ig_typical_seconds(ig_provider_id provider, ig_operation op);

#endif
