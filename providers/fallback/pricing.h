/*
 * pricing.h - what a call is expected to cost, before it is made.
 *
 * A price is per output image for one provider model, optionally for one
 * quality and one size. The built-in table (pricing_table.c) holds the
 * providers' published prices with their source and date; the agent config
 * (imageGeneration.prices) can add or replace rows. Tables are immutable;
 * any thread.
 */
#ifndef IG_PRICING_H
#define IG_PRICING_H

#include <stdbool.h>

typedef struct cJSON cJSON;

typedef struct ig_price {
    const char *provider;  /* "openai" */
    const char *model;     /* "gpt-image-1", or "*" for every model of the provider */
    const char *quality;   /* NULL = any quality */
    const char *size;      /* "1024x1024", NULL = any size */
    double usd_per_image;
} ig_price;

/* The built-in rows, terminated by a row whose provider is NULL, and where
 * they come from. */
extern const ig_price ig_builtin_prices[];
extern const char ig_builtin_prices_source[];

/* An estimate for one attempt. */
typedef struct ig_cost_estimate {
    bool known;              /* false: no price row matches */
    double usd;              /* total for the call */
    double usd_per_image;
    int images;
    bool upper_bound;        /* quality or size left open: the dearest row */
    bool from_config;        /* the row came from imageGeneration.prices */
    char basis[200];         /* "openai gpt-image-1 high 1024x1024: $0.167 x 2" */
} ig_cost_estimate;

/*
 * Estimates images outputs of model at quality and size (either may be NULL
 * or "" when not sent). Config rows (borrowed, count n_config) are looked at
 * before the built-in ones; within each, the most specific row wins (exact
 * model before "*"); rows that differ only in what the request left open
 * give the highest, marked upper_bound.
 */
void ig_price_estimate(const ig_price *config_rows, int n_config, const char *provider,
                       const char *model, const char *quality, const char *size,
                       int images, ig_cost_estimate *out);

/* The estimate as the result's "cost" object. */
cJSON *ig_cost_to_json(const ig_cost_estimate *estimate);

#endif
