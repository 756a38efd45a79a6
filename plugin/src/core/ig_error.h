/*
 * ig_error.h - the error record every internal module fills in.
 *
 * One ig_error travels down a tool call; the first failure writes it and the
 * result envelope turns it into {"code","message","field","retryable","hint"}.
 * Messages are written for an LLM reader: say what was wrong, what is
 * allowed, and what to do next. Never put a secret in any of the fields.
 */
#ifndef IG_ERROR_H
#define IG_ERROR_H

#include <stdbool.h>

/* Stable machine-readable codes; the README lists them. Only grows. */
typedef enum ig_error_code {
    IG_OK = 0,
    IG_ERR_INVALID_JSON,        /* arguments are not a JSON object */
    IG_ERR_INVALID_ARGUMENT,    /* schema or cross-field rule violated */
    IG_ERR_UNKNOWN_TOOL,        /* no tool of that name */
    IG_ERR_IMAGE_NOT_FOUND,     /* path, file URL or image id does not exist */
    IG_ERR_IMAGE_UNREADABLE,    /* not a decodable PNG/JPEG/WebP */
    IG_ERR_IMAGE_TOO_LARGE,     /* over the byte or pixel limit */
    IG_ERR_URL_REFUSED,         /* scheme, private address or redirect refused */
    IG_ERR_URL_FETCH_FAILED,    /* network error or HTTP error fetching an input */
    IG_ERR_NO_PROVIDER,         /* no provider configured for the operation */
    IG_ERR_PROVIDER_UNAVAILABLE,/* configured, but unusable (no backend, blocked) */
    IG_ERR_STORE_FAILED,        /* image directory not writable */
    IG_ERR_CANCELED,            /* the job was cancelled */
    IG_ERR_INTERNAL,            /* a bug or out of memory */
    IG_ERR_PROVIDER_TIMEOUT,    /* a provider did not answer in time */
    IG_ERR_PROVIDER_NETWORK,    /* DNS, connect, reset, TLS or truncated body */
    IG_ERR_PROVIDER_RESPONSE_TOO_LARGE, /* response over the size cap */
    IG_ERR_PROVIDER_BAD_RESPONSE, /* malformed JSON/base64/image from a provider */
    IG_ERR_PROVIDER_AUTH,       /* key missing, wrong or without permission */
    IG_ERR_PROVIDER_QUOTA,      /* credits or quota exhausted */
    IG_ERR_PROVIDER_RATE_LIMITED, /* 429: slow down (retry_after_s says how long) */
    IG_ERR_PROVIDER_PROMPT_REFUSED, /* moderation refused the prompt or inputs */
    IG_ERR_PROVIDER_OUTPUT_REFUSED, /* moderation refused the generated image */
    IG_ERR_PROVIDER_INVALID_REQUEST, /* the provider rejected the request as invalid */
    IG_ERR_PROVIDER_ERROR,      /* 5xx or another server-side failure */
    IG_ERR_BUDGET_EXCEEDED,     /* every candidate costs more than maxCostUsd */
    IG_ERR_COOLING_DOWN,        /* every candidate is cooling down after failures */
    IG_ERR_ALL_PROVIDERS_FAILED,/* several providers were tried; each failed */
    IG_ERR_NO_PRIVATE_PROVIDER, /* priority privacy, and no private provider can */
    IG_ERR__COUNT
} ig_error_code;

typedef struct ig_error {
    ig_error_code code;
    bool retryable;
    double retry_after_s;  /* provider's Retry-After when known, else 0 */
    long http_status;      /* provider's HTTP status when one answered, else 0 */
    bool accepted;         /* a provider accepted the work (an async job) and its
                              outcome is unknown: it may be charged, so the call
                              is never submitted again */
    char field[128];   /* argument path like "outpaint.left", or "" */
    char message[768]; /* what was wrong and what is allowed */
    char hint[512];    /* what to do next, or "" */
} ig_error;

/* "invalid_argument" etc.; static string. Thread-safe. */
const char *ig_error_code_name(ig_error_code code);

/* Clears err to IG_OK with empty strings. err may be NULL. */
void ig_error_clear(ig_error *err);

/*
 * Fills err (if not NULL and still IG_OK: the first failure wins) and returns
 * -1 so callers can `return ig_fail(...)`. field may be NULL. The message is
 * printf-formatted and truncated to fit.
 */
int ig_fail(ig_error *err, ig_error_code code, const char *field,
            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sets the hint of an already-filled error (printf-formatted). */
void ig_error_hint(ig_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
