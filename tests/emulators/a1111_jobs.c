/*
 * a1111_jobs.c - the A1111 emulator's one-job-at-a-time state: the queue
 * lock every generation takes, progress that advances one step per read of
 * /sdapi/v1/progress, and interrupt (see a1111_internal.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulators/a1111_internal.h"

void a1111_state_init(a1111_state *st)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_init(&st->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&st->cond, &attr);
    pthread_condattr_destroy(&attr);
    st->controlnet = true;
    st->seed_counter = 1234567;
    snprintf(st->checkpoint, sizeof st->checkpoint, "v1-5-pruned-emaonly.safetensors "
             "[6ce0161689]");
}

void a1111_state_free(a1111_state *st)
{
    for (int i = 0; i < A1111_KINDS; i++)
        cJSON_Delete(st->last_body[i]);
    pthread_cond_destroy(&st->cond);
    pthread_mutex_destroy(&st->lock);
}

long long a1111_random_seed(a1111_state *st)
{
    pthread_mutex_lock(&st->lock);
    long long seed = st->seed_counter;
    st->seed_counter = (st->seed_counter * 48271 + 11) % 4294967294LL;
    pthread_mutex_unlock(&st->lock);
    return seed;
}

bool a1111_job_run(a1111_state *st, a1111_kind kind, const char *job, int steps,
                   const cJSON *body)
{
    pthread_mutex_lock(&st->lock);
    while (st->busy && !st->stopping) /* shared.state: one job at a time */
        pthread_cond_wait(&st->cond, &st->lock);
    st->busy = true;
    snprintf(st->job, sizeof st->job, "%s", job);
    st->steps = steps > 0 ? steps : 1;
    st->step = 0;
    st->reads = 0;
    st->interrupted = false;
    st->timestamp = (long long)time(NULL);
    st->jobs[kind]++;
    cJSON_Delete(st->last_body[kind]);
    st->last_body[kind] = cJSON_Duplicate(body, true);
    pthread_cond_broadcast(&st->cond);
    while (st->reads < st->hold_reads && !st->interrupted && !st->stopping)
        pthread_cond_wait(&st->cond, &st->lock);
    bool interrupted = st->interrupted;
    st->busy = false;
    st->job[0] = '\0';
    st->interrupted = false;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
    return interrupted;
}

/* shared.state.dict() of the running job (or of an idle server). */
static cJSON *state_dict(const a1111_state *st)
{
    cJSON *s = cJSON_CreateObject();
    char stamp[32];
    time_t t = (time_t)st->timestamp;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
    cJSON_AddBoolToObject(s, "skipped", false);
    cJSON_AddBoolToObject(s, "interrupted", st->busy && st->interrupted);
    cJSON_AddBoolToObject(s, "stopping_generation", false);
    cJSON_AddStringToObject(s, "job", st->busy ? st->job : "");
    cJSON_AddNumberToObject(s, "job_count", st->busy ? 1 : 0);
    cJSON_AddStringToObject(s, "job_timestamp", st->timestamp ? stamp : "0");
    cJSON_AddNumberToObject(s, "job_no", 0);
    cJSON_AddNumberToObject(s, "sampling_step", st->busy ? st->step : 0);
    cJSON_AddNumberToObject(s, "sampling_steps", st->busy ? st->steps : 0);
    return s;
}

cJSON *a1111_progress(a1111_state *st)
{
    pthread_mutex_lock(&st->lock);
    double progress = 0, eta = 0;
    if (st->busy) {
        st->reads++;
        int hold = st->hold_reads > 0 ? st->hold_reads : 1;
        int step = (int)((long long)st->reads * st->steps / hold);
        st->step = step > st->steps ? st->steps : step;
        /* api.py: 0.01 + job_no / job_count + step / steps / job_count */
        progress = 0.01 + (double)st->step / st->steps;
        progress = progress > 1 ? 1 : progress;
        eta = (st->steps - st->step) * 0.25; /* a pretend 4 it/s */
        pthread_cond_broadcast(&st->cond);
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "progress", progress);
    cJSON_AddNumberToObject(root, "eta_relative", eta);
    cJSON_AddItemToObject(root, "state", state_dict(st));
    cJSON_AddNullToObject(root, "current_image");
    cJSON_AddNullToObject(root, "textinfo");
    pthread_mutex_unlock(&st->lock);
    return root;
}

void a1111_interrupt(a1111_state *st)
{
    pthread_mutex_lock(&st->lock);
    st->interrupts++;
    if (st->busy)
        st->interrupted = true;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
}
