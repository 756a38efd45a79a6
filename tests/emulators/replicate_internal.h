/* replicate_internal.h - pieces of the Replicate emulator shared by its files. */
#ifndef IG_REPLICATE_INTERNAL_H
#define IG_REPLICATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "emulators/emulator_core.h"

/* How a model sizes its output. */
typedef enum rep_sizing {
    REP_RATIO,      /* aspect_ratio from the FLUX table (image inputs may set it) */
    REP_PRO,        /* ratio, or width/height with aspect_ratio "custom" */
    REP_INPUT,      /* the input image's size (fill) */
    REP_SCALE,      /* the input image times scale (Real-ESRGAN) */
    REP_FREE,       /* width x height (PuLID) */
} rep_sizing;

typedef enum rep_type { REP_STR, REP_INT, REP_NUM, REP_BOOL, REP_FILE } rep_type;

/* One input of a model's version schema. */
typedef struct rep_input {
    const char *name;
    rep_type type;
    bool required;
    bool has_min, has_max;
    double min, max;
    const char *const *choices; /* enum, NULL-terminated; NULL = any */
} rep_input;

typedef struct rep_model {
    const char *name;      /* "black-forest-labs/flux-schnell" */
    const char *version;   /* 64 hex */
    bool official;         /* runs by name; its predictions say version "hidden" */
    bool array_output;     /* output is an array of URLs, else one URL string */
    rep_sizing sizing;
    const char *default_format; /* "webp", "jpg", "png" */
    const rep_input *inputs;    /* terminated by a NULL name */
} rep_model;

extern const rep_model rep_models[];

/* A model by "owner/name", or NULL. */
const rep_model *rep_model_named(const char *owner, const char *name);
/* A model by version: "<64 hex>", "owner/name:<64 hex>" or (official)
 * "owner/name"; NULL when none matches. */
const rep_model *rep_model_for_version(const char *version);

/* A validated input with what the output needs. */
typedef struct rep_job {
    int width, height;   /* each output's size */
    int outputs;         /* num_outputs */
    char format[8];      /* png|jpeg|webp (the file format) */
    char ext[8];         /* png|jpg|webp (the URL's extension) */
    bool has_seed;
    unsigned seed;
    char fail[200];      /* a model-time error the prediction fails with, or "" */
} rep_job;

/*
 * Validates input against model's inputs (types, ranges, enums, required,
 * no unknown properties, file inputs as decodable data URLs or http(s)
 * URLs) and works out the job. Returns NULL and fills *job, or a cJSON
 * array of {type, field, description} (the caller answers 422).
 */
cJSON *rep_validate(const rep_model *model, const cJSON *input, rep_job *job);

/* Problem details {"title","detail","status"} (application/problem+json);
 * invalid_fields (taken, may be NULL) is added when given. */
void rep_respond_problem(emu_response *out, int status, const char *title,
                         const char *detail, cJSON *invalid_fields);
/* The 422 of input validation from invalid_fields (taken). */
void rep_respond_invalid(emu_response *out, cJSON *invalid_fields);

/* --- the prediction store (replicate_predictions.c) --- */

typedef struct rep_store rep_store;

rep_store *rep_store_new(void);
void rep_store_free(rep_store *s);
void rep_store_set_ticks(rep_store *s, int reads);
void rep_store_set_wait_completes(rep_store *s, bool on);
void rep_store_fail_next(rep_store *s, int count, const char *error);
void rep_store_set_data_urls(rep_store *s, bool on);
int rep_store_count(rep_store *s, const char *model);
int rep_store_cancels(rep_store *s);

/* Creates a prediction (input copied) and answers it: finished when
 * wait is set and the store completes waits, else "starting". nsfw makes
 * it fail with "NSFW content detected". */
void rep_store_create(rep_store *s, const char *base_url, const rep_model *model,
                      const cJSON *input, const rep_job *job, bool wait, bool nsfw,
                      emu_response *out);

/* What a read of a prediction should do besides counting. */
typedef enum rep_read { REP_READ_NORMAL, REP_READ_NSFW, REP_READ_REMOVED } rep_read;

/* GET /v1/predictions/{id}: counts a tick and answers the prediction. */
void rep_store_get(rep_store *s, const char *base_url, const char *id, rep_read mode,
                   emu_response *out);
/* POST /v1/predictions/{id}/cancel. */
void rep_store_cancel(rep_store *s, const char *base_url, const char *id, emu_response *out);
/* GET /v1/predictions/{id}/stream: the events so far, "done" when final. */
void rep_store_stream(rep_store *s, const char *id, emu_response *out);
/* GET /delivery/xezq/{id}/out-{i}.{ext}: renders the output file. */
void rep_store_deliver(rep_store *s, const char *path, emu_response *out);

#endif
