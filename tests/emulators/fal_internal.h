/* fal_internal.h - pieces of the fal queue emulator shared by its files. */
#ifndef IG_FAL_INTERNAL_H
#define IG_FAL_INTERNAL_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "emulators/emulator_core.h"
#include "emulators/fal_emulator.h"

/* How a model sizes its output. */
typedef enum fal_sizing {
    FAL_SIZE_PRESET, /* image_size: preset or {width, height} */
    FAL_SIZE_INPUT,  /* the image_url's size */
    FAL_SIZE_SCALE,  /* image_url's size x scale (esrgan) */
    FAL_SIZE_WH,     /* width/height fields (ip-adapter-face-id) */
} fal_sizing;

/* One queue model the emulator knows. */
typedef struct fal_model {
    const char *id;        /* "fal-ai/flux/dev" (submit path /<id>) */
    fal_sizing sizing;
    bool single_image;     /* answers {"image": {...}} (esrgan) */
    const char *format;    /* output format when the model takes none */
    const struct fal_field *fields; /* NULL-name terminated */
} fal_model;

/* Every model, terminated by a NULL id. */
extern const fal_model fal_models[];

/* The model a submit path names ("/fal-ai/flux/dev"), or NULL. */
const fal_model *fal_model_for_path(const char *path);

/* A validated input with defaults resolved. */
typedef struct fal_params {
    const fal_model *model;
    int width, height;   /* each output image's size */
    int num_images;
    char format[8];      /* jpeg|png */
    bool has_seed;
    double seed;
} fal_params;

/*
 * Validates a submit body for model. Returns NULL with *p filled, or the
 * cJSON array of pydantic-style errors [{loc, msg, type}] (the caller
 * answers 422 {"detail": array} and frees it).
 */
cJSON *fal_validate(const fal_model *model, const emu_request *req, fal_params *p);

/* Appends {loc: ["body", field(, sub)], msg, type} to errs. */
void fal_error_add(cJSON *errs, const char *field, const char *sub, const char *type,
                   const char *msg);

/* --- the request store (fal_jobs.c) --- */

typedef struct fal_store fal_store;

fal_store *fal_store_new(void);
void fal_store_free(fal_store *s);
void fal_store_set_polls(fal_store *s, int queued, int running);
void fal_store_flag_next(fal_store *s, int images);
void fal_store_fail_next(fal_store *s, int count);
void fal_store_garble_next(fal_store *s, fal_garble kind);
int fal_store_count(fal_store *s, const char *model);
int fal_store_cancellations(fal_store *s);

/* Records an accepted request (and its body as the last input) and
 * answers the submit (200 with its URLs under base_url). */
void fal_store_submit(fal_store *s, const fal_params *p, const emu_request *req,
                      const char *base_url, emu_response *out);
/* A parsed copy of the last accepted body (caller deletes), or NULL. */
cJSON *fal_store_last_input(fal_store *s);

/* What a /requests path asks. */
typedef enum fal_action { FAL_STATUS, FAL_RESULT, FAL_CANCEL } fal_action;

/* Answers a status poll, result or cancel of request id (app is the
 * "<owner>/<app>" of the path, which must match the request's); flag marks
 * every image of the request as NSFW first (a moderation fault). */
void fal_store_answer(fal_store *s, const char *base_url, const char *app, const char *id,
                      fal_action action, bool logs, bool flag, emu_response *out);

/* Serves /cdn/files/<id>/<n>.<ext>. */
void fal_store_file(fal_store *s, const char *path, emu_response *out);

/* {"detail": text} with a status. */
void fal_respond_detail(emu_response *out, int status, const char *text);

#endif
