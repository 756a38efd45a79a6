/*
 * jobs.h - asynchronous tool calls: a job table and a small worker pool.
 *
 * A job is created by ig_jobs_submit, run by one worker thread through the
 * exec callback, and stays in the table, finished, until its result is
 * taken or the table is freed. Workers start lazily, up to the configured
 * count, so a host that only makes synchronous calls never gets threads.
 * Every function here is thread-safe except ig_jobs_free, which must be the
 * last call and waits for queued and running jobs to finish.
 */
#ifndef IG_JOBS_H
#define IG_JOBS_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct ig_job ig_job;
typedef struct ig_jobs ig_jobs;

typedef struct ig_job_ops {
    /* Runs the job on a worker. Returns the result JSON (malloc'd, never
     * NULL unless out of memory) and sets *final_state to an
     * AGENTOS_EXT_JOB_* end state. */
    char *(*exec)(void *ctx, ig_job *job, int *final_state);
    /* Result JSON for a job cancelled before it started (malloc'd). */
    char *(*canceled_result)(void *ctx, const ig_job *job);
    /* Told once per job as it reaches an end state, just before waiters
     * can see it (may be NULL). Called without the table lock held. */
    void (*finished)(void *ctx, const ig_job *job, int final_state);
} ig_job_ops;

/* Creates an empty table. ops and ctx are borrowed for the table's life. */
ig_jobs *ig_jobs_new(int max_workers, int max_live_jobs, const ig_job_ops *ops,
                     void *ctx);

/* Waits for every queued and running job, joins the workers, frees all. */
void ig_jobs_free(ig_jobs *jobs);

/*
 * Queues a call (tool and args are copied). Returns the job id (> 0) or a
 * negative AGENTOS_EXT_E_* code: E_BUSY when max_live_jobs unfinished or
 * untaken jobs exist, E_CLOSING once ig_jobs_free has begun, E_NOMEM.
 */
int64_t ig_jobs_submit(ig_jobs *jobs, const char *tool, const char *args);

/* "queued", "running", "succeeded", "failed" or "canceled". Static. */
const char *ig_job_state_name(int state);

/* Status JSON of a job (malloc'd; see agentos_ext_job_poll). */
char *ig_jobs_poll_json(ig_jobs *jobs, int64_t id);

/* See agentos_ext_job_wait. */
int32_t ig_jobs_wait(ig_jobs *jobs, int64_t id, uint32_t timeout_ms);

/* See agentos_ext_job_result: the result text, ownership to the caller. */
char *ig_jobs_take_result(ig_jobs *jobs, int64_t id);

/* See agentos_ext_job_cancel. */
int32_t ig_jobs_cancel(ig_jobs *jobs, int64_t id);

/* --- for the exec callback, on the worker running the job --- */
int64_t ig_job_id(const ig_job *job);
const char *ig_job_tool(const ig_job *job);
const char *ig_job_args(const ig_job *job);
/* Becomes true when the job is cancelled; safe to read from any thread. */
const atomic_bool *ig_job_cancel_flag(const ig_job *job);
/* Records progress (0..1, clamped) and optional stage/message (copied). */
void ig_job_set_progress(ig_jobs *jobs, ig_job *job, double progress,
                         const char *stage, const char *message);

#endif
