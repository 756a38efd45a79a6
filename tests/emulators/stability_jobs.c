/*
 * stability_jobs.c - the async results store of the Stability emulator
 * (creative upscales): each result is pending for a set number of polls,
 * then ready, and stays fetchable until JOBS_MAX newer jobs replace it (the
 * real API keeps results for 24 hours).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/stability_internal.h"

#define JOBS_MAX 32

typedef struct stab_job {
    char id[65];
    unsigned char *image; /* NULL = free slot */
    size_t size;
    char format[8];
    bool filtered;
    long long seed;
    int polls_left;
} stab_job;

struct stab_jobs {
    pthread_mutex_t lock;
    stab_job ring[JOBS_MAX]; /* oldest replaced first */
    size_t next;
};

stab_jobs *stab_jobs_new(void)
{
    stab_jobs *jobs = calloc(1, sizeof *jobs);
    if (!jobs)
        abort();
    pthread_mutex_init(&jobs->lock, NULL);
    return jobs;
}

void stab_jobs_free(stab_jobs *jobs)
{
    if (!jobs)
        return;
    for (size_t i = 0; i < JOBS_MAX; i++)
        free(jobs->ring[i].image);
    pthread_mutex_destroy(&jobs->lock);
    free(jobs);
}

void stab_jobs_add(stab_jobs *jobs, char id[65], unsigned char *image, size_t size,
                   const char *format, bool filtered, long long seed, int polls)
{
    stab_hex_id(id, 64);
    pthread_mutex_lock(&jobs->lock);
    stab_job *job = &jobs->ring[jobs->next];
    jobs->next = (jobs->next + 1) % JOBS_MAX;
    free(job->image);
    memcpy(job->id, id, 65);
    job->image = image;
    job->size = size;
    snprintf(job->format, sizeof job->format, "%s", format);
    job->filtered = filtered;
    job->seed = seed;
    job->polls_left = polls < 0 ? 0 : polls;
    pthread_mutex_unlock(&jobs->lock);
}

stab_job_state stab_jobs_poll(stab_jobs *jobs, const char *id, stab_job_result *out)
{
    stab_job_state state = STAB_JOB_UNKNOWN;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&jobs->lock);
    for (size_t i = 0; i < JOBS_MAX && state == STAB_JOB_UNKNOWN; i++) {
        stab_job *job = &jobs->ring[i];
        if (!job->image || strcmp(job->id, id))
            continue;
        if (job->polls_left > 0) {
            job->polls_left--;
            state = STAB_JOB_PENDING;
            break;
        }
        state = STAB_JOB_READY;
        out->image = malloc(job->size ? job->size : 1);
        if (!out->image)
            abort();
        memcpy(out->image, job->image, job->size);
        out->size = job->size;
        snprintf(out->format, sizeof out->format, "%s", job->format);
        out->filtered = job->filtered;
        out->seed = job->seed;
    }
    pthread_mutex_unlock(&jobs->lock);
    return state;
}
