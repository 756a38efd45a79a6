/*
 * test_jobs.c - submitted calls: lifecycle, cancellation of queued and
 * running jobs, the live-job cap, concurrent callers, and closing with work
 * in flight. Hanging inputs come from a loopback server that never answers,
 * so nothing here depends on timing luck.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentos_ext.h"
#include "support/test_calls.h"
#include "support/test_http_server.h"
#include "tools/tool_call.h"

TestSuite(jobs, .init = tc_clear_provider_env, .timeout = 60);

static const char *status_of(ig_instance *inst, int64_t id, char *buf, size_t cap)
{
    char *json = ig_jobs_poll_json(inst->jobs, id);
    cJSON *poll = cJSON_Parse(json);
    snprintf(buf, cap, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(poll, "status")));
    cJSON_Delete(poll);
    free(json);
    return buf;
}

static cJSON *take(ig_instance *inst, int64_t id)
{
    char *text = ig_jobs_take_result(inst->jobs, id);
    cr_assert(text, "no result for job %lld", (long long)id);
    cJSON *r = cJSON_Parse(text);
    free(text);
    return r;
}

/* A call whose image input hangs until cancelled. */
static char *hanging_args(ts_server *server)
{
    char *args = NULL;
    cr_assert(asprintf(&args, "{\"image\":\"%s/hang.png\"}", ts_server_base_url(server)) > 0);
    return args;
}

static ts_server *start_hanging_server(void)
{
    ts_route route = {.path = "/hang.png", .behaviour = TS_HANG};
    return ts_server_start(&route, 1);
}

Test(jobs, lifecycle)
{
    ig_instance *inst = tc_open(NULL);
    int64_t id = ig_jobs_submit(inst->jobs, "generate_image", "{\"prompt\":\"a\"}");
    cr_assert_gt(id, 0);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 30000), AGENTOS_EXT_JOB_FAILED);
    char status[32];
    cr_expect_str_eq(status_of(inst, id, status, sizeof status), "failed");
    cJSON *r = take(inst, id);
    tc_expect_error(r, "no_provider_configured", "", NULL);
    cJSON_Delete(r);
    /* Taken: the id is gone. */
    cr_expect_null(ig_jobs_take_result(inst->jobs, id));
    cr_expect_str_eq(status_of(inst, id, status, sizeof status), "not_found");
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 0), AGENTOS_EXT_E_NOT_FOUND);
    cr_expect_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_E_NOT_FOUND);
    tc_close(inst);
}

Test(jobs, cancel_running_job_interrupts_its_fetch)
{
    ts_server *server = start_hanging_server();
    ig_instance *inst = tc_open("\"allowPrivateUrls\":true,\"maxConcurrentJobs\":1");
    char *args = hanging_args(server);
    int64_t id = ig_jobs_submit(inst->jobs, "upscale_image", args);
    /* Wait until the server holds the request: the job is mid-fetch. */
    while (ts_server_hits(server, "/hang.png") == 0)
        ig_jobs_wait(inst->jobs, id, 10);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 0), AGENTOS_EXT_E_TIMEOUT);
    cr_expect_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_OK);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 20000), AGENTOS_EXT_JOB_CANCELED);
    cJSON *r = take(inst, id);
    tc_expect_error(r, "canceled", "image", NULL);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "status")), "canceled");
    cJSON_Delete(r);
    free(args);
    tc_close(inst);
    ts_server_stop(server);
}

Test(jobs, cancel_queued_job_ends_at_once)
{
    ts_server *server = start_hanging_server();
    ig_instance *inst = tc_open("\"allowPrivateUrls\":true,\"maxConcurrentJobs\":1");
    char *args = hanging_args(server);
    int64_t busy = ig_jobs_submit(inst->jobs, "upscale_image", args);
    int64_t queued = ig_jobs_submit(inst->jobs, "generate_image", "{\"prompt\":\"a\"}");
    char status[32];
    cr_expect_str_eq(status_of(inst, queued, status, sizeof status), "queued");
    cr_expect_eq(ig_jobs_cancel(inst->jobs, queued), AGENTOS_EXT_OK);
    /* Ends without a worker: the only worker is still stuck in `busy`. */
    cr_expect_eq(ig_jobs_wait(inst->jobs, queued, 0), AGENTOS_EXT_JOB_CANCELED);
    cJSON *r = take(inst, queued);
    tc_expect_error(r, "canceled", "", "before it started", NULL);
    cJSON_Delete(r);
    ig_jobs_cancel(inst->jobs, busy);
    cr_expect_eq(ig_jobs_wait(inst->jobs, busy, 20000), AGENTOS_EXT_JOB_CANCELED);
    free(args);
    tc_close(inst);
    ts_server_stop(server);
}

Test(jobs, live_job_cap_answers_busy)
{
    ts_server *server = start_hanging_server();
    ig_instance *inst = tc_open("\"allowPrivateUrls\":true,\"maxQueuedJobs\":2");
    char *args = hanging_args(server);
    int64_t a = ig_jobs_submit(inst->jobs, "upscale_image", args);
    int64_t b = ig_jobs_submit(inst->jobs, "upscale_image", args);
    cr_expect_eq(ig_jobs_submit(inst->jobs, "upscale_image", args), AGENTOS_EXT_E_BUSY);
    ig_jobs_cancel(inst->jobs, a);
    ig_jobs_wait(inst->jobs, a, 20000);
    free(ig_jobs_take_result(inst->jobs, a));
    /* A slot is free again. */
    int64_t c = ig_jobs_submit(inst->jobs, "generate_image", "{\"prompt\":\"a\"}");
    cr_expect_gt(c, 0);
    ig_jobs_cancel(inst->jobs, b);
    free(args);
    tc_close(inst); /* waits for b and c */
    ts_server_stop(server);
}

Test(jobs, close_with_unfinished_and_untaken_jobs)
{
    ig_instance *inst = tc_open(NULL);
    for (int i = 0; i < 20; i++)
        cr_expect_gt(ig_jobs_submit(inst->jobs, "generate_image", "{\"prompt\":\"a\"}"), 0);
    tc_close(inst); /* must not leak or hang: ASan and valgrind runs check */
}

typedef struct worker_arg {
    ig_instance *inst;
    int failures;
} worker_arg;

/* Mixes synchronous calls and submitted jobs on one shared instance. */
static void *hammer(void *p)
{
    worker_arg *w = p;
    for (int i = 0; i < 40; i++) {
        int state;
        char *text = ig_tool_call(w->inst, NULL, "generate_image",
                                  i % 2 ? "{\"prompt\":\"a\",\"n\":99}" : "{\"prompt\":\"b\"}",
                                  &state);
        w->failures += !text || !strstr(text, i % 2 ? "\"field\":\"n\"" : "no_provider");
        free(text);
        int64_t id = ig_jobs_submit(w->inst->jobs, "edit_image", "{\"image\":\"/nonexistent\",\"prompt\":\"x\"}");
        w->failures += ig_jobs_wait(w->inst->jobs, id, 30000) != AGENTOS_EXT_JOB_FAILED;
        text = ig_jobs_take_result(w->inst->jobs, id);
        w->failures += !text || !strstr(text, "image_not_found");
        free(text);
    }
    return NULL;
}

Test(jobs, concurrent_callers)
{
    ig_instance *inst = tc_open("\"maxQueuedJobs\":1000");
    pthread_t threads[8];
    worker_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (worker_arg){inst, 0};
        pthread_create(&threads[i], NULL, hammer, &args[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        cr_expect_eq(args[i].failures, 0, "thread %d saw %d wrong results", i,
                     args[i].failures);
    }
    tc_close(inst);
}
