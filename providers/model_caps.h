/*
 * model_caps.h - what one provider model can do, as data.
 *
 * Each backend describes its models with these records; the tool layer uses
 * them to check and adjust a request before any network call (ig_negotiate)
 * and the router uses them to find capable providers. Static tables;
 * immutable; any thread.
 */
#ifndef IG_MODEL_CAPS_H
#define IG_MODEL_CAPS_H

#include <stdbool.h>

#include "providers/catalog.h"

/* Output formats as bits. */
#define IG_FMT_PNG 1u
#define IG_FMT_JPEG 2u
#define IG_FMT_WEBP 4u

/* Edit modes as bits (1u << ig_edit_mode). */
#define IG_MODE_BIT(mode) (1u << (mode))

typedef struct ig_model_caps {
    const char *model;           /* provider's model id, "gpt-image-1" */
    unsigned operations;         /* IG_OP_BIT()s */
    unsigned edit_modes;         /* IG_MODE_BIT()s, for IG_OP_EDIT */
    bool mask;                   /* inpaint takes a mask */
    bool reference_image;        /* honours a character/style reference */
    bool negative_prompt;
    bool seed;
    bool transparent_background;
    bool text_rendering;         /* renders legible text asked for in the prompt */
    bool cfg_steps;              /* takes guidance (cfg) and step counts */
    int max_n;                   /* images per request */
    int max_prompt_chars;        /* 0 = no prompt accepted */
    /* Sizes: either a fixed list ("1024x1024", ..., NULL) or free sizes
     * within [min_side, max_side], multiples of size_step, long/short side
     * ratio at most max_aspect, area at most max_pixels. */
    const char *const *sizes;
    int min_side, max_side, size_step;
    double max_aspect;
    long max_pixels;
    /* Aspect ratios the API takes instead of pixel sizes ("16:9", ..., NULL). */
    const char *const *aspect_ratios;
    const char *const *qualities; /* accepted quality values, NULL = ignored */
    const char *const *styles;    /* accepted style names, NULL = none */
    /* Edits, upscales and style transfers come out at a size the input
     * decides (the same size, or a fixed factor): size and aspectRatio
     * are then not sent. */
    bool input_sets_size;
    bool upscale_methods;         /* takes upscale_image's method lanczos3|neural */
    unsigned output_formats;      /* IG_FMT_* bits */
} ig_model_caps;

#endif
