/* bfl_internal.h - pieces of the BFL FLUX emulator shared by its files. */
#ifndef IG_BFL_INTERNAL_H
#define IG_BFL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "emulators/emulator_core.h"

/* How a request field is typed and checked (pydantic's lax JSON rules). */
typedef enum bfl_type {
    BFL_T_STRING,
    BFL_T_INT,
    BFL_T_NUMBER,
    BFL_T_BOOL,
    BFL_T_FORMAT,       /* OutputFormat: jpeg|png|webp */
    BFL_T_IMAGE,        /* base64 (or a data URL) of a PNG/JPEG/WebP image */
    BFL_T_IMAGE_OR_URL, /* the same, or an http(s) URL (Kontext) */
    BFL_T_RATIO,        /* "W:H" between 21:9 and 9:21 */
    BFL_T_WEBHOOK,      /* an http(s) URL of 1..2083 characters */
} bfl_type;

/* One request field, mirroring the spec's schema property. */
typedef struct bfl_field {
    const char *name;
    bfl_type type;
    bool nullable;     /* anyOf [..., null] */
    bool required;
    bool has_min, has_max;
    double min, max;   /* minimum / maximum */
    int multiple_of;   /* 0 = none */
    const char *dflt;  /* the spec's default as JSON text; NULL = none */
} bfl_field;

/* How an endpoint sizes its output. */
typedef enum bfl_family { BFL_GENERATE, BFL_ULTRA, BFL_KONTEXT, BFL_FILL, BFL_EXPAND } bfl_family;

typedef struct bfl_endpoint {
    const char *name;   /* "flux-pro-1.1" (the path is /v1/<name>) */
    const char *schema; /* the spec's request schema */
    bfl_family family;
    double cost;        /* credits per task (1 credit = 1 US cent) */
    const bfl_field *fields; /* terminated by a NULL name, in the spec's order */
} bfl_endpoint;

/* Every submit endpoint, terminated by a NULL name. */
extern const bfl_endpoint bfl_endpoints[];

/* The endpoint a path is ("/v1/flux-dev"), or NULL. */
const bfl_endpoint *bfl_endpoint_for_path(const char *path);
/* A field of an endpoint by name, or NULL. */
const bfl_field *bfl_field_find(const bfl_endpoint *ep, const char *name);

/* A validated submission with every default resolved. */
typedef struct bfl_params {
    const bfl_endpoint *ep;
    char *prompt;        /* malloc'd ("" when none) */
    int width, height;   /* the output size */
    char format[8];      /* jpeg|png|webp */
    bool has_seed;
    double seed;
    char *webhook_url;   /* malloc'd or NULL */
    double input_mp;     /* megapixels of the input images (0 = none) */
} bfl_params;

/*
 * Validates a submission body for ep. Returns NULL and fills *p, or a cJSON
 * array of pydantic-style errors [{type, loc, msg, input, ctx?}] (the
 * caller answers 422 {"detail": array} and frees it).
 */
cJSON *bfl_validate(const bfl_endpoint *ep, const emu_request *req, bfl_params *p);
void bfl_params_free(bfl_params *p);
/* The body as a JSON object (free it), or NULL with the body-level error
 * appended to errs (missing, json_invalid, model_attributes_type). */
cJSON *bfl_parse_body(const emu_request *req, cJSON *errs);
/* The 422 errors of a JSON-typed body that does not parse (FastAPI reads
 * the body before the key check), or NULL. */
cJSON *bfl_json_error(const emu_request *req);

/* Appends one pydantic error to errs: loc is ["body", field] (field NULL =
 * ["body"]); input is copied (NULL = null); ctx is taken (NULL = none, or
 * {"error":{}} for a value_error, as FastAPI encodes the ValueError). */
void bfl_error_add(cJSON *errs, const char *field, const char *type, const char *msg,
                   const cJSON *input, cJSON *ctx);

/* --- image fields (bfl_images.c) --- */

/* An image field after decoding: its size, or a URL we do not fetch. */
typedef struct bfl_image {
    bool present, is_url;
    int width, height;
    bool alpha;
} bfl_image;

/* Checks an image field's string value; false with an error appended. */
bool bfl_image_check(cJSON *errs, const char *field, const cJSON *value, bool url_ok,
                     bfl_image *out);
/* Parses "W:H" in 21:9..9:21; false with an error appended. */
bool bfl_ratio_check(cJSON *errs, const char *field, const cJSON *value, double *ratio);
/* Ultra: about 4 MP at ratio, both sides multiples of 64 (16:9 = 2752x1536). */
void bfl_ultra_size(double ratio, int *width, int *height);
/* Kontext: the preferred ~1 MP resolution nearest to ratio (1:1 = 1024x1024). */
void bfl_kontext_size(double ratio, int *width, int *height);

/* --- the task store (bfl_tasks.c) --- */

typedef struct bfl_store bfl_store;

bfl_store *bfl_store_new(void);
void bfl_store_free(bfl_store *s);
void bfl_store_set_pending(bfl_store *s, int polls);
void bfl_store_fail_next(bfl_store *s, int count);
void bfl_store_set_no_credits(bfl_store *s, bool on);
bool bfl_store_no_credits(bfl_store *s);
/* The credit balance (0 while no_credits is on). */
double bfl_store_credits(bfl_store *s);
int bfl_store_count(bfl_store *s, const char *endpoint);
/* Records an accepted task; writes its uuid into id (37 bytes). A moderated
 * task ends as "Request Moderated" on its first poll. */
void bfl_store_submit(bfl_store *s, const bfl_params *p, bool moderated, char id[37]);

/* What a poll should do besides counting. */
typedef enum bfl_poll_mode { BFL_POLL_NORMAL, BFL_POLL_MODERATE, BFL_POLL_EXPIRED } bfl_poll_mode;

/* Answers GET get_result for id (NULL = the 422 of a missing id). */
void bfl_store_poll(bfl_store *s, const char *base_url, const char *id, bfl_poll_mode mode,
                    emu_response *out);
/* Answers GET /delivery/<id>/sample.<fmt> with the signed query values. */
void bfl_store_deliver(bfl_store *s, const char *path, const char *se, const char *sig,
                       emu_response *out);

/* --- shapes shared by the files --- */

/* {"detail": text} with a status. */
void bfl_respond_detail(emu_response *out, int status, const char *text);
/* An Azure-blob XML error (the delivery host's shape). */
void bfl_respond_blob_error(emu_response *out, int status, const char *code,
                            const char *message, const char *detail);

#endif
