/*
 * form.h - builds a multipart/form-data body for ig_http_perform.
 *
 * Parts borrow long values (prompts, image bytes) and keep short ones
 * (numbers, file names) in the form's own storage, so a form needs no
 * allocation and nothing is copied twice. Parts past IG_FORM_MAX_PARTS are
 * dropped and flagged (ig_form.overflow) so a backend can fail loudly.
 * Used by one thread; the form must outlive the request that sends it.
 */
#ifndef IG_FORM_H
#define IG_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "providers/image_request.h"
#include "providers/transport/http_client.h"

typedef struct cJSON cJSON;

#define IG_FORM_MAX_PARTS 32

typedef struct ig_form {
    ig_http_part parts[IG_FORM_MAX_PARTS];
    size_t n_parts;
    bool overflow;
    char text[IG_FORM_MAX_PARTS][128]; /* short text values, n_text used */
    char filenames[IG_FORM_MAX_PARTS][40];
    size_t n_text, n_filenames; /* slots never move, even when parts do */
} ig_form;

/* A text part formatted into the form's storage (at most 127 bytes). */
void ig_form_text(ig_form *form, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A text part borrowing value (a prompt) without a copy. */
void ig_form_text_ref(ig_form *form, const char *name, const char *value);
/* A file part borrowing data; the file name is "<name>.<subtype of mime>". */
void ig_form_file(ig_form *form, const char *name, const unsigned char *data, size_t size,
                  const char *mime);
/* The text part named name, or NULL. */
ig_http_part *ig_form_find(ig_form *form, const char *name);

/*
 * Adds providerOptions.<provider> as form fields. A field the backend
 * already set is replaced (the caller's explicit choice wins) with a warning
 * in result; strings, numbers and booleans are sent as text, anything else
 * is ignored with a warning.
 */
void ig_form_add_options(ig_form *form, const ig_request *req, const char *provider,
                         cJSON *result);

/* Warns in result (field "providerOptions.<provider>") that option key
 * replaced a value the extension chose, which "applied" then does not show.
 * Used for JSON bodies too (ig_backend_json_options). */
void ig_options_warn_replaced(cJSON *result, const char *provider, const char *key);

#endif
