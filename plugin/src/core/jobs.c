/* jobs.c - see jobs.h. One mutex guards the table; one condition variable
 * announces any change (new job, state change, shutdown). */
#include "core/jobs.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentos_ext.h"

struct ig_job {
    int64_t id;
    char *tool;
    char *args;
    int state;            /* AGENTOS_EXT_JOB_* */
    atomic_bool cancel;
    double progress;
    char *stage;
    char *message;
    char *result;         /* set once the job ends */
    ig_job *next;         /* table list, oldest first */
};

struct ig_jobs {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    ig_job *head, *tail;
    int live;             /* jobs in the table */
    int max_live;
    int64_t next_id;
    bool intake_closed;
    bool stopping;        /* workers exit once the queue is empty */
    pthread_t *workers;
    int n_workers, max_workers;
    int idle_workers;
    const ig_job_ops *ops;
    void *ctx;
};

static const char *const state_names[] = {"queued", "running", "succeeded",
                                          "failed", "canceled"};

static bool is_done(int state)
{
    return state >= AGENTOS_EXT_JOB_SUCCEEDED;
}

ig_jobs *ig_jobs_new(int max_workers, int max_live_jobs, const ig_job_ops *ops,
                     void *ctx)
{
    ig_jobs *jobs = calloc(1, sizeof *jobs);
    if (!jobs)
        return NULL;
    jobs->workers = calloc((size_t)max_workers, sizeof *jobs->workers);
    if (!jobs->workers) {
        free(jobs);
        return NULL;
    }
    pthread_mutex_init(&jobs->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&jobs->changed, &attr);
    pthread_condattr_destroy(&attr);
    jobs->max_workers = max_workers;
    jobs->max_live = max_live_jobs;
    jobs->next_id = 1;
    jobs->ops = ops;
    jobs->ctx = ctx;
    return jobs;
}

static void job_free(ig_job *job)
{
    free(job->tool);
    free(job->args);
    free(job->stage);
    free(job->message);
    free(job->result);
    free(job);
}

/* Caller holds the lock. */
static ig_job *find_locked(ig_jobs *jobs, int64_t id)
{
    for (ig_job *j = jobs->head; j; j = j->next)
        if (j->id == id)
            return j;
    return NULL;
}

/* Caller holds the lock. */
static void unlink_locked(ig_jobs *jobs, ig_job *job)
{
    ig_job **link = &jobs->head;
    ig_job *prev = NULL;
    while (*link && *link != job) {
        prev = *link;
        link = &(*link)->next;
    }
    if (!*link)
        return;
    *link = job->next;
    if (jobs->tail == job)
        jobs->tail = prev;
    jobs->live--;
}

/* Next queued job, or NULL. Caller holds the lock. */
static ig_job *next_queued_locked(ig_jobs *jobs)
{
    for (ig_job *j = jobs->head; j; j = j->next)
        if (j->state == AGENTOS_EXT_JOB_QUEUED)
            return j;
    return NULL;
}

/* Ends a job: tells the owner, then stores the result and wakes waiters.
 * The owner hears first because once the state is published another thread
 * may take the result and free the job. Called without the lock. */
static void finish_job(ig_jobs *jobs, ig_job *job, char *result, int state)
{
    if (jobs->ops->finished)
        jobs->ops->finished(jobs->ctx, job, state);
    pthread_mutex_lock(&jobs->lock);
    job->result = result;
    job->state = state;
    job->progress = 1.0;
    pthread_cond_broadcast(&jobs->changed);
    pthread_mutex_unlock(&jobs->lock);
}

static void *worker_main(void *arg)
{
    ig_jobs *jobs = arg;
    pthread_mutex_lock(&jobs->lock);
    for (;;) {
        ig_job *job = next_queued_locked(jobs);
        if (!job) {
            if (jobs->stopping)
                break;
            jobs->idle_workers++;
            pthread_cond_wait(&jobs->changed, &jobs->lock);
            jobs->idle_workers--;
            continue;
        }
        job->state = AGENTOS_EXT_JOB_RUNNING;
        pthread_cond_broadcast(&jobs->changed);
        pthread_mutex_unlock(&jobs->lock);

        int final_state = AGENTOS_EXT_JOB_FAILED;
        char *result = jobs->ops->exec(jobs->ctx, job, &final_state);
        finish_job(jobs, job, result, final_state);

        pthread_mutex_lock(&jobs->lock);
    }
    pthread_mutex_unlock(&jobs->lock);
    return NULL;
}

/* Starts one more worker when queued jobs outnumber idle workers (an idle
 * worker may not have woken for an earlier submission yet). Caller holds lock. */
static void grow_workers_locked(ig_jobs *jobs)
{
    int queued = 0;
    for (ig_job *j = jobs->head; j; j = j->next)
        queued += j->state == AGENTOS_EXT_JOB_QUEUED;
    if (queued <= jobs->idle_workers || jobs->n_workers >= jobs->max_workers)
        return;
    if (pthread_create(&jobs->workers[jobs->n_workers], NULL, worker_main, jobs) == 0)
        jobs->n_workers++;
}

int64_t ig_jobs_submit(ig_jobs *jobs, const char *tool, const char *args)
{
    ig_job *job = calloc(1, sizeof *job);
    if (!job)
        return AGENTOS_EXT_E_NOMEM;
    job->tool = strdup(tool);
    job->args = strdup(args);
    if (!job->tool || !job->args) {
        job_free(job);
        return AGENTOS_EXT_E_NOMEM;
    }
    atomic_init(&job->cancel, false);

    pthread_mutex_lock(&jobs->lock);
    int64_t rc;
    if (jobs->intake_closed) {
        rc = AGENTOS_EXT_E_CLOSING;
    } else if (jobs->live >= jobs->max_live) {
        rc = AGENTOS_EXT_E_BUSY;
    } else {
        rc = job->id = jobs->next_id++;
        if (jobs->tail)
            jobs->tail->next = job;
        else
            jobs->head = job;
        jobs->tail = job;
        jobs->live++;
        grow_workers_locked(jobs);
        if (jobs->n_workers == 0) {
            /* Could not start any thread: fail the submission cleanly. */
            unlink_locked(jobs, job);
            rc = AGENTOS_EXT_E_NOMEM;
        } else {
            pthread_cond_broadcast(&jobs->changed);
        }
    }
    pthread_mutex_unlock(&jobs->lock);
    if (rc < 0)
        job_free(job);
    return rc;
}

const char *ig_job_state_name(int state)
{
    return state >= 0 && state <= AGENTOS_EXT_JOB_CANCELED ? state_names[state] : "unknown";
}

char *ig_jobs_poll_json(ig_jobs *jobs, int64_t id)
{
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddNumberToObject(obj, "jobId", (double)id);
    pthread_mutex_lock(&jobs->lock);
    ig_job *job = find_locked(jobs, id);
    if (!job) {
        cJSON_AddStringToObject(obj, "status", "not_found");
        cJSON_AddBoolToObject(obj, "done", false);
    } else {
        cJSON_AddStringToObject(obj, "tool", job->tool);
        cJSON_AddStringToObject(obj, "status", state_names[job->state]);
        cJSON_AddBoolToObject(obj, "done", is_done(job->state));
        cJSON_AddBoolToObject(obj, "cancelRequested", atomic_load(&job->cancel));
        cJSON_AddNumberToObject(obj, "progress", job->progress);
        cJSON_AddStringToObject(obj, "stage", job->stage ? job->stage : "");
        cJSON_AddStringToObject(obj, "message", job->message ? job->message : "");
    }
    pthread_mutex_unlock(&jobs->lock);
    char *text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    return text;
}

/* Absolute CLOCK_MONOTONIC deadline timeout_ms from now. */
static struct timespec deadline_after(uint32_t timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int32_t ig_jobs_wait(ig_jobs *jobs, int64_t id, uint32_t timeout_ms)
{
    struct timespec deadline = deadline_after(timeout_ms);
    int32_t rc;
    pthread_mutex_lock(&jobs->lock);
    for (;;) {
        ig_job *job = find_locked(jobs, id);
        if (!job) {
            rc = AGENTOS_EXT_E_NOT_FOUND;
            break;
        }
        if (is_done(job->state)) {
            rc = job->state;
            break;
        }
        if (timeout_ms == 0 ||
            pthread_cond_timedwait(&jobs->changed, &jobs->lock, &deadline) == ETIMEDOUT) {
            job = find_locked(jobs, id);
            rc = !job ? AGENTOS_EXT_E_NOT_FOUND
                      : is_done(job->state) ? job->state : AGENTOS_EXT_E_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&jobs->lock);
    return rc;
}

char *ig_jobs_take_result(ig_jobs *jobs, int64_t id)
{
    char *result = NULL;
    ig_job *taken = NULL;
    pthread_mutex_lock(&jobs->lock);
    ig_job *job = find_locked(jobs, id);
    if (job && is_done(job->state)) {
        result = job->result;
        job->result = NULL;
        unlink_locked(jobs, job);
        taken = job;
    }
    pthread_mutex_unlock(&jobs->lock);
    if (taken)
        job_free(taken);
    return result;
}

int32_t ig_jobs_cancel(ig_jobs *jobs, int64_t id)
{
    ig_job *ended_now = NULL;
    pthread_mutex_lock(&jobs->lock);
    ig_job *job = find_locked(jobs, id);
    if (!job) {
        pthread_mutex_unlock(&jobs->lock);
        return AGENTOS_EXT_E_NOT_FOUND;
    }
    atomic_store(&job->cancel, true);
    if (job->state == AGENTOS_EXT_JOB_QUEUED) {
        /* Not started: end it here so no worker ever picks it up. */
        job->state = AGENTOS_EXT_JOB_RUNNING;
        ended_now = job;
    }
    pthread_mutex_unlock(&jobs->lock);
    if (ended_now)
        finish_job(jobs, ended_now, jobs->ops->canceled_result(jobs->ctx, ended_now),
                   AGENTOS_EXT_JOB_CANCELED);
    return AGENTOS_EXT_OK;
}

void ig_jobs_free(ig_jobs *jobs)
{
    if (!jobs)
        return;
    pthread_mutex_lock(&jobs->lock);
    jobs->intake_closed = true;
    jobs->stopping = true;
    pthread_cond_broadcast(&jobs->changed);
    pthread_mutex_unlock(&jobs->lock);
    for (int i = 0; i < jobs->n_workers; i++)
        pthread_join(jobs->workers[i], NULL);
    for (ig_job *j = jobs->head, *next; j; j = next) {
        next = j->next;
        job_free(j);
    }
    pthread_cond_destroy(&jobs->changed);
    pthread_mutex_destroy(&jobs->lock);
    free(jobs->workers);
    free(jobs);
}

int64_t ig_job_id(const ig_job *job)
{
    return job->id;
}

const char *ig_job_tool(const ig_job *job)
{
    return job->tool;
}

const char *ig_job_args(const ig_job *job)
{
    return job->args;
}

const atomic_bool *ig_job_cancel_flag(const ig_job *job)
{
    return &job->cancel;
}

void ig_job_set_progress(ig_jobs *jobs, ig_job *job, double progress,
                         const char *stage, const char *message)
{
    char *stage_copy = stage ? strdup(stage) : NULL;
    char *message_copy = message ? strdup(message) : NULL;
    pthread_mutex_lock(&jobs->lock);
    job->progress = progress < 0 ? 0 : progress > 1 ? 1 : progress;
    if (stage_copy) {
        free(job->stage);
        job->stage = stage_copy;
    }
    if (message_copy) {
        free(job->message);
        job->message = message_copy;
    }
    pthread_mutex_unlock(&jobs->lock);
}
