/*
 * stability_emulator.c - the Stability v2beta emulator: lifecycle, routing,
 * auth, the results endpoint of async jobs, seeds, the content-filter switch
 * and the per-endpoint counters. Validation is in stability_validate*.c and
 * stability_form.c, answers in stability_respond.c, error shapes and faults
 * in stability_errors.c, the async store in stability_jobs.c.
 */
#include "emulators/stability_emulator.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/stability_internal.h"

#define DEFAULT_KEY "sk-stability-emulator"
#define DEFAULT_POLLS 2
#define MAX_BODY (10u * 1024u * 1024u) /* "payloads cannot be larger than 10MiB" */

static const char *const result_prefixes[] = {"/v2beta/results/",
                                              "/v2beta/stable-image/upscale/creative/result/"};

struct stab_emulator {
    emu_server *server;
    pthread_mutex_t lock;
    int pending_polls;
    int filter_left;
    uint64_t seed_serial;
    int made[STAB_ENDPOINT_COUNT];
    stab_jobs *jobs;
};

/* Which POST endpoint a path is (-1 = none). */
static int endpoint_of(const char *path)
{
    size_t n = strlen(STAB_PATH_PREFIX);
    if (strncmp(path, STAB_PATH_PREFIX, n))
        return -1;
    for (int i = 0; i < STAB_ENDPOINT_COUNT; i++)
        if (!strcmp(path + n, stab_endpoint_names[i]))
            return i;
    return -1;
}

/* The id of a results path, or NULL when path is not one. */
static const char *result_id(const char *path)
{
    for (size_t i = 0; i < sizeof result_prefixes / sizeof *result_prefixes; i++) {
        size_t n = strlen(result_prefixes[i]);
        if (!strncmp(path, result_prefixes[i], n) && path[n] && !strchr(path + n, '/'))
            return path + n;
    }
    return NULL;
}

/* A reproducible, random-looking seed in 1..4294967294 for "seed 0". */
static long long pick_seed(stab_emulator *emu)
{
    pthread_mutex_lock(&emu->lock);
    uint64_t x = ++emu->seed_serial * 0x9E3779B97F4A7C15ull;
    pthread_mutex_unlock(&emu->lock);
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    return (long long)(x % (uint64_t)STAB_MAX_SEED) + 1;
}

/* Takes one use of stab_emulator_filter_next; true when this answer is filtered. */
static bool take_filter(stab_emulator *emu)
{
    pthread_mutex_lock(&emu->lock);
    bool filtered = emu->filter_left > 0;
    if (filtered)
        emu->filter_left--;
    pthread_mutex_unlock(&emu->lock);
    return filtered;
}

/* Counts one image made by endpoint ep; returns the polls a new job waits. */
static int count_made(stab_emulator *emu, stab_endpoint ep)
{
    pthread_mutex_lock(&emu->lock);
    emu->made[ep]++;
    int polls = emu->pending_polls;
    pthread_mutex_unlock(&emu->lock);
    return polls;
}

/* GET of an async result: 202 while pending, then the image (kept). */
static void serve_result(stab_emulator *emu, const emu_request *req, const char *id,
                         emu_response *out)
{
    stab_accept accept = stab_accept_of(req);
    if (accept == STAB_ACCEPT_INVALID) {
        stab_respond_error(out, 400, "bad_request", "accept: must be image/* or application/json");
        return;
    }
    stab_job_result r;
    switch (stab_jobs_poll(emu->jobs, id, &r)) {
    case STAB_JOB_PENDING: {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "id", id);
        cJSON_AddStringToObject(body, "status", "in-progress");
        emu_respond_json(out, 202, body);
        break;
    }
    case STAB_JOB_READY:
        stab_respond_image(out, 200, accept, r.format, r.image, r.size, r.filtered, r.seed);
        free(r.image);
        break;
    default:
        stab_respond_error(out, 404, "not_found", "id: no generation found for the provided ID");
        break;
    }
}

/* A validated POST: draws the image and answers it, or queues the async job. */
static void produce(stab_emulator *emu, const stab_params *p, stab_accept accept,
                    emu_response *out)
{
    bool filtered = take_filter(emu);
    long long seed = p->seed ? p->seed : pick_seed(emu);
    size_t size = 0;
    unsigned char *image = stab_render(p, (unsigned)seed, filtered, &size);
    if (!image) {
        stab_respond_error(out, 500, "internal_error",
                           "An unexpected server error has occurred, please try again later.");
        return;
    }
    int polls = count_made(emu, p->ep);
    if (p->ep == STAB_UPSCALE_CREATIVE) {
        char id[65];
        stab_jobs_add(emu->jobs, id, image, size, p->output_format, filtered, seed, polls);
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "id", id);
        emu_respond_json(out, 200, body);
        return;
    }
    stab_respond_image(out, 200, accept, p->output_format, image, size, filtered, seed);
    free(image);
}

/* Core hook: auth, routing, content type, accept, validation, answer. */
static void on_request(void *ctx, const emu_request *req, emu_response *out)
{
    stab_emulator *emu = ctx;
    if (req->auth != EMU_AUTH_MATCHED) {
        stab_respond_error(out, 401, "unauthorized",
                           "authorization: invalid or missing header value");
        return;
    }
    const char *id = result_id(req->path);
    int ep = endpoint_of(req->path);
    bool get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
    if (id && get) {
        serve_result(emu, req, id, out);
        return;
    }
    if (ep < 0 || !post) {
        stab_respond_error(out, 404, "not_found", "path: %s %.200s does not exist",
                           req->method, req->path);
        return;
    }
    if (!req->multipart) {
        stab_respond_error(out, 400, "bad_request",
                           "content-type: must be multipart/form-data");
        return;
    }
    stab_accept accept = stab_accept_of(req);
    if (accept == STAB_ACCEPT_INVALID) {
        stab_respond_error(out, 400, "bad_request", "accept: must be image/* or application/json");
        return;
    }
    stab_params p;
    stab_errors e;
    if (stab_validate(req, (stab_endpoint)ep, &p, &e) != 0) {
        stab_respond_errors(out, 400, "bad_request", &e);
        return;
    }
    produce(emu, &p, accept, out);
}

stab_emulator *stab_emulator_start(int port, const char *api_key)
{
    if (emu_vips_init() != 0)
        return NULL;
    stab_emulator *emu = calloc(1, sizeof *emu);
    if (!emu)
        return NULL;
    pthread_mutex_init(&emu->lock, NULL);
    emu->pending_polls = DEFAULT_POLLS;
    emu->jobs = stab_jobs_new();
    char auth[512];
    snprintf(auth, sizeof auth, "Bearer %s", api_key ? api_key : DEFAULT_KEY);
    emu_config cfg = {
        .port = port, .auth_header = "Authorization", .auth_value = auth,
        .max_json_body = MAX_BODY, .max_multipart_body = MAX_BODY,
        .handler = on_request, .fault_response = stab_on_fault,
        .error_response = stab_on_core_error, .ctx = emu};
    emu->server = emu_server_start(&cfg);
    if (!emu->server) {
        stab_jobs_free(emu->jobs);
        pthread_mutex_destroy(&emu->lock);
        free(emu);
        return NULL;
    }
    return emu;
}

void stab_emulator_stop(stab_emulator *emu)
{
    if (!emu)
        return;
    emu_server_stop(emu->server);
    stab_jobs_free(emu->jobs);
    pthread_mutex_destroy(&emu->lock);
    free(emu);
}

const char *stab_emulator_base_url(const stab_emulator *emu)
{
    return emu_server_url(emu->server);
}

emu_server *stab_emulator_server(stab_emulator *emu)
{
    return emu->server;
}

void stab_emulator_set_pending_polls(stab_emulator *emu, int polls)
{
    pthread_mutex_lock(&emu->lock);
    emu->pending_polls = polls < 0 ? 0 : polls;
    pthread_mutex_unlock(&emu->lock);
}

void stab_emulator_filter_next(stab_emulator *emu, int count)
{
    pthread_mutex_lock(&emu->lock);
    emu->filter_left = count < 0 ? 0 : count;
    pthread_mutex_unlock(&emu->lock);
}

int stab_emulator_images_made(stab_emulator *emu, const char *endpoint)
{
    int n = 0;
    pthread_mutex_lock(&emu->lock);
    for (int i = 0; i < STAB_ENDPOINT_COUNT; i++)
        if (!endpoint || !strcmp(endpoint, stab_endpoint_names[i]))
            n += emu->made[i];
    pthread_mutex_unlock(&emu->lock);
    return n;
}
