/* openai_internal.h - pieces of the OpenAI Images emulator shared by its files. */
#ifndef IG_OPENAI_INTERNAL_H
#define IG_OPENAI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "emulators/emu_images.h"
#include "emulators/emulator_core.h"

typedef enum oai_endpoint { OAI_GENERATIONS, OAI_EDITS, OAI_VARIATIONS } oai_endpoint;

#define OAI_MAX_IMAGES 16

/* A validated request, with every default resolved. */
typedef struct oai_params {
    oai_endpoint ep;
    char model[40];
    bool gpt;               /* a GPT image model (else dall-e-2/3) */
    char *prompt;           /* malloc'd; NULL for variations */
    int n;
    int width, height;      /* resolved output size */
    bool size_auto;
    char quality[16];       /* resolved: low|medium|high|standard|hd */
    bool url;               /* dall-e: answer with URLs */
    char output_format[8];  /* png|jpeg|webp */
    int output_compression;
    bool transparent;       /* resolved background */
    bool stream;
    int partial_images;
    int image_count;        /* edits/variations: input images */
    int image_tokens;       /* usage: tokens of the input images */
} oai_params;

/* An OpenAI error answer. */
typedef struct oai_error {
    int status;
    char type[40];
    char message[600];
    char param[40]; /* "" = null */
    char code[48];  /* "" = null */
} oai_error;

/* Request fields each endpoint accepts (NULL-terminated; "image[]" included). */
extern const char *const oai_generation_fields[];
extern const char *const oai_edit_fields[];
extern const char *const oai_variation_fields[];

/* Validates a generations JSON body. 0, or -1 with *e filled (400). */
int oai_validate_generation(const emu_request *req, oai_params *p, oai_error *e);
/* Validates an edits or variations multipart request, decoding its images. */
int oai_validate_form(const emu_request *req, oai_endpoint ep, oai_params *p, oai_error *e);
/* The model a request names or defaults to (for moderation faults). */
void oai_request_model(const emu_request *req, oai_endpoint ep, char *model, size_t size);
/* Frees what params own. */
void oai_params_free(oai_params *p);

/* Fills *e as a 400 invalid_request_error (param/code NULL = null). */
void oai_error_set(oai_error *e, const char *param, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
