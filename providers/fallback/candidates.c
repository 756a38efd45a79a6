/* candidates.c - see candidates.h. */
#include "providers/fallback/candidates.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/result.h"
#include "providers/backends.h"
#include "providers/fallback/privacy.h"
#include "providers/router.h"

/* True when the model can do the request's operation (and edit mode). */
static bool model_fits(const ig_model_caps *caps, const ig_request *req)
{
    return (caps->operations & IG_OP_BIT(req->op)) &&
           (req->op != IG_OP_EDIT || (caps->edit_modes & IG_MODE_BIT(req->mode)));
}

/* The model to use: the request's, else the config's default when it can do
 * this operation, else the backend's default for the operation. An unknown
 * model name is sent as given with the default model's capabilities
 * (providers add models faster than we do). */
static void choose_model(const ig_config *config, const ig_backend *backend,
                         const ig_request *req, ig_model_caps *caps, cJSON *warnings)
{
    const char *fallback = backend->default_model(req->op, req);
    const char *configured = config->providers[backend->provider].model;
    const char *wanted = req->model;
    if (!wanted && configured) {
        const ig_model_caps *c = ig_backend_model(backend, configured);
        if (!c || model_fits(c, req))
            wanted = configured;
        else
            ig_warnings_add(warnings, "model", "the configured default model \"%s\" cannot "
                            "%s images; %s was used", configured,
                            ig_operation_name(req->op), fallback);
    }
    const ig_model_caps *known = ig_backend_model(backend, wanted ? wanted : fallback);
    if (known) {
        *caps = *known;
        return;
    }
    *caps = *ig_backend_model(backend, fallback);
    caps->model = wanted;
    ig_warnings_add(warnings, "model",
                    "model \"%s\" is not in this extension's table for %s; it was sent "
                    "as given, assuming it behaves like %s", wanted,
                    ig_provider(backend->provider)->name, fallback);
}

static int gcd(int a, int b)
{
    return b ? gcd(b, a % b) : a;
}

/* imageGeneration.providers.<id>.sizeMultiple: free sizes become multiples
 * of both it and the model's step (their least common multiple), so the
 * API's own rule still holds. */
static void snap_sizes(ig_model_caps *caps, int multiple)
{
    if (multiple <= 0 || caps->size_step <= 0)
        return;
    caps->size_step = caps->size_step / gcd(caps->size_step, multiple) * multiple;
}

static void skip(ig_route_plan *plan, const ig_candidate *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records why a configured provider is left out of the plan. */
static void skip(ig_route_plan *plan, const ig_candidate *c, const char *fmt, ...)
{
    char reason[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "provider", ig_provider(c->provider)->name);
    if (c->caps.model)
        cJSON_AddStringToObject(s, "model", c->caps.model);
    cJSON_AddStringToObject(s, "reason", reason);
    cJSON_AddItemToArray(plan->skipped, s);
}

/* Number of set bits: how many requested features a candidate drops. */
static int drops(const ig_candidate *c)
{
    return __builtin_popcount(c->applied.dropped);
}

/* Fills the slot of provider id; returns 0, or -1 with err (negotiation). */
static int prepare(const ig_config *config, const ig_request *req, ig_provider_id id,
                   ig_candidate *c, ig_error *err)
{
    c->provider = id;
    c->backend = ig_backend_for(id);
    c->warnings = cJSON_CreateArray();
    choose_model(config, c->backend, req, &c->caps, c->warnings);
    snap_sizes(&c->caps, config->providers[id].size_multiple);
    if (ig_negotiate(&c->caps, req, &c->applied, c->warnings, err) != 0)
        return -1;
    c->applied.caps = &c->caps;
    ig_price_estimate(config->prices, config->n_prices, ig_provider(id)->name, c->caps.model,
                      c->applied.quality, c->applied.size, c->applied.n, &c->cost);
    return 0;
}

/* Moves one candidate of the best group (fewest dropped features) to the
 * front by weighted draw, when weights name any of them. Returns whether it
 * drew. */
static bool draw_primary(const ig_prefs *prefs, ig_routing_state *state, ig_route_plan *plan)
{
    if (!prefs->has_weights || plan->count < 2)
        return false;
    int best = drops(plan->list[0]), group = 0;
    double total = 0;
    while (group < plan->count && drops(plan->list[group]) == best)
        total += prefs->weight[plan->list[group++]->provider];
    if (total <= 0)
        return false;
    double target = ig_routing_draw(state) * total, sum = 0;
    int chosen = group - 1;
    for (int i = 0; i < group; i++) {
        double w = prefs->weight[plan->list[i]->provider];
        sum += w;
        if (w > 0 && target < sum) {
            chosen = i;
            break;
        }
    }
    while (chosen > 0 && prefs->weight[plan->list[chosen]->provider] <= 0)
        chosen--; /* rounding at the very top: never pick a weight-0 provider */
    ig_candidate *primary = plan->list[chosen];
    memmove(&plan->list[1], &plan->list[0], (size_t)chosen * sizeof plan->list[0]);
    plan->list[0] = primary;
    return true;
}

/* The order to consider providers in: pinned alone, else preferred then
 * the default order. Returns the count. */
static int base_order(const ig_request *req, int *order)
{
    int n = 0;
    bool seen[IG_PROVIDER_COUNT] = {false};
    if (req->pinned_provider >= 0) {
        order[n++] = req->pinned_provider;
        return n;
    }
    for (int i = 0; i < req->prefs.n_preferred; i++)
        if (!seen[req->prefs.preferred[i]]) {
            seen[req->prefs.preferred[i]] = true;
            order[n++] = req->prefs.preferred[i];
        }
    for (int id = 0; id < IG_PROVIDER_COUNT; id++)
        if (!seen[id])
            order[n++] = id;
    return n;
}

/* Whether some provider's table lists model. */
static bool listed_anywhere(const char *model)
{
    for (int id = 0; id < IG_PROVIDER_COUNT; id++)
        if (ig_backend_for(id) && ig_backend_model(ig_backend_for(id), model))
            return true;
    return false;
}

/* Whether a provider may be considered at all (before its model is known). */
static bool usable(const ig_config *config, const ig_request *req, ig_provider_id id)
{
    return ig_provider_offers(id, req->op) && !req->prefs.blocked[id] &&
           ig_provider_configured(config, id);
}

static bool is_preferred(const ig_request *req, ig_provider_id id)
{
    for (int i = 0; i < req->prefs.n_preferred; i++)
        if (req->prefs.preferred[i] == (int)id)
            return true;
    return false;
}

/* Ranks the candidates after the preferred ones by the call's priority. */
static void apply_priority(const ig_config *config, ig_routing_state *state,
                           const ig_request *req, ig_route_plan *plan)
{
    int first = 0;
    while (first < plan->count && is_preferred(req, plan->list[first]->provider))
        first++;
    ig_priority_order(config, state, req->priority, req->op, plan->list + first,
                      plan->count - first);
}

/* What put list[0] first (after the weights' draw, if any). */
static const char *rule_of(const ig_request *req, const ig_route_plan *plan, bool drew)
{
    if (req->pinned_provider >= 0)
        return "pinned";
    if (drew)
        return "weights";
    if (is_preferred(req, plan->list[0]->provider))
        return "preferred";
    return req->priority != IG_PRIORITY_NONE ? "priority" : "default order";
}

/* Candidates that keep every requested feature come first, then those that
 * drop one, and so on; the order within each group is kept. */
static void sort_by_drops(ig_route_plan *plan)
{
    for (int i = 1; i < plan->count; i++) {
        ig_candidate *c = plan->list[i];
        int j = i;
        while (j > 0 && drops(plan->list[j - 1]) > drops(c)) {
            plan->list[j] = plan->list[j - 1];
            j--;
        }
        plan->list[j] = c;
    }
}

/* Why no candidate is left, as err; first_refusal is the first
 * negotiation error (kept when nothing else explains it). */
static int explain_empty(const ig_request *req, int over_budget,
                         double cheapest, int cooling, double soonest_ms,
                         const ig_error *first_refusal, ig_error *err)
{
    if (req->priority == IG_PRIORITY_PRIVACY && !over_budget && !cooling &&
        first_refusal->code == IG_OK) {
        ig_fail(err, IG_ERR_NO_PRIVATE_PROVIDER, "priority",
                "priority privacy: no private provider can %s images (see routing.skipped)",
                ig_operation_name(req->op));
        const char *fix =
            !ig_provider_offers(IG_PROVIDER_SD_LOCAL, req->op) &&
                    !ig_provider_offers(IG_PROVIDER_LOCAL, req->op)
                ? "Neither local Stable Diffusion nor the embedded provider can do this "
                  "operation"
            : req->op == IG_OP_UPSCALE
                ? "Unblock \"local\", or set STABLE_DIFFUSION_LOCAL_BASE_URL"
                : "Set STABLE_DIFFUSION_LOCAL_BASE_URL to a Stable Diffusion server on this "
                  "machine (or in imageGeneration.privateNetworks), unblocked";
        ig_error_hint(err, "%s; or drop priority privacy to let a hosted provider do it "
                           "(the data would then leave this machine). Nothing was sent.",
                      fix);
        return -1;
    }
    if (over_budget) {
        ig_fail(err, IG_ERR_BUDGET_EXCEEDED, "maxCostUsd",
                "no provider can do this within maxCostUsd $%.4g (%d over budget or "
                "without a known price)", req->max_cost_usd, over_budget);
        if (cheapest > 0)
            ig_error_hint(err, "The cheapest estimate is $%.4g: raise maxCostUsd to at least "
                               "that, or ask for fewer, smaller or lower-quality images. "
                               "Nothing was spent.", cheapest);
        else
            ig_error_hint(err, "No candidate has a known price: add one in "
                               "imageGeneration.prices, or drop maxCostUsd. Nothing was "
                               "spent.");
        return -1;
    }
    if (cooling) {
        ig_fail(err, IG_ERR_COOLING_DOWN, NULL, "every provider that can do this is cooling "
                "down after recent failures (see routing.skipped)");
        ig_error_hint(err, "Retry in %.0f s. A provider cooling down after auth or quota "
                           "failures needs its key or credits fixed first.",
                      soonest_ms / 1000.0 + 0.5);
        err->retryable = true;
        err->retry_after_s = soonest_ms / 1000.0;
        return -1;
    }
    if (first_refusal->code != IG_OK) {
        *err = *first_refusal;
        return -1;
    }
    if (req->model) {
        ig_fail(err, IG_ERR_INVALID_ARGUMENT, "model",
                "no configured provider offers model \"%s\"", req->model);
        ig_error_hint(err, "Name the provider too, or drop model to use each provider's "
                           "default.");
        return -1;
    }
    return ig_fail(err, IG_ERR_NO_PROVIDER, NULL, "no configured provider can %s images",
                   ig_operation_name(req->op));
}

int ig_route_plan_build(const ig_config *config, ig_routing_state *state,
                        const ig_request *req, ig_route_plan *plan, ig_error *err)
{
    memset(plan, 0, sizeof *plan);
    plan->skipped = cJSON_CreateArray();
    int order[2 * IG_PROVIDER_COUNT];
    int n = base_order(req, order);
    plan->priority = req->priority;
    const ig_priority_rule *priority = ig_priority_rule_of(req->priority);
    int over_budget = 0, cooling = 0;
    double cheapest = 0, soonest_ms = 0, now = ig_backend_now_ms();
    ig_error first_refusal;
    ig_error_clear(&first_refusal);
    bool model_known = req->model && listed_anywhere(req->model);
    bool unknown_model_taken = false;
    for (int i = 0; i < n; i++) {
        ig_provider_id id = order[i];
        if (!usable(config, req, id))
            continue;
        ig_candidate *c = &plan->slots[id];
        char leak[300];
        if (priority->private_only && !ig_provider_is_private(config, id, leak, sizeof leak)) {
            c->provider = id;
            skip(plan, c, "priority privacy: it %s", leak);
            continue;
        }
        /* A model named without a provider goes to the providers that list
         * it (an unknown name goes to the first provider, as given). */
        if (req->model && req->pinned_provider < 0 &&
            (model_known ? !ig_backend_model(ig_backend_for(id), req->model)
                         : unknown_model_taken)) {
            c->provider = id;
            skip(plan, c, "does not offer model \"%s\"", req->model);
            continue;
        }
        unknown_model_taken = true;
        ig_error refusal;
        ig_error_clear(&refusal);
        if (prepare(config, req, id, c, &refusal) != 0) {
            skip(plan, c, "cannot take this request: %s", refusal.message);
            if (first_refusal.code == IG_OK)
                first_refusal = refusal;
            continue;
        }
        if (req->max_cost_usd >= 0 && (!c->cost.known || c->cost.usd > req->max_cost_usd)) {
            over_budget++;
            if (c->cost.known && (cheapest == 0 || c->cost.usd < cheapest))
                cheapest = c->cost.usd;
            if (c->cost.known)
                skip(plan, c, "estimated $%.4g is over maxCostUsd", c->cost.usd);
            else
                skip(plan, c, "no price is known, so it cannot be kept under maxCostUsd");
            continue;
        }
        ig_error_class why;
        double left = ig_cooldown_left_ms(state, id, now, &why);
        if (left > 0) {
            cooling++;
            soonest_ms = soonest_ms == 0 || left < soonest_ms ? left : soonest_ms;
            skip(plan, c, "cooling down for %.1f s more after a %s failure", left / 1000.0,
                 ig_error_class_name(why));
            continue;
        }
        plan->list[plan->count++] = c;
    }
    if (plan->count == 0)
        return explain_empty(req, over_budget, cheapest, cooling, soonest_ms,
                             &first_refusal, err);
    if (req->pinned_provider < 0 && req->priority != IG_PRIORITY_NONE)
        apply_priority(config, state, req, plan);
    sort_by_drops(plan);
    bool drew = req->pinned_provider < 0 && draw_primary(&req->prefs, state, plan);
    plan->rule = rule_of(req, plan, drew);
    return 0;
}

void ig_route_plan_free(ig_route_plan *plan)
{
    for (int i = 0; i < IG_PROVIDER_COUNT; i++)
        cJSON_Delete(plan->slots[i].warnings);
    cJSON_Delete(plan->skipped);
    memset(plan, 0, sizeof *plan);
}

/* What each candidate was ranked by, in the order they will be tried. */
static cJSON *ranking_json(const ig_route_plan *plan, ig_rank_by by)
{
    cJSON *ranking = cJSON_CreateArray();
    for (int i = 0; i < plan->count; i++) {
        const ig_candidate *c = plan->list[i];
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "provider", ig_provider(c->provider)->name);
        if (by == IG_RANK_BY_CAPABILITIES) {
            cJSON_AddNumberToObject(entry, "points", c->rank_value);
        } else if (by == IG_RANK_BY_LATENCY) {
            cJSON_AddNumberToObject(entry, "estimatedSeconds",
                                    round(c->rank_value * 1000) / 1000);
            cJSON_AddBoolToObject(entry, "observed", c->rank_observed);
        } else if (c->cost.known) {
            cJSON_AddNumberToObject(entry, "estimatedUsd", c->cost.usd);
        } else {
            cJSON_AddNullToObject(entry, "estimatedUsd");
        }
        cJSON_AddItemToArray(ranking, entry);
    }
    return ranking;
}

cJSON *ig_route_plan_to_json(const ig_route_plan *plan)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "rule", plan->rule ? plan->rule : "none");
    const ig_priority_rule *priority = ig_priority_rule_of(plan->priority);
    if (plan->priority != IG_PRIORITY_NONE)
        cJSON_AddStringToObject(r, "priority", priority->name);
    cJSON *order = cJSON_AddArrayToObject(r, "order");
    for (int i = 0; i < plan->count; i++)
        cJSON_AddItemToArray(order, cJSON_CreateString(ig_provider(plan->list[i]->provider)->name));
    if (plan->priority != IG_PRIORITY_NONE && priority->rank_by != IG_RANK_BY_LIST)
        cJSON_AddItemToObject(r, "ranking", ranking_json(plan, priority->rank_by));
    cJSON_AddItemToObject(r, "skipped", cJSON_Duplicate(plan->skipped, true));
    return r;
}
