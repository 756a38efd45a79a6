/*
 * bfl_fields.c - the request schemas of the BFL emulator's endpoints, field
 * by field in the spec's order (types, nullability, ranges, multiples and
 * defaults), so validation is table-driven and the suite can hold every
 * table against bfl.openapi.json.
 */
#include <string.h>

#include "emulators/bfl_internal.h"

/* Field shorthands: optional (O), nullable (N), required (R), ranged. */
#define O(n, t, d) {.name = (n), .type = (t), .dflt = (d)}
#define N(n, t, d) {.name = (n), .type = (t), .nullable = true, .dflt = (d)}
#define R(n, t) {.name = (n), .type = (t), .required = true}
#define RANGE(n, t, nul, lo, hi, mult, d)                                                  \
    {.name = (n), .type = (t), .nullable = (nul), .has_min = true, .has_max = true,        \
     .min = (lo), .max = (hi), .multiple_of = (mult), .dflt = (d)}
#define END {.name = NULL}

#define SAFETY RANGE("safety_tolerance", BFL_T_INT, false, 0, 6, 0, "2")
#define WEBHOOK N("webhook_url", BFL_T_WEBHOOK, NULL), N("webhook_secret", BFL_T_STRING, NULL)
#define SIDE(n) RANGE((n), BFL_T_INT, false, 256, 1440, 32, NULL)

static const bfl_field pro11_fields[] = {
    N("prompt", BFL_T_STRING, "\"\""),
    N("image_prompt", BFL_T_IMAGE, NULL),
    RANGE("width", BFL_T_INT, false, 256, 1440, 32, "1024"),
    RANGE("height", BFL_T_INT, false, 256, 1440, 32, "768"),
    O("prompt_upsampling", BFL_T_BOOL, "false"),
    N("seed", BFL_T_INT, NULL),
    SAFETY,
    N("output_format", BFL_T_FORMAT, "\"jpeg\""),
    WEBHOOK,
    END};

static const bfl_field dev_fields[] = {
    O("prompt", BFL_T_STRING, "\"\""),
    N("image_prompt", BFL_T_IMAGE, NULL),
    RANGE("width", BFL_T_INT, false, 256, 1440, 32, "1024"),
    RANGE("height", BFL_T_INT, false, 256, 1440, 32, "768"),
    RANGE("steps", BFL_T_INT, true, 1, 50, 0, "28"),
    O("prompt_upsampling", BFL_T_BOOL, "false"),
    N("seed", BFL_T_INT, NULL),
    RANGE("guidance", BFL_T_NUMBER, true, 1.5, 5, 0, "3.0"),
    SAFETY,
    N("output_format", BFL_T_FORMAT, "\"jpeg\""),
    WEBHOOK,
    END};

static const bfl_field ultra_fields[] = {
    N("prompt", BFL_T_STRING, "\"\""),
    O("prompt_upsampling", BFL_T_BOOL, "false"),
    N("seed", BFL_T_INT, NULL),
    O("aspect_ratio", BFL_T_RATIO, "\"16:9\""),
    SAFETY,
    N("output_format", BFL_T_FORMAT, "\"jpeg\""),
    O("raw", BFL_T_BOOL, "false"),
    N("image_prompt", BFL_T_IMAGE, NULL),
    RANGE("image_prompt_strength", BFL_T_NUMBER, false, 0, 1, 0, "0.1"),
    WEBHOOK,
    END};

static const bfl_field kontext_fields[] = {
    R("prompt", BFL_T_STRING),
    N("input_image", BFL_T_IMAGE_OR_URL, NULL),
    N("input_image_2", BFL_T_IMAGE_OR_URL, NULL),
    N("input_image_3", BFL_T_IMAGE_OR_URL, NULL),
    N("input_image_4", BFL_T_IMAGE_OR_URL, NULL),
    N("seed", BFL_T_INT, NULL),
    N("aspect_ratio", BFL_T_RATIO, NULL),
    N("output_format", BFL_T_FORMAT, "\"png\""),
    WEBHOOK,
    O("prompt_upsampling", BFL_T_BOOL, "false"),
    SAFETY,
    END};

static const bfl_field fill_fields[] = {
    R("image", BFL_T_IMAGE),
    N("mask", BFL_T_IMAGE, NULL),
    N("prompt", BFL_T_STRING, "\"\""),
    RANGE("steps", BFL_T_INT, true, 15, 50, 0, "50"),
    N("prompt_upsampling", BFL_T_BOOL, "false"),
    N("seed", BFL_T_INT, NULL),
    RANGE("guidance", BFL_T_NUMBER, true, 1.5, 100, 0, "60"),
    N("output_format", BFL_T_FORMAT, "\"jpeg\""),
    SAFETY,
    WEBHOOK,
    END};

static const bfl_field expand_fields[] = {
    R("image", BFL_T_IMAGE),
    RANGE("top", BFL_T_INT, true, 0, 2048, 0, "0"),
    RANGE("bottom", BFL_T_INT, true, 0, 2048, 0, "0"),
    RANGE("left", BFL_T_INT, true, 0, 2048, 0, "0"),
    RANGE("right", BFL_T_INT, true, 0, 2048, 0, "0"),
    N("prompt", BFL_T_STRING, "\"\""),
    RANGE("steps", BFL_T_INT, true, 15, 50, 0, "50"),
    N("prompt_upsampling", BFL_T_BOOL, "false"),
    N("seed", BFL_T_INT, NULL),
    RANGE("guidance", BFL_T_NUMBER, true, 1.5, 100, 0, "60"),
    N("output_format", BFL_T_FORMAT, "\"jpeg\""),
    SAFETY,
    WEBHOOK,
    END};

/* Costs are BFL's published per-image prices in credits (unverified drift). */
const bfl_endpoint bfl_endpoints[] = {
    {"flux-pro-1.1", "FluxPro11Inputs", BFL_GENERATE, 4, pro11_fields},
    {"flux-pro-1.1-ultra", "FluxUltraInput", BFL_ULTRA, 6, ultra_fields},
    {"flux-dev", "FluxDevInputs", BFL_GENERATE, 2.5, dev_fields},
    {"flux-kontext-pro", "FluxKontextProInputs", BFL_KONTEXT, 4, kontext_fields},
    {"flux-kontext-max", "FluxKontextProInputs", BFL_KONTEXT, 8, kontext_fields},
    {"flux-pro-1.0-fill", "FluxProFillInputs", BFL_FILL, 5, fill_fields},
    {"flux-pro-1.0-expand", "FluxProExpandInputs", BFL_EXPAND, 5, expand_fields},
    {NULL, NULL, BFL_GENERATE, 0, NULL},
};

/* Maps "/v1/<name>" to its endpoint table entry. */
const bfl_endpoint *bfl_endpoint_for_path(const char *path)
{
    if (strncmp(path, "/v1/", 4))
        return NULL;
    for (const bfl_endpoint *ep = bfl_endpoints; ep->name; ep++)
        if (!strcmp(path + 4, ep->name))
            return ep;
    return NULL;
}

/* Looks a field up in an endpoint's table. */
const bfl_field *bfl_field_find(const bfl_endpoint *ep, const char *name)
{
    for (const bfl_field *f = ep->fields; f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}
