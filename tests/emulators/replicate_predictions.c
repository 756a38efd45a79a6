/*
 * replicate_predictions.c - the Replicate emulator's predictions: created
 * "starting", "processing" for a set number of status reads (never
 * wall-clock time), then final; cancel, the event stream, and the output
 * files on the delivery path, rendered on download.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emulators/emu_images.h"
#include "emulators/emu_tally.h"
#include "emulators/replicate_internal.h"

#define PREDICTIONS_MAX 256 /* a ring: the oldest prediction is forgotten first */
#define NSFW_ERROR "NSFW content detected. Try running it again, or try a different prompt."
#define MODEL_ERROR "CUDA error: an illegal memory access was encountered"

typedef struct rep_pred {
    bool used, finished, data_removed;
    char id[27];
    const rep_model *model;
    cJSON *input;
    rep_job job;
    int reads, ticks;
    char outcome[16]; /* the final status once finished */
    char status[16];
    char error[200];  /* "" = null */
    char created_at[40], started_at[40], completed_at[40];
} rep_pred;

struct rep_store {
    pthread_mutex_t lock;
    rep_pred preds[PREDICTIONS_MAX];
    size_t next;
    int ticks, fail_next, cancels;
    char fail_error[200]; /* the error of fail_next's predictions; "" = MODEL_ERROR */
    bool wait_completes, data_urls;
    emu_tally counts;
    uint64_t rng;
};

/* splitmix64: ids and seeds. */
static uint64_t mix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Now as the API writes it: 2026-11-24T16:19:34.765994Z. */
static void timestamp(char *buf, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%.19s.%06dZ", day, (int)(ts.tv_nsec / 1000 % 1000000));
}

rep_store *rep_store_new(void)
{
    rep_store *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    pthread_mutex_init(&s->lock, NULL);
    s->ticks = 2;
    s->wait_completes = true;
    s->rng = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)(uintptr_t)s ^ (uint64_t)getpid();
    return s;
}

void rep_store_free(rep_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < PREDICTIONS_MAX; i++)
        cJSON_Delete(s->preds[i].input);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Runs one locked assignment. */
#define LOCKED(s, stmt)                                                        \
    do {                                                                       \
        pthread_mutex_lock(&(s)->lock);                                        \
        stmt;                                                                  \
        pthread_mutex_unlock(&(s)->lock);                                      \
    } while (0)

void rep_store_set_ticks(rep_store *s, int reads)
{
    LOCKED(s, s->ticks = reads < 1 ? 1 : reads);
}

void rep_store_set_wait_completes(rep_store *s, bool on)
{
    LOCKED(s, s->wait_completes = on);
}

void rep_store_fail_next(rep_store *s, int count, const char *error)
{
    pthread_mutex_lock(&s->lock);
    s->fail_next = count < 0 ? 0 : count;
    snprintf(s->fail_error, sizeof s->fail_error, "%s", error ? error : "");
    pthread_mutex_unlock(&s->lock);
}

void rep_store_set_data_urls(rep_store *s, bool on)
{
    LOCKED(s, s->data_urls = on);
}

int rep_store_count(rep_store *s, const char *model)
{
    int n;
    LOCKED(s, n = emu_tally_sum(&s->counts, model));
    return n;
}

int rep_store_cancels(rep_store *s)
{
    int n;
    LOCKED(s, n = s->cancels);
    return n;
}

/* The prediction with id (lock held), or NULL. */
static rep_pred *find(rep_store *s, const char *id)
{
    for (size_t i = 0; id && i < PREDICTIONS_MAX; i++)
        if (s->preds[i].used && !strcmp(s->preds[i].id, id))
            return &s->preds[i];
    return NULL;
}

/* Ends a prediction with its planned outcome (lock held). */
static void finish(rep_pred *p)
{
    if (p->finished)
        return;
    p->finished = true;
    memcpy(p->status, p->outcome, sizeof p->status);
    if (!p->started_at[0])
        timestamp(p->started_at, sizeof p->started_at);
    timestamp(p->completed_at, sizeof p->completed_at);
}

/* Renders output i of a succeeded prediction; malloc'd bytes or NULL. */
static unsigned char *render(const rep_pred *p, int i, size_t *size)
{
    return emu_image_make(p->job.width, p->job.height, p->job.format, 90, false,
                          p->job.seed + (unsigned)i, size);
}

/* One output's URL: a delivery file, or a data URL when the store says so. */
static cJSON *output_url(const rep_store *s, const rep_pred *p, const char *base, int i)
{
    char url[256];
    if (!s->data_urls) {
        snprintf(url, sizeof url, "%s/delivery/xezq/%s/out-%d.%s", base, p->id, i, p->job.ext);
        return cJSON_CreateString(url);
    }
    size_t size = 0;
    unsigned char *img = render(p, i, &size);
    char *b64 = img ? emu_base64(img, size) : NULL;
    free(img);
    if (!b64)
        return cJSON_CreateNull();
    size_t n = strlen(b64) + 40;
    char *data = malloc(n);
    if (!data)
        abort();
    snprintf(data, n, "data:image/%s;base64,%s", p->job.format, b64);
    cJSON *v = cJSON_CreateString(data);
    free(b64);
    free(data);
    return v;
}

/* The prediction object (schemas_prediction_response), lock held. */
static cJSON *prediction_json(const rep_store *s, const rep_pred *p, const char *base)
{
    char url[256];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", p->id);
    cJSON_AddStringToObject(o, "model", p->model->name);
    cJSON_AddStringToObject(o, "version", p->model->official ? "hidden" : p->model->version);
    cJSON_AddItemToObject(o, "input", cJSON_Duplicate(p->input, true));
    cJSON_AddStringToObject(o, "logs", p->status[0] == 's' && p->status[1] == 't'
                                           ? "" : "Running prediction...\n");
    bool succeeded = p->finished && !strcmp(p->status, "succeeded") && !p->data_removed;
    if (!succeeded) {
        cJSON_AddNullToObject(o, "output");
    } else if (p->model->array_output) {
        cJSON *arr = cJSON_AddArrayToObject(o, "output");
        for (int i = 0; i < p->job.outputs; i++)
            cJSON_AddItemToArray(arr, output_url(s, p, base, i));
    } else {
        cJSON_AddItemToObject(o, "output", output_url(s, p, base, 0));
    }
    cJSON_AddBoolToObject(o, "data_removed", p->data_removed);
    if (p->finished && p->error[0])
        cJSON_AddStringToObject(o, "error", p->error);
    else
        cJSON_AddNullToObject(o, "error");
    cJSON_AddStringToObject(o, "status", p->status);
    cJSON_AddStringToObject(o, "created_at", p->created_at);
    if (p->started_at[0])
        cJSON_AddStringToObject(o, "started_at", p->started_at);
    if (p->finished)
        cJSON_AddStringToObject(o, "completed_at", p->completed_at);
    cJSON_AddStringToObject(o, "source", "api");
    if (p->finished) { /* deterministic: a tick stands for 0.8 s of GPU time */
        cJSON *m = cJSON_AddObjectToObject(o, "metrics");
        cJSON_AddNumberToObject(m, "predict_time", 0.8 * (p->ticks + 1));
        cJSON_AddNumberToObject(m, "total_time", 0.8 * (p->ticks + 2));
    }
    cJSON *urls = cJSON_AddObjectToObject(o, "urls");
    snprintf(url, sizeof url, "https://replicate.com/p/%s", p->id);
    cJSON_AddStringToObject(urls, "web", url);
    snprintf(url, sizeof url, "%s/v1/predictions/%s", base, p->id);
    cJSON_AddStringToObject(urls, "get", url);
    snprintf(url, sizeof url, "%s/v1/predictions/%s/cancel", base, p->id);
    cJSON_AddStringToObject(urls, "cancel", url);
    snprintf(url, sizeof url, "%s/v1/predictions/%s/stream", base, p->id);
    cJSON_AddStringToObject(urls, "stream", url);
    return o;
}

static void respond_not_found(emu_response *out)
{
    rep_respond_problem(out, 404, "Not found", "The requested resource could not be found.",
                        NULL);
}

void rep_store_create(rep_store *s, const char *base, const rep_model *model,
                      const cJSON *input, const rep_job *job, bool wait, bool nsfw,
                      emu_response *out)
{
    pthread_mutex_lock(&s->lock);
    rep_pred *p = &s->preds[s->next++ % PREDICTIONS_MAX];
    cJSON_Delete(p->input);
    memset(p, 0, sizeof *p);
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    uint64_t a = mix64(&s->rng), b = mix64(&s->rng);
    for (int i = 0; i < 26; i++)
        p->id[i] = alphabet[(i < 13 ? a >> (5 * i) : b >> (5 * (i - 13))) & 31];
    p->used = true;
    p->model = model;
    p->input = cJSON_Duplicate(input, true);
    p->job = *job;
    if (!job->has_seed)
        p->job.seed = (unsigned)mix64(&s->rng);
    p->ticks = s->ticks;
    snprintf(p->status, sizeof p->status, "starting");
    snprintf(p->outcome, sizeof p->outcome, "succeeded");
    if (nsfw || job->fail[0] || s->fail_next > 0) {
        snprintf(p->outcome, sizeof p->outcome, "failed");
        snprintf(p->error, sizeof p->error, "%s",
                 nsfw ? NSFW_ERROR : job->fail[0] ? job->fail
                                   : s->fail_error[0] ? s->fail_error : MODEL_ERROR);
        if (!nsfw && !job->fail[0])
            s->fail_next--;
    }
    timestamp(p->created_at, sizeof p->created_at);
    emu_tally_add(&s->counts, model->name, 1);
    bool done = wait && s->wait_completes; /* finished within the Prefer: wait */
    if (done)
        finish(p);
    cJSON *json = prediction_json(s, p, base);
    pthread_mutex_unlock(&s->lock);
    emu_respond_json(out, wait && !done ? 202 : 201, json);
}

void rep_store_get(rep_store *s, const char *base, const char *id, rep_read mode,
                   emu_response *out)
{
    pthread_mutex_lock(&s->lock);
    rep_pred *p = find(s, id);
    cJSON *json = NULL;
    if (p) {
        p->reads++;
        if (mode == REP_READ_NSFW && !p->finished) {
            snprintf(p->outcome, sizeof p->outcome, "failed");
            snprintf(p->error, sizeof p->error, "%s", NSFW_ERROR);
            finish(p);
        } else if (mode == REP_READ_REMOVED) {
            finish(p);
            p->data_removed = true;
        } else if (!p->finished && p->reads >= p->ticks) {
            finish(p);
        } else if (!p->finished) {
            snprintf(p->status, sizeof p->status, "processing");
            if (!p->started_at[0])
                timestamp(p->started_at, sizeof p->started_at);
        }
        json = prediction_json(s, p, base);
    }
    pthread_mutex_unlock(&s->lock);
    if (json)
        emu_respond_json(out, 200, json);
    else
        respond_not_found(out);
}

void rep_store_cancel(rep_store *s, const char *base, const char *id, emu_response *out)
{
    pthread_mutex_lock(&s->lock);
    rep_pred *p = find(s, id);
    cJSON *json = NULL;
    if (p) {
        s->cancels++;
        if (!p->finished) { /* a finished prediction stays as it ended */
            snprintf(p->outcome, sizeof p->outcome, "canceled");
            p->error[0] = '\0';
            finish(p);
        }
        json = prediction_json(s, p, base);
    }
    pthread_mutex_unlock(&s->lock);
    if (json)
        emu_respond_json(out, 200, json);
    else
        respond_not_found(out);
}

void rep_store_stream(rep_store *s, const char *id, emu_response *out)
{
    char text[4096] = "";
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    rep_pred *p = find(s, id);
    if (p && p->finished && !strcmp(p->status, "succeeded"))
        for (int i = 0; i < p->job.outputs && n < sizeof text - 300; i++)
            n += (size_t)snprintf(text + n, sizeof text - n, "event: output\nid: %d\ndata: "
                                  "out-%d.%s\n\n", i, i, p->job.ext);
    if (p && p->finished && !strcmp(p->status, "failed"))
        n += (size_t)snprintf(text + n, sizeof text - n, "event: error\ndata: %s\n\n",
                              p->error);
    if (p && p->finished)
        snprintf(text + n, sizeof text - n, "event: done\ndata: {}\n\n");
    else if (p) /* the real stream stays open; this one says "nothing yet" */
        snprintf(text + n, sizeof text - n, ": waiting\n\n");
    pthread_mutex_unlock(&s->lock);
    if (!p) {
        respond_not_found(out);
        return;
    }
    emu_respond_bytes(out, 200, "text/event-stream", text, strlen(text));
    emu_response_header(out, "Cache-Control", "no-store");
}

void rep_store_deliver(rep_store *s, const char *path, emu_response *out)
{
    char id[32] = "", ext[8] = "", tail;
    int index = -1;
    rep_pred copy;
    bool found = false;
    if (sscanf(path, "/delivery/xezq/%26[a-z0-9]/out-%d.%7[a-z]%c", id, &index, ext, &tail) ==
        3) {
        pthread_mutex_lock(&s->lock);
        rep_pred *p = find(s, id);
        found = p && p->finished && !strcmp(p->status, "succeeded") && !p->data_removed &&
                index >= 0 && index < p->job.outputs && !strcmp(ext, p->job.ext);
        if (found) {
            copy = *p;
            copy.input = NULL; /* not needed outside the lock */
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (!found) {
        emu_respond_bytes(out, 404, "text/plain", "Not Found", 9);
        return;
    }
    size_t size = 0;
    unsigned char *img = render(&copy, index, &size);
    if (!img) {
        emu_respond_bytes(out, 500, "text/plain", "Internal Server Error", 21);
        return;
    }
    char type[24];
    snprintf(type, sizeof type, "image/%s", copy.job.format);
    emu_respond_bytes(out, 200, type, img, size);
    free(img);
}
