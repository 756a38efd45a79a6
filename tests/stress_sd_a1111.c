/*
 * stress_sd_a1111.c - several threads generating through the A1111 client
 * on one instance at once, against the in-process A1111 emulator, while
 * another call is cancelled mid-job: the worker-thread exchange, progress
 * reads from every caller and the interrupt all overlap.
 *
 * Not a Criterion suite on purpose: Criterion's runner does not work under
 * ThreadSanitizer, and this program is what a TSan build of the A1111 client
 * runs (cmake -DIG_TSAN=ON -DIG_EMULATOR_ONLY=a1111, target
 * stress_sd_a1111). Exit 0 = every result was right.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/instance.h"
#include "core/jobs.h"
#include "emulators/a1111_emulator.h"
#include "tools/tool_call.h"

#define THREADS 4
#define ROUNDS 3

static ig_instance *inst;
static atomic_int failures, progress_reports;

/* Counts a failure unless text contains want; frees text. */
static void expect(char *text, const char *want, const char *what)
{
    if (!text || !strstr(text, want)) {
        fprintf(stderr, "%s: expected %s in %.400s\n", what, want, text ? text : "(null)");
        atomic_fetch_add(&failures, 1);
    }
    free(text);
}

/* Progress callback: arrives on job threads. */
static void on_progress(void *user_data, const char *json)
{
    (void)user_data;
    if (strstr(json, "automatic1111"))
        atomic_fetch_add(&progress_reports, 1);
}

/* Synchronous generations, n=2 with a seed. */
static void *worker(void *arg)
{
    int id = (int)(long)arg;
    for (int i = 0; i < ROUNDS; i++) {
        char args[128];
        snprintf(args, sizeof args, "{\"prompt\":\"fox %d\",\"n\":2,\"seed\":%d,"
                                    "\"size\":\"128x128\"}", id, id * 100 + i);
        int state = -1;
        expect(ig_tool_call(inst, NULL, "generate_image", args, &state), "\"ok\":true",
               "generate");
    }
    return NULL;
}

int main(void)
{
    a1111_emulator *emu = a1111_emulator_start(0, NULL);
    if (!emu) {
        fprintf(stderr, "the emulator did not start\n");
        return 1;
    }
    a1111_emulator_set_progress_reads(emu, 3); /* every job needs progress reads */
    setenv("STABLE_DIFFUSION_LOCAL_BASE_URL", a1111_emulator_base_url(emu), 1);
    char dir[] = "/tmp/ig-stress-a1111-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char config[512];
    snprintf(config, sizeof config, "{\"imageGeneration\":{\"imageDir\":\"%s/images\","
             "\"routing\":{\"maxRetries\":0},\"providers\":{\"stable-diffusion-local\":"
             "{\"pollIntervalMs\":10}}}}", dir);
    ig_error err;
    ig_error_clear(&err);
    inst = ig_instance_open(config, NULL, on_progress, NULL, NULL, &err);
    if (!inst) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    pthread_t threads[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, worker, (void *)i);
    /* A job cancelled while it runs (it may interrupt a neighbour's job,
     * as on a real A1111: that one then stores what it got). */
    int64_t job = ig_instance_submit(inst, "generate_image", "{\"prompt\":\"an owl\"}");
    if (job <= 0 || a1111_emulator_wait_running(emu, 30000) != 0)
        atomic_fetch_add(&failures, 1);
    usleep(20000);
    ig_jobs_cancel(inst->jobs, job);
    int end = ig_jobs_wait(inst->jobs, job, 60000);
    if (end != AGENTOS_EXT_JOB_CANCELED && end != AGENTOS_EXT_JOB_SUCCEEDED)
        atomic_fetch_add(&failures, 1);
    free(ig_jobs_take_result(inst->jobs, job));
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    ig_instance_close(inst);
    a1111_emulator_stop(emu);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        atomic_fetch_add(&failures, 1);
    int failed = atomic_load(&failures);
    printf("stress_sd_a1111: %d failures, %d progress reports\n", failed,
           atomic_load(&progress_reports));
    return failed ? 1 : 0;
}
