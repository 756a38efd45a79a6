/*
 * fal_queue.h - the HTTP exchanges of fal's queue API for the fal backend
 * (fal_backend.c decides the order). Every function is safe to call from
 * concurrent runs: they share nothing but the borrowed ctx.
 */
#ifndef IG_FAL_QUEUE_H
#define IG_FAL_QUEUE_H

#include <stdbool.h>

#include "providers/fal/fal.h"

/* One accepted queue request: its id and the URLs fal returned. */
typedef struct fal_job {
    char id[128];
    char status_url[2048];
    char response_url[2048];
    char cancel_url[2048];
    bool cancel_sent;
} fal_job;

/* What one status request said. */
typedef struct fal_status {
    char status[32];    /* IN_QUEUE | IN_PROGRESS | COMPLETED | ... */
    int queue_position; /* -1 when not given */
    char log[200];      /* the last log line, or "" */
} fal_status;

/*
 * POST {base}/{model} with input (JSON text, borrowed). Returns 0 with job
 * filled (URLs fal left out are built the documented way), or -1 with err
 * classified (ig_fal_error); err->accepted when fal took it but the answer
 * is unusable, or when the request went out but no answer came back (the
 * job may exist and be charged).
 */
int fal_submit(const ig_backend_ctx *ctx, const char *model, const char *input,
               double deadline, fal_job *job, ig_error *err);

/* Whether every URL of job may receive the key. */
bool fal_job_trusted(const ig_backend_ctx *ctx, const fal_job *job);

/* GET status_url?logs=1 once. Returns 0 with out filled, or -1 with err. */
int fal_poll(const ig_backend_ctx *ctx, const fal_job *job, double deadline, fal_status *out,
             ig_error *err);

/* GET response_url (answers up to 64 MiB). Returns 0 with *answer (a JSON
 * object the caller deletes), or -1 with err: classified from fal's error
 * answer (http_status >= 400), or a transport or parse failure. */
int fal_result(const ig_backend_ctx *ctx, const fal_job *job, double deadline,
               cJSON **answer, ig_error *err);

/* PUT cancel_url once (best effort, 5 s, ignoring the cancel flag that
 * caused it); does nothing when already sent or the URL is not trusted. */
void fal_cancel(const ig_backend_ctx *ctx, fal_job *job);

#endif
