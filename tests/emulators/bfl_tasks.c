/*
 * bfl_tasks.c - the BFL emulator's async task store: accepted tasks, their
 * Pending -> final status progression counted in polls (never wall-clock
 * time), the test hooks (pending polls, failures, credits), and the signed
 * delivery URLs whose images are rendered on download.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emulators/bfl_internal.h"
#include "emulators/emu_images.h"

#define TASKS_MAX 1024       /* a ring: the oldest task is forgotten first */
#define START_CREDITS 10000.0
#define SAMPLE_TTL_S 600     /* result URLs are valid for 10 minutes */
#define ENDPOINTS_MAX 16

typedef enum bfl_outcome {
    BFL_OUT_READY, BFL_OUT_ERROR, BFL_OUT_REQUEST_MODERATED, BFL_OUT_CONTENT_MODERATED
} bfl_outcome;

typedef struct bfl_task {
    bool used;
    char id[37];
    int endpoint;          /* index into bfl_endpoints */
    int polls, pending;
    bfl_outcome outcome;
    int width, height;
    char format[8];
    char *prompt;
    double seed;
    double start_time, end_time; /* end_time 0 until final */
    time_t expires;        /* the sample URL's se (0 until Ready) */
    char sig[17];
} bfl_task;

struct bfl_store {
    pthread_mutex_t lock;
    bfl_task tasks[TASKS_MAX];
    size_t next;
    int pending_polls, fail_next;
    bool no_credits;
    double spent;
    int counts[ENDPOINTS_MAX];
    uint64_t rng, secret;
};

/* splitmix64: ids, seeds and the signing secret. */
static uint64_t mix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Wall-clock seconds with a fraction, like the API's start_time. */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A store with the default of 2 pending polls and a random signing secret. */
bfl_store *bfl_store_new(void)
{
    bfl_store *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    pthread_mutex_init(&s->lock, NULL);
    s->pending_polls = 2;
    s->rng = (uint64_t)now_seconds() * 1000003u ^ (uint64_t)(uintptr_t)s ^ (uint64_t)getpid();
    s->secret = mix64(&s->rng);
    return s;
}

/* Frees every task and the store. */
void bfl_store_free(bfl_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < TASKS_MAX; i++)
        free(s->tasks[i].prompt);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Sets the pending polls of tasks submitted from now on. */
void bfl_store_set_pending(bfl_store *s, int polls)
{
    pthread_mutex_lock(&s->lock);
    s->pending_polls = polls < 0 ? 0 : polls;
    pthread_mutex_unlock(&s->lock);
}

/* Makes the next count accepted tasks end as "Error". */
void bfl_store_fail_next(bfl_store *s, int count)
{
    pthread_mutex_lock(&s->lock);
    s->fail_next = count < 0 ? 0 : count;
    pthread_mutex_unlock(&s->lock);
}

/* Turns the 402 of an empty balance on or off. */
void bfl_store_set_no_credits(bfl_store *s, bool on)
{
    pthread_mutex_lock(&s->lock);
    s->no_credits = on;
    pthread_mutex_unlock(&s->lock);
}

/* Whether submissions should answer 402. */
bool bfl_store_no_credits(bfl_store *s)
{
    pthread_mutex_lock(&s->lock);
    bool on = s->no_credits;
    pthread_mutex_unlock(&s->lock);
    return on;
}

/* The balance /v1/credits reports. */
double bfl_store_credits(bfl_store *s)
{
    pthread_mutex_lock(&s->lock);
    double left = s->no_credits || s->spent > START_CREDITS ? 0 : START_CREDITS - s->spent;
    pthread_mutex_unlock(&s->lock);
    return left;
}

/* Accepted tasks for an endpoint name (NULL = all). */
int bfl_store_count(bfl_store *s, const char *endpoint)
{
    int n = 0;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; bfl_endpoints[i].name && i < ENDPOINTS_MAX; i++)
        if (!endpoint || !strcmp(endpoint, bfl_endpoints[i].name))
            n += s->counts[i];
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* Records an accepted task with a fresh uuid, charging its cost. */
void bfl_store_submit(bfl_store *s, const bfl_params *p, bool moderated, char id[37])
{
    pthread_mutex_lock(&s->lock);
    bfl_task *t = &s->tasks[s->next];
    s->next = (s->next + 1) % TASKS_MAX;
    free(t->prompt);
    memset(t, 0, sizeof *t);
    uint64_t a = mix64(&s->rng), b = mix64(&s->rng);
    snprintf(t->id, sizeof t->id, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
             (unsigned long long)(b & 0xffffffffffffull));
    t->used = true;
    t->endpoint = (int)(p->ep - bfl_endpoints);
    t->pending = s->pending_polls;
    t->outcome = moderated ? BFL_OUT_REQUEST_MODERATED
                 : s->fail_next > 0 ? BFL_OUT_ERROR : BFL_OUT_READY;
    if (!moderated && s->fail_next > 0)
        s->fail_next--;
    t->width = p->width;
    t->height = p->height;
    snprintf(t->format, sizeof t->format, "%s", p->format);
    t->prompt = strdup(p->prompt ? p->prompt : "");
    if (!t->prompt)
        abort();
    t->seed = p->has_seed ? p->seed : (double)(mix64(&s->rng) & 0xffffffffu);
    t->start_time = now_seconds();
    if (t->endpoint < ENDPOINTS_MAX)
        s->counts[t->endpoint]++;
    s->spent += p->ep->cost;
    memcpy(id, t->id, 37);
    pthread_mutex_unlock(&s->lock);
}

/* The task with id (lock held), or NULL. */
static bfl_task *find_task(bfl_store *s, const char *id)
{
    for (size_t i = 0; id && i < TASKS_MAX; i++)
        if (s->tasks[i].used && !strcmp(s->tasks[i].id, id))
            return &s->tasks[i];
    return NULL;
}

/* The signed expiry as Azure writes it: 2025-01-31T12:00:00Z. */
static void expiry_text(time_t t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The URL signature: a keyed hash of id, format and expiry, as 16 hex digits. */
static void sign(const bfl_store *s, const char *id, const char *fmt, const char *se,
                 char out[17])
{
    uint64_t h = 0xcbf29ce484222325ull ^ s->secret;
    const char *parts[] = {id, "|", fmt, "|", se};
    for (size_t i = 0; i < 5; i++)
        for (const char *c = parts[i]; *c; c++)
            h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
    uint64_t state = h;
    snprintf(out, 17, "%016llx", (unsigned long long)mix64(&state));
}

/* The ResultResponse fields every poll answer carries. */
static cJSON *result_json(const char *id, const char *status)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "status", status);
    cJSON_AddNullToObject(o, "result");
    cJSON_AddNullToObject(o, "progress");
    cJSON_AddNullToObject(o, "details");
    cJSON_AddNullToObject(o, "preview");
    return o;
}

/* Replaces a null member of o. */
static void set_member(cJSON *o, const char *key, cJSON *value)
{
    cJSON_ReplaceItemInObjectCaseSensitive(o, key, value);
}

/* details: {"Moderation Reasons": [reason]} of a moderated task. */
static cJSON *moderation_details(const char *reason)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToObject(d, "Moderation Reasons", cJSON_CreateArray());
    cJSON_AddItemToArray(cJSON_GetObjectItem(d, "Moderation Reasons"),
                         cJSON_CreateString(reason));
    return d;
}

/* The Ready answer's result object (the task turns Ready on first call). */
static cJSON *ready_result(bfl_store *s, bfl_task *t, const char *base_url)
{
    char se[32], url[512];
    if (!t->expires)
        t->expires = (time_t)t->end_time + SAMPLE_TTL_S;
    expiry_text(t->expires, se, sizeof se);
    sign(s, t->id, t->format, se, t->sig);
    snprintf(url, sizeof url, "%s/delivery/%s/sample.%s?se=%.4s-%.2s-%.2sT%.2s%%3A%.2s%%3A%.2sZ"
             "&sig=%s", base_url, t->id, t->format, se, se + 5, se + 8, se + 11, se + 14,
             se + 17, t->sig);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "sample", url);
    cJSON_AddStringToObject(r, "prompt", t->prompt);
    cJSON_AddNumberToObject(r, "seed", t->seed);
    cJSON_AddNumberToObject(r, "start_time", t->start_time);
    cJSON_AddNumberToObject(r, "end_time", t->end_time);
    cJSON_AddNumberToObject(r, "duration", t->end_time - t->start_time);
    return r;
}

/* Counts one poll of t and builds its answer (lock held). */
static cJSON *poll_task(bfl_store *s, bfl_task *t, const char *base_url, bfl_poll_mode mode)
{
    static const char *const names[] = {"Ready", "Error", "Request Moderated",
                                        "Content Moderated"};
    if (mode == BFL_POLL_MODERATE && t->outcome != BFL_OUT_REQUEST_MODERATED) {
        t->outcome = BFL_OUT_CONTENT_MODERATED; /* output moderation is final */
        t->pending = 0;
    }
    t->polls++;
    bool early = t->outcome == BFL_OUT_REQUEST_MODERATED; /* refused before generating */
    if (!early && t->polls <= t->pending) {
        cJSON *o = result_json(t->id, "Pending");
        double progress = round(100.0 * t->polls / (t->pending + 1)) / 100.0;
        set_member(o, "progress", cJSON_CreateNumber(progress));
        return o;
    }
    if (t->end_time == 0)
        t->end_time = now_seconds();
    cJSON *o = result_json(t->id, names[t->outcome]);
    if (t->outcome == BFL_OUT_READY)
        set_member(o, "result", ready_result(s, t, base_url));
    else if (t->outcome != BFL_OUT_ERROR)
        set_member(o, "details", moderation_details(early ? "Derivative Works Filter" : "NSFW"));
    return o;
}

/* Answers one poll of a task (or its absence) as a ResultResponse. */
void bfl_store_poll(bfl_store *s, const char *base_url, const char *id, bfl_poll_mode mode,
                    emu_response *out)
{
    if (!id) { /* FastAPI's answer to a missing required query parameter */
        cJSON *root = cJSON_CreateObject();
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "type", "missing");
        cJSON *loc = cJSON_AddArrayToObject(e, "loc");
        cJSON_AddItemToArray(loc, cJSON_CreateString("query"));
        cJSON_AddItemToArray(loc, cJSON_CreateString("id"));
        cJSON_AddStringToObject(e, "msg", "Field required");
        cJSON_AddNullToObject(e, "input");
        cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "detail"), e);
        emu_respond_json(out, 422, root);
        return;
    }
    pthread_mutex_lock(&s->lock);
    bfl_task *t = find_task(s, id);
    if (t && mode == BFL_POLL_EXPIRED) { /* the result was purged: forgotten for good */
        t->used = false;
        t = NULL;
    }
    cJSON *answer = t ? poll_task(s, t, base_url, mode) : result_json(id, "Task not found");
    pthread_mutex_unlock(&s->lock);
    emu_respond_json(out, 200, answer);
}

/* What a delivery needs from its task, copied under the lock. */
typedef struct sample_ref {
    bool found, signed_ok;
    time_t expires;
    int width, height;
    unsigned seed;
    char format[8];
} sample_ref;

/* The image pattern's seed: the task seed modulo 2^32 (seeds may be negative). */
static unsigned pattern_seed(double seed)
{
    double m = fmod(seed, 4294967296.0);
    return (unsigned)(m < 0 ? m + 4294967296.0 : m);
}

/* Serves a signed sample URL, rendering the task's image on the fly. */
void bfl_store_deliver(bfl_store *s, const char *path, const char *se, const char *sig,
                       emu_response *out)
{
    char id[40] = "", fmt[8] = "", want[17], tail;
    sample_ref ref = {0};
    const char *name = path + strlen("/delivery/");
    if (sscanf(name, "%36[0-9a-f-]/sample.%7[a-z]%c", id, fmt, &tail) == 2) {
        pthread_mutex_lock(&s->lock);
        bfl_task *t = find_task(s, id);
        if (t && t->expires && !strcmp(t->format, fmt)) {
            char se_now[32];
            expiry_text(t->expires, se_now, sizeof se_now);
            sign(s, t->id, t->format, se_now, want);
            ref = (sample_ref){.found = true, .expires = t->expires, .width = t->width,
                               .height = t->height, .seed = pattern_seed(t->seed)};
            ref.signed_ok = se && sig && !strcmp(se, se_now) && !strcmp(sig, want);
            snprintf(ref.format, sizeof ref.format, "%s", t->format);
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (!ref.found) {
        bfl_respond_blob_error(out, 404, "BlobNotFound", "The specified blob does not exist.",
                               NULL);
        return;
    }
    if (!ref.signed_ok) {
        bfl_respond_blob_error(out, 403, "AuthenticationFailed", "Server failed to authenticate "
                               "the request. Make sure the value of Authorization header is "
                               "formed correctly including the signature.",
                               "Signature did not match.");
        return;
    }
    if (time(NULL) > ref.expires) {
        bfl_respond_blob_error(out, 403, "AuthenticationFailed", "Server failed to authenticate "
                               "the request. Make sure the value of Authorization header is "
                               "formed correctly including the signature.",
                               "Signed expiry time has passed.");
        return;
    }
    size_t size = 0;
    unsigned char *img = emu_image_make(ref.width, ref.height, ref.format, 90, false, ref.seed,
                                        &size);
    if (!img) {
        bfl_respond_blob_error(out, 500, "InternalError", "The server encountered an internal "
                               "error. Please retry the request.", NULL);
        return;
    }
    char type[24];
    snprintf(type, sizeof type, "image/%s", ref.format);
    emu_respond_bytes(out, 200, type, img, size);
    emu_response_header(out, "x-ms-blob-type", "BlockBlob");
    free(img);
}
