/* pricing.c - see pricing.h. */
#include "providers/fallback/pricing.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static bool same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static bool open_value(const char *v)
{
    return !v || !*v || !strcmp(v, "auto");
}

/* 0 = no match, else a specificity score (higher = more specific). */
static int row_match(const ig_price *row, const char *provider, const char *model,
                     const char *quality, const char *size)
{
    if (!same(row->provider, provider))
        return 0;
    int score = 1;
    if (same(row->model, model))
        score += 4;
    else if (strcmp(row->model, "*"))
        return 0;
    if (row->quality && !open_value(quality) && !same(row->quality, quality))
        return 0;
    if (row->size && !open_value(size) && !same(row->size, size))
        return 0;
    return score;
}

/* Looks in one table (n < 0: up to its NULL-provider row); true when some
 * row matched. */
static bool look_up(const ig_price *rows, int n, const char *provider, const char *model,
                    const char *quality, const char *size, ig_cost_estimate *out)
{
    int best = 0;
    double price = 0, lowest = 0;
    for (int i = 0; (n < 0 || i < n) && rows[i].provider; i++) {
        int score = row_match(&rows[i], provider, model, quality, size);
        if (score == 0 || score < best)
            continue;
        double p = rows[i].usd_per_image;
        if (score > best) {
            best = score;
            price = lowest = p;
            continue;
        }
        price = p > price ? p : price;
        lowest = p < lowest ? p : lowest;
    }
    if (!best)
        return false;
    out->known = true;
    out->usd_per_image = price;
    out->upper_bound = lowest != price;
    return true;
}

void ig_price_estimate(const ig_price *config_rows, int n_config, const char *provider,
                       const char *model, const char *quality, const char *size,
                       int images, ig_cost_estimate *out)
{
    memset(out, 0, sizeof *out);
    out->images = images;
    if (look_up(config_rows, n_config, provider, model, quality, size, out))
        out->from_config = true;
    else if (!look_up(ig_builtin_prices, -1, provider, model, quality, size, out)) {
        snprintf(out->basis, sizeof out->basis, "no price is known for %s %s", provider,
                 model);
        return;
    }
    out->usd = out->usd_per_image * images;
    snprintf(out->basis, sizeof out->basis, "%s %s%s%s%s%s: $%.4g x %d image%s%s", provider,
             model, open_value(quality) ? "" : " ", open_value(quality) ? "" : quality,
             open_value(size) ? "" : " ", open_value(size) ? "" : size, out->usd_per_image,
             images, images == 1 ? "" : "s",
             out->upper_bound ? " (the dearest price for what the request left open)" : "");
}

cJSON *ig_cost_to_json(const ig_cost_estimate *e)
{
    cJSON *cost = cJSON_CreateObject();
    if (e->known)
        cJSON_AddNumberToObject(cost, "estimatedUsd", e->usd);
    else
        cJSON_AddNullToObject(cost, "estimatedUsd");
    cJSON_AddStringToObject(cost, "currency", "USD");
    cJSON_AddBoolToObject(cost, "upperBound", e->upper_bound);
    cJSON_AddStringToObject(cost, "basis", e->basis);
    cJSON_AddStringToObject(cost, "source", !e->known        ? "none"
                                            : e->from_config ? "imageGeneration.prices"
                                                             : ig_builtin_prices_source);
    return cost;
}
