/*
 * cmd_call.c - `agentos-ext call TOOL JSON`: submit the call as a job, wait
 * for it in short slices (the progress callback draws the live line),
 * cancel it on SIGINT or --timeout, and print its result envelope.
 */
#include "cmd_call.h"

#include <agentos_ext.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_common.h"
#include "text_util.h"
#include "json_parse.h"

/* How long one agentos_ext_job_wait slice blocks. */
#define WAIT_SLICE_MS 200u

static volatile sig_atomic_t interrupted;

static void on_sigint(int signo)
{
    (void)signo;
    interrupted = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The arguments text: the literal, or stdin for "-". NULL on read error. */
static char *read_arguments(const char *arg)
{
    if (strcmp(arg, "-") != 0)
        return strdup(arg);
    return agx_read_stream(stdin, NULL);
}

/*
 * Waits for the job to end, cancelling it once on SIGINT or when the
 * deadline (0 = none) passes. Returns the final AGENTOS_EXT_JOB_* state or
 * a negative AGENTOS_EXT_E_* code other than E_TIMEOUT.
 */
static int32_t wait_for_job(agx_ext *e, agx_host_ctx *ctx, int64_t id,
                            double deadline)
{
    int cancel_sent = 0;
    for (;;) {
        uint32_t slice = WAIT_SLICE_MS;
        if (deadline > 0 && !cancel_sent) {
            double left = deadline - now_s();
            if (left < slice / 1000.0)
                slice = left > 0 ? (uint32_t)(left * 1000.0) : 0;
        }
        int32_t state = agx_ext_job_wait(e, id, slice);
        if (state != AGENTOS_EXT_E_TIMEOUT)
            return state;
        if (cancel_sent)
            continue;
        const char *why = NULL;
        if (interrupted)
            why = "interrupted";
        else if (deadline > 0 && now_s() >= deadline)
            why = "timed out";
        if (!why)
            continue;
        agx_host_say(ctx, "%s; canceling job %lld (Ctrl-C again to quit at once)",
                     why, (long long)id);
        int32_t rc = agx_ext_job_cancel(e, id);
        if (rc != AGENTOS_EXT_OK && rc != AGENTOS_EXT_E_NOT_FOUND)
            agx_host_say(ctx, "cancel failed with code %d", (int)rc);
        cancel_sent = 1;
    }
}

/* Prints the envelope pretty on stdout; returns the exit status from "ok". */
static int print_result(const char *text)
{
    cJSON *doc = agx_json_parse_str(text);
    if (!cJSON_IsObject(doc)) {
        fputs(text, stdout);
        fputc('\n', stdout);
        fprintf(stderr, "agentos-ext: the result is not a JSON object\n");
        cJSON_Delete(doc);
        return AGX_EXIT_TOOL_ERROR;
    }
    char *pretty = cJSON_Print(doc);
    fputs(pretty ? pretty : text, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(pretty);
    int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok"));
    cJSON_Delete(doc);
    return ok ? AGX_EXIT_OK : AGX_EXIT_TOOL_ERROR;
}

/* Submits, waits and prints; the instance is open. */
static int run_job(const agx_cli *cli, agx_ext *e, agx_host_ctx *ctx,
                   const char *args, const sigset_t *sigint_only)
{
    const char *tool = cli->positional[0];
    char err[1024];
    int64_t id = agx_ext_submit(e, tool, args, err, sizeof err);
    /* Threads the extension started so far inherited the blocked SIGINT;
     * from now on only this thread receives it. */
    pthread_sigmask(SIG_UNBLOCK, sigint_only, NULL);
    if (id <= 0) {
        fprintf(stderr, "agentos-ext: cannot submit %s (code %lld): %s\n", tool,
                (long long)id, err);
        return AGX_EXIT_TOOL_ERROR;
    }
    double deadline = cli->has_timeout ? now_s() + cli->timeout_s : 0;
    int32_t state = wait_for_job(e, ctx, id, deadline);
    agx_host_clear_progress(ctx);
    if (state < 0) {
        fprintf(stderr, "agentos-ext: waiting for job %lld failed (code %d)\n",
                (long long)id, (int)state);
        return AGX_EXIT_TOOL_ERROR;
    }
    char *result = agx_ext_job_result(e, id);
    if (!result) {
        fprintf(stderr, "agentos-ext: job %lld ended but has no result\n",
                (long long)id);
        return AGX_EXIT_TOOL_ERROR;
    }
    int status = print_result(result);
    free(result);
    return status;
}

int agx_cmd_call(const agx_cli *cli)
{
    char *args = read_arguments(cli->positional[1]);
    if (!args) {
        fprintf(stderr, "agentos-ext: cannot read the arguments from stdin\n");
        return AGX_EXIT_USAGE;
    }
    /*
     * Block SIGINT before the library can start threads (its constructors,
     * open and submit may), so that every extension thread inherits the
     * block and the signal only ever interrupts this thread. SA_RESETHAND:
     * a second Ctrl-C kills the process the usual way.
     */
    sigset_t sigint_only;
    sigemptyset(&sigint_only);
    sigaddset(&sigint_only, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigint_only, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);

    agx_ext e;
    const char *name = cli->extension ? cli->extension : AGX_DEFAULT_EXTENSION;
    int status = agx_cli_load(cli, name, &e);
    if (status == AGX_EXIT_OK) {
        agx_host_ctx ctx;
        status = agx_cli_open(cli, &e, &ctx);
        if (status == AGX_EXIT_OK)
            status = run_job(cli, &e, &ctx, args, &sigint_only);
        agx_ext_unload(&e);
        agx_host_ctx_destroy(&ctx);
    }
    free(args);
    return status;
}
