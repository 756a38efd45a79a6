/* priority_order.c - ranks candidates by the call's priority (see
 * candidates.h and priority.h). */
#include <math.h>

#include "providers/fallback/candidates.h"

double ig_latency_seed_s(const ig_config *config, ig_provider_id provider, ig_operation op)
{
    double configured = config->providers[provider].typical_seconds;
    return configured > 0 ? configured : ig_typical_seconds(provider, op);
}

/* The value c is ranked by, lower first. */
static double sort_key(const ig_priority_rule *rule, const ig_candidate *c)
{
    switch (rule->rank_by) {
    case IG_RANK_BY_CAPABILITIES:
        return -c->rank_value;
    case IG_RANK_BY_LATENCY:
        return c->rank_value;
    case IG_RANK_BY_PRICE:
        return c->cost.known ? c->rank_value : INFINITY;
    default:
        return 0;
    }
}

/* Whether a goes before b. */
static bool better(const ig_priority_rule *rule, const ig_candidate *a, const ig_candidate *b)
{
    double ka = sort_key(rule, a), kb = sort_key(rule, b);
    if (ka != kb)
        return ka < kb;
    return ig_priority_list_rank(rule, a->provider) < ig_priority_list_rank(rule, b->provider);
}

void ig_priority_order(const ig_config *config, ig_routing_state *state, ig_priority priority,
                       ig_operation op, ig_candidate **list, int count)
{
    const ig_priority_rule *rule = ig_priority_rule_of(priority);
    for (int i = 0; i < count; i++) {
        ig_candidate *c = list[i];
        c->rank_observed = false;
        if (rule->rank_by == IG_RANK_BY_CAPABILITIES)
            c->rank_value = ig_priority_points(rule, &c->caps);
        else if (rule->rank_by == IG_RANK_BY_LATENCY)
            c->rank_value = ig_latency_estimate_s(state, c->provider, op,
                                                  ig_latency_seed_s(config, c->provider, op),
                                                  &c->rank_observed);
        else if (rule->rank_by == IG_RANK_BY_PRICE)
            c->rank_value = c->cost.usd;
        else
            c->rank_value = ig_priority_list_rank(rule, c->provider);
    }
    for (int i = 1; i < count; i++) { /* insertion sort: stable, at most 8 */
        ig_candidate *c = list[i];
        int j = i;
        for (; j > 0 && better(rule, c, list[j - 1]); j--)
            list[j] = list[j - 1];
        list[j] = c;
    }
}
