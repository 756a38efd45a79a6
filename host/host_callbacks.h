/*
 * host_callbacks.h - the C functions the host hands to the extension as its
 * log, progress and event callbacks, and the stderr "status area" they share
 * with the command code (the live progress line).
 *
 * The extension may call these from any of its threads, concurrently; every
 * write to stderr happens under ctx->lock, so lines never interleave.
 */
#ifndef AGX_HOST_CALLBACKS_H
#define AGX_HOST_CALLBACKS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ffi_types.h"

/* Shared state passed to the extension as user_data. */
typedef struct agx_host_ctx {
    pthread_mutex_t lock;
    char ext_id[128];     /* prefix of log lines, e.g. "image-generation" */
    bool verbose;         /* show every log level and the events */
    bool show_progress;   /* draw the progress line (stderr is a terminal) */
    bool line_active;     /* a progress line is currently drawn */
    char line[512];       /* the progress line last drawn (without \r) */
} agx_host_ctx;

/*
 * Initialises ctx. show_progress should be isatty(STDERR_FILENO).
 * Destroy with agx_host_ctx_destroy once the extension instance is closed
 * (no callback may be running any more).
 */
void agx_host_ctx_init(agx_host_ctx *ctx, const char *ext_id, bool verbose,
                       bool show_progress);
void agx_host_ctx_destroy(agx_host_ctx *ctx);

/* Erases the progress line, if drawn, so that stdout/stderr can be written
 * cleanly. Any thread. */
void agx_host_clear_progress(agx_host_ctx *ctx);

/*
 * Prints one message line on stderr as "[<ext_id>] <text>" (redrawing the
 * progress line under it). Any thread.
 */
void agx_host_note(agx_host_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "agentos-ext: <text>" on stderr (the host's own voice), keeping the
 * progress line intact. Any thread. */
void agx_host_say(agx_host_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A callback implementation the host offers, looked up by the callback name
 * the manifest gives (abi.callbacks keys: "log", "progress", "event").
 * fn is the C function, to be passed through libffi as a pointer; kinds
 * lists the parameter kinds it was written for, so that the caller can
 * check the manifest's declared signature against it.
 */
typedef struct agx_host_callback {
    const char *name;
    void (*fn)(void);
    agx_kind returns;
    agx_kind params[4];
    size_t nparams;
} agx_host_callback;

/* The implementation for a manifest callback name, or NULL when the host
 * has none (it then passes NULL, which the ABI allows). Static; any thread. */
const agx_host_callback *agx_host_callback_find(const char *name);

#endif
