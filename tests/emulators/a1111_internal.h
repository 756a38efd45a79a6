/* a1111_internal.h - pieces of the A1111 emulator shared by its files. */
#ifndef IG_A1111_INTERNAL_H
#define IG_A1111_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "emulators/a1111_emulator.h"

/* Kinds of job (indexes of counters and last bodies). */
typedef enum a1111_kind { A1111_TXT2IMG, A1111_IMG2IMG, A1111_EXTRAS, A1111_KINDS } a1111_kind;

/* The server's state: the one running job, settings, counters. Every field
 * is guarded by lock; cond signals any change. */
typedef struct a1111_state {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;
    bool busy;               /* a job holds A1111's queue lock */
    int hold_reads;          /* progress reads a job waits for */
    char job[32];            /* "scripts_txt2img" ... */
    int steps, step, reads;  /* of the running job */
    bool interrupted;
    long long timestamp;     /* job_timestamp */
    long long seed_counter;  /* "random" seeds, deterministic */
    bool controlnet;
    char checkpoint[128];    /* title of the loaded checkpoint */
    int jobs[A1111_KINDS];
    int interrupts;
    cJSON *last_body[A1111_KINDS];
} a1111_state;

struct a1111_emulator {
    emu_server *server;
    a1111_state st;
    char base_url[64];
};

/* --- state (a1111_jobs.c) --- */

void a1111_state_init(a1111_state *st);
void a1111_state_free(a1111_state *st);
/* Waits for the queue, runs a job of `steps` steps (held per hold_reads),
 * records body (copied) as kind's last. Returns whether it was interrupted. */
bool a1111_job_run(a1111_state *st, a1111_kind kind, const char *job, int steps,
                   const cJSON *body);
/* The /sdapi/v1/progress answer (advances a held job one step). */
cJSON *a1111_progress(a1111_state *st);
/* /sdapi/v1/interrupt. */
void a1111_interrupt(a1111_state *st);
/* A fresh "random" seed. */
long long a1111_random_seed(a1111_state *st);

/* --- validation (a1111_validate.c) --- */

/* Checks a txt2img/img2img body like pydantic 1 does (Optional fields,
 * lax coercion, unknown keys ignored). NULL when valid, else the error
 * array for 422 {"detail": ...}. */
cJSON *a1111_validate_generate(const cJSON *body, bool img2img);
/* The same for ExtrasSingleImageRequest (defaults, ranges, Literal). */
cJSON *a1111_validate_extras(const cJSON *body);
/* Parses a JSON body; NULL with *errs (the 422 detail) when it is not
 * JSON or not an object. */
cJSON *a1111_parse_body(const emu_request *req, cJSON **errs);
/* A field as a number after pydantic's coercion (validated first). */
double a1111_number(const cJSON *body, const char *key, double dflt);
/* A field as a string (NULL when absent or null). */
const char *a1111_string(const cJSON *body, const char *key);
/* A field as a bool after coercion. */
bool a1111_bool(const cJSON *body, const char *key, bool dflt);

/* --- jobs (a1111_generate.c) --- */

/* POST txt2img / img2img after the body parsed and auth passed. */
void a1111_generate(a1111_emulator *emu, const cJSON *body, bool img2img,
                    emu_response *out);
/* POST extra-single-image. */
void a1111_extras(a1111_emulator *emu, const cJSON *body, emu_response *out);

/* --- lists and shapes (a1111_emulator.c) --- */

/* A1111's error shape: {"error": type, "detail", "body": "", "errors"}. */
void a1111_respond_error(emu_response *out, int status, const char *type,
                         const char *detail, const char *errors);
/* The 500 of CUDA running out of memory (an OutOfMemoryError). */
void a1111_respond_oom(emu_response *out);
/* An HTTPException: detail and errors "<status>: <detail>". */
void a1111_respond_http(emu_response *out, int status, const char *detail);
/* The checkpoint matching name by title, model name or file name, or NULL. */
const cJSON *a1111_find_checkpoint(const char *name);
/* The checkpoint list (static, do not free). */
const cJSON *a1111_checkpoints(void);
/* Whether an upscaler of that name exists. */
bool a1111_has_upscaler(const char *name);
/* Whether a sampler of that name exists. */
bool a1111_has_sampler(const char *name);
/* ControlNet lists: the models and modules the extension offers. */
bool a1111_has_cn_model(const char *name);
bool a1111_has_cn_module(const char *name);

#endif
