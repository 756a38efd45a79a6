/* openrouter_internal.h - pieces of the OpenRouter emulator shared by its files. */
#ifndef IG_OPENROUTER_INTERNAL_H
#define IG_OPENROUTER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "emulators/emulator_core.h"

/* How a model turns image_config into pixels. */
typedef enum orr_sizing {
    ORR_SIZE_BUCKETS, /* Gemini/FLUX ~1 MP aspect buckets (1:1 = 1024x1024) */
    ORR_SIZE_GPT,     /* OpenAI: 1024x1024, 1536x1024 or 1024x1536 */
} orr_sizing;

/* One catalogue entry (see openrouter_models.c for the values and sources). */
typedef struct orr_model {
    const char *id;
    const char *name;
    const char *provider;      /* "provider" of a completion */
    const char *native_finish; /* native_finish_reason of a normal answer */
    bool image_out, text_out;  /* architecture.output_modalities */
    bool takes_image_size;     /* honours image_config.image_size (Gemini 3 Pro) */
    orr_sizing sizing;
    const char *format;        /* encoding of generated images (png; see respond) */
    double image_price;        /* USD per output image (1K and 2K) */
    double image_price_4k;     /* USD per output image at 4K */
    int image_tokens;          /* completion tokens per image (1K and 2K) */
    int image_tokens_4k;
    double prompt_price;       /* USD per prompt token */
    double completion_price;   /* USD per text completion token */
    double input_image_price;  /* USD per input image (pricing.image) */
    long created;
    int context_length;
    const char *description;
} orr_model;

/* The catalogue, NULL-terminated by an entry whose id is NULL. */
extern const orr_model orr_models[];

/* The documented aspect ratios, NULL-terminated. */
extern const char *const orr_aspect_ratios[];

/* A catalogue model by id, or NULL. */
const orr_model *orr_model_find(const char *id);
/* Output pixels for a model, aspect ratio ("" = from the input image or
 * 1:1) and image size ("1K"|"2K"|"4K"); input_w/h are 0 without an input. */
void orr_output_size(const orr_model *m, const char *aspect, const char *image_size,
                     int input_w, int input_h, int *width, int *height);
/* GET /api/v1/models: the catalogue filtered by output_modalities. */
void orr_respond_models(const emu_request *req, emu_response *out);

/* A validated completion request. */
typedef struct orr_params {
    const orr_model *model;
    bool want_image, want_text; /* from modalities (default: text only) */
    char aspect[8];             /* "" = not given */
    char image_size[4];         /* "1K" when not given */
    int input_images;           /* image_url parts in the messages */
    int input_w, input_h;       /* the first decodable input image, or 0 */
    int prompt_tokens;
    char *prompt;               /* text of the last user message (malloc'd) */
} orr_params;

/* An OpenRouter error answer: {"error":{"code","message","metadata"?}}. */
typedef struct orr_error {
    int status;
    char message[512];
    char provider[40]; /* with raw: ProviderErrorMetadata.provider_name */
    char raw[512];     /* "" = no metadata */
} orr_error;

/* Validates a chat completions body. 0, or -1 with *e filled. */
int orr_validate(const emu_request *req, orr_params *p, orr_error *e);
/* Frees what params own. */
void orr_params_free(orr_params *p);
/* Fills *e (status, printf message, no metadata). */
void orr_error_set(orr_error *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks one content part (text or image_url), decoding data: URLs; counts
 * images into p. where is "messages[i].content[j]". 0 or -1 with *e. */
int orr_check_part(const cJSON *part, const char *where, const orr_model *m, orr_params *p,
                   orr_error *e);

/* The model slug and prompt text of a raw request body, best effort, for
 * fault answers (malloc'd strings; never NULL). */
void orr_peek_request(const emu_request *req, char **model, char **prompt);

/* --- error bodies (openrouter_errors.c) --- */

/* Sends {"error":{...}} with HTTP status e->status (user_id added when
 * authenticated). */
void orr_respond_error(emu_response *out, const orr_error *e, bool authenticated);
/* The answer for a status the service documents (400 401 402 403 408 429
 * 500 502 503) for this model and prompt; retry_after > 0 adds Retry-After
 * on 429/503. */
void orr_respond_status(emu_response *out, int status, const char *model, const char *prompt,
                        int retry_after);
/* A 403 moderation body for a model and the flagged prompt. */
void orr_respond_moderation(emu_response *out, const char *model, const char *prompt);
/* {"error":{...}} inside an HTTP 200 (an upstream failure after routing). */
void orr_respond_error_in_200(emu_response *out, const char *model, int code,
                              const char *message);

/* --- success answers (openrouter_respond.c) --- */

/* What the answer builder needs from the emulator (any thread). */
typedef struct orr_respond_ctx {
    void *cls;
    unsigned (*next_seed)(void *cls);
    void (*count)(void *cls, const char *model, int images);
} orr_respond_ctx;

/* How a request is to be answered after validation. */
typedef enum orr_answer_kind {
    ORR_ANSWER_NORMAL,       /* images (and text) as requested */
    ORR_ANSWER_TEXT_ONLY,    /* the model declined to draw: text, no images */
    ORR_ANSWER_CHOICE_ERROR, /* finish_reason "error" with choices[0].error */
} orr_answer_kind;

typedef struct orr_answer {
    orr_answer_kind kind;
    int error_code;           /* CHOICE_ERROR */
    const char *error_message;
} orr_answer;

/* Answers a validated request with a chat.completion object. */
void orr_respond_completion(const orr_respond_ctx *ctx, const orr_params *p,
                            const orr_answer *a, emu_response *out);

#endif
