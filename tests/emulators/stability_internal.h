/* stability_internal.h - pieces of the Stability v2beta emulator shared by its files. */
#ifndef IG_STABILITY_INTERNAL_H
#define IG_STABILITY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "emulators/emu_images.h"
#include "emulators/emulator_core.h"

/* Every POST endpoint; stab_endpoint_names[] holds "generate/ultra"... */
typedef enum stab_endpoint {
    STAB_GENERATE_ULTRA,
    STAB_GENERATE_CORE,
    STAB_GENERATE_SD3,
    STAB_EDIT_INPAINT,
    STAB_EDIT_OUTPAINT,
    STAB_EDIT_ERASE,
    STAB_EDIT_SEARCH_AND_REPLACE,
    STAB_EDIT_REMOVE_BACKGROUND,
    STAB_UPSCALE_FAST,
    STAB_UPSCALE_CONSERVATIVE,
    STAB_UPSCALE_CREATIVE,
    STAB_CONTROL_STYLE,
    STAB_CONTROL_STYLE_TRANSFER,
    STAB_ENDPOINT_COUNT
} stab_endpoint;

extern const char *const stab_endpoint_names[STAB_ENDPOINT_COUNT];

#define STAB_PATH_PREFIX "/v2beta/stable-image/"
#define STAB_MAX_SEED 4294967294LL

/* The messages of one error answer ("<field>: <what>"). */
#define STAB_MAX_ERRORS 8
typedef struct stab_errors {
    int count;
    char msg[STAB_MAX_ERRORS][256];
} stab_errors;

/* A validated request: what to draw and how to encode it. */
typedef struct stab_params {
    stab_endpoint ep;
    int width, height;     /* output size */
    char output_format[8]; /* png|jpeg|webp */
    bool alpha;            /* remove-background keeps transparency */
    long long seed;        /* 0 = the emulator picks one */
} stab_params;

/* Limits an input image must meet (0 = no limit). */
typedef struct stab_image_rule {
    int min_side, max_side;
    long long min_pixels, max_pixels;
    double max_aspect; /* long side / short side */
} stab_image_rule;

/* --- stability_errors.c --- */

/* Appends a "<field>: <what>" message (ignored past STAB_MAX_ERRORS). */
void stab_err_add(stab_errors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sends {"id","name","errors"} with a status. */
void stab_respond_errors(emu_response *out, int status, const char *name, const stab_errors *e);
/* Sends an error answer with one formatted message. */
void stab_respond_error(emu_response *out, int status, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Core hooks: faults and core-raised errors (413, broken multipart). */
void stab_on_fault(void *ctx, const emu_request *req, const emu_fault *f, emu_response *out);
void stab_on_core_error(void *ctx, int status, const char *message, emu_response *out);
/* A random-looking lowercase hex id of `digits` characters (buf holds digits + 1). */
void stab_hex_id(char *buf, int digits);

/* --- stability_form.c: typed access to multipart fields --- */

/* A field's text, or NULL when the part is absent. */
const char *stab_field(const emu_request *req, const char *name);
/* A text field: required (absent or empty is an error), at most max_chars. */
const char *stab_text(const emu_request *req, const char *name, bool required, size_t max_chars,
                      stab_errors *e);
/* A number in [lo, hi] (dflt when absent); false after adding an error. */
bool stab_number(const emu_request *req, const char *name, double lo, double hi, double dflt,
                 double *out, stab_errors *e);
/* An integer in [lo, hi] (dflt when absent); false after adding an error. */
bool stab_integer(const emu_request *req, const char *name, long long lo, long long hi,
                  long long dflt, long long *out, stab_errors *e);
/* One of values (dflt when absent); NULL after adding an error. */
const char *stab_enum(const emu_request *req, const char *name, const char *const *values,
                      const char *dflt, stab_errors *e);
/* A decodable png/jpeg/webp file part meeting rule; false after adding an
 * error (or when absent and not required: then out->width is 0). */
bool stab_image(const emu_request *req, const char *name, bool required,
                const stab_image_rule *rule, emu_probe *out, stab_errors *e);

/* --- stability_validate*.c --- */

/* Validates a POST for ep and resolves every default; 0, or -1 with errors. */
int stab_validate(const emu_request *req, stab_endpoint ep, stab_params *p, stab_errors *e);
int stab_validate_generate(const emu_request *req, stab_params *p, stab_errors *e);
int stab_validate_edit(const emu_request *req, stab_params *p, stab_errors *e);
int stab_validate_upscale_control(const emu_request *req, stab_params *p, stab_errors *e);
/* The output_format, seed and style_preset fields most endpoints share. */
void stab_common_fields(const emu_request *req, const char *const *formats, bool style_preset,
                        stab_params *p, stab_errors *e);
/* The ~1 megapixel output size of an aspect ratio ("16:9"), or of an input
 * image's w x h aspect (sides multiples of 64) when ratio is NULL. */
void stab_megapixel_size(const char *ratio, int w, int h, int *out_w, int *out_h);

/* --- stability_respond.c --- */

typedef enum stab_accept { STAB_ACCEPT_IMAGE, STAB_ACCEPT_JSON, STAB_ACCEPT_INVALID } stab_accept;

/* How the request's accept header asks for images. */
stab_accept stab_accept_of(const emu_request *req);
/* The encoded image for p (blurred when filtered); malloc'd, NULL on failure. */
unsigned char *stab_render(const stab_params *p, unsigned pattern_seed, bool filtered,
                           size_t *size);
/* Sends an image answer as raw bytes or JSON with finish-reason and seed. */
void stab_respond_image(emu_response *out, int status, stab_accept accept, const char *format,
                        const unsigned char *image, size_t size, bool filtered, long long seed);

/* --- stability_jobs.c: the async results store --- */

typedef struct stab_jobs stab_jobs;
typedef enum stab_job_state { STAB_JOB_UNKNOWN, STAB_JOB_PENDING, STAB_JOB_READY } stab_job_state;

/* A finished job as a poll hands it out (image malloc'd; caller frees). */
typedef struct stab_job_result {
    unsigned char *image;
    size_t size;
    char format[8];
    bool filtered;
    long long seed;
} stab_job_result;

stab_jobs *stab_jobs_new(void);
void stab_jobs_free(stab_jobs *jobs);
/* Stores a result (taking image) that stays pending for `polls` GETs; writes
 * its 64-hex id to id. */
void stab_jobs_add(stab_jobs *jobs, char id[65], unsigned char *image, size_t size,
                   const char *format, bool filtered, long long seed, int polls);
/* One GET of a result: unknown, pending (one poll used) or ready (*out filled). */
stab_job_state stab_jobs_poll(stab_jobs *jobs, const char *id, stab_job_result *out);

#endif
