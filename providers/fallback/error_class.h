/*
 * error_class.h - what the fallback layer does after a provider failed.
 *
 * A backend reports a classified ig_error (code, HTTP status, retry_after).
 * The fallback layer reduces it to one of a few classes, and each class has
 * one policy: retry the same provider, fall back to the next, cool the
 * provider down for later calls, or stop because any provider would fail the
 * same way. Pure functions; any thread.
 */
#ifndef IG_ERROR_CLASS_H
#define IG_ERROR_CLASS_H

#include <stdbool.h>

#include "core/ig_error.h"

typedef enum ig_error_class {
    IG_CLASS_NONE,            /* no error: the attempt succeeded */
    IG_CLASS_INVALID_REQUEST, /* the same request fails anywhere: stop */
    IG_CLASS_AUTH,            /* key refused: fall back, long cooldown */
    IG_CLASS_QUOTA,           /* credits exhausted: fall back, long cooldown */
    IG_CLASS_RATE_LIMITED,    /* wait Retry-After (up to a cap), else fall back */
    IG_CLASS_TRANSIENT,       /* 5xx, timeout, reset: retry with backoff, then fall back */
    IG_CLASS_PROMPT_REFUSED,  /* moderation refused the prompt or inputs */
    IG_CLASS_OUTPUT_REFUSED,  /* moderation refused the generated image */
    IG_CLASS_UNSUPPORTED,     /* this provider cannot do it: skip to the next */
    IG_CLASS_LOCAL,           /* our side failed (store, cancel, memory): stop */
    IG_CLASS_COUNT
} ig_error_class;

/* The class of a failed attempt's error (IG_CLASS_NONE for IG_OK). */
ig_error_class ig_error_class_of(const ig_error *err);

/* "invalid_request", "auth", "quota", "rate_limited", "transient",
 * "prompt_refused", "output_refused", "unsupported", "local"; static. */
const char *ig_error_class_name(ig_error_class cls);

/* Whether another provider may succeed where this one failed with cls.
 * Moderation classes fall back only when fallback_on_moderation is set. */
bool ig_error_class_falls_back(ig_error_class cls, bool fallback_on_moderation);

#endif
