/*
 * fal_jobs.c - the fal emulator's queue: accepted requests and their
 * IN_QUEUE -> IN_PROGRESS -> COMPLETED progression counted in polls (never
 * wall-clock time), cancellation, the result documents, and the result
 * files rendered when the CDN path is fetched.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vips/vips.h>

#include "emulators/emu_images.h"
#include "emulators/emu_tally.h"
#include "emulators/fal_internal.h"

#define JOBS_MAX 512 /* a ring: the oldest request is forgotten first */
#define IMAGES_MAX 8
#define CDN_PREFIX "/cdn/files/"

typedef struct fal_job {
    bool used, cancelled, failed;
    fal_garble garble; /* how its completed result answers */
    char id[37];
    char app[128];   /* "<owner>/<app>": the request URLs' prefix */
    fal_params p;
    int polls, queued, running;
    bool flagged[IMAGES_MAX];
} fal_job;

struct fal_store {
    pthread_mutex_t lock;
    fal_job jobs[JOBS_MAX];
    size_t next;
    int queued, running, flag_next, fail_next, cancellations;
    fal_garble garble_next;
    emu_tally models;
    uint64_t rng;
    char *last_input; /* the last accepted body, for the suites */
};

/* splitmix64: ids and drawn seeds. */
static uint64_t mix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

fal_store *fal_store_new(void)
{
    fal_store *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    pthread_mutex_init(&s->lock, NULL);
    s->queued = s->running = 1;
    s->rng = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)(uintptr_t)s ^ (uint64_t)getpid();
    return s;
}

void fal_store_free(fal_store *s)
{
    if (!s)
        return;
    free(s->last_input);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void fal_store_set_polls(fal_store *s, int queued, int running)
{
    pthread_mutex_lock(&s->lock);
    s->queued = queued < 0 ? 0 : queued;
    s->running = running < 0 ? 0 : running;
    pthread_mutex_unlock(&s->lock);
}

void fal_store_flag_next(fal_store *s, int images)
{
    pthread_mutex_lock(&s->lock);
    s->flag_next = images < 0 ? 0 : images;
    pthread_mutex_unlock(&s->lock);
}

void fal_store_garble_next(fal_store *s, fal_garble kind)
{
    pthread_mutex_lock(&s->lock);
    s->garble_next = kind;
    pthread_mutex_unlock(&s->lock);
}

void fal_store_fail_next(fal_store *s, int count)
{
    pthread_mutex_lock(&s->lock);
    s->fail_next = count < 0 ? 0 : count;
    pthread_mutex_unlock(&s->lock);
}

int fal_store_count(fal_store *s, const char *model)
{
    pthread_mutex_lock(&s->lock);
    int n = emu_tally_sum(&s->models, model);
    pthread_mutex_unlock(&s->lock);
    return n;
}

int fal_store_cancellations(fal_store *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->cancellations;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* "<owner>/<app>" of a model id: request URLs leave the subpath out. */
static void app_of(const char *model, char *out, size_t cap)
{
    const char *slash = strchr(model, '/');
    const char *end = slash ? strchr(slash + 1, '/') : NULL;
    snprintf(out, cap, "%.*s", end ? (int)(end - model) : (int)strlen(model), model);
}

/* The queue URLs of a job, as every queue answer carries them. */
static void add_urls(cJSON *o, const char *base_url, const fal_job *j)
{
    char url[512];
    cJSON_AddStringToObject(o, "request_id", j->id);
    snprintf(url, sizeof url, "%s/%s/requests/%s", base_url, j->app, j->id);
    cJSON_AddStringToObject(o, "response_url", url);
    snprintf(url, sizeof url, "%s/%s/requests/%s/status", base_url, j->app, j->id);
    cJSON_AddStringToObject(o, "status_url", url);
    snprintf(url, sizeof url, "%s/%s/requests/%s/cancel", base_url, j->app, j->id);
    cJSON_AddStringToObject(o, "cancel_url", url);
}

cJSON *fal_store_last_input(fal_store *s)
{
    pthread_mutex_lock(&s->lock);
    cJSON *doc = s->last_input ? cJSON_Parse(s->last_input) : NULL;
    pthread_mutex_unlock(&s->lock);
    return doc;
}

void fal_store_submit(fal_store *s, const fal_params *p, const emu_request *req,
                      const char *base_url, emu_response *out)
{
    char *body = malloc(req->body_size + 1);
    if (!body)
        abort();
    memcpy(body, req->body, req->body_size);
    body[req->body_size] = 0;
    pthread_mutex_lock(&s->lock);
    free(s->last_input);
    s->last_input = body;
    fal_job *j = &s->jobs[s->next];
    s->next = (s->next + 1) % JOBS_MAX;
    memset(j, 0, sizeof *j);
    uint64_t a = mix64(&s->rng), b = mix64(&s->rng);
    snprintf(j->id, sizeof j->id, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
             (unsigned long long)(b & 0xffffffffffffull));
    j->used = true;
    j->p = *p;
    if (j->p.num_images > IMAGES_MAX)
        j->p.num_images = IMAGES_MAX;
    if (!j->p.has_seed) /* fal draws one and reports it */
        j->p.seed = (double)(mix64(&s->rng) & 0x7fffffff);
    j->queued = s->queued;
    j->running = s->running;
    for (int i = 0; i < j->p.num_images && i < s->flag_next; i++)
        j->flagged[i] = true;
    s->flag_next = 0;
    j->garble = s->garble_next;
    s->garble_next = FAL_GARBLE_NONE;
    if (s->fail_next > 0) {
        j->failed = true;
        s->fail_next--;
    }
    app_of(p->model->id, j->app, sizeof j->app);
    emu_tally_add(&s->models, p->model->id, 1);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "IN_QUEUE");
    add_urls(o, base_url, j);
    cJSON_AddNumberToObject(o, "queue_position", j->queued > 0 ? j->queued - 1 : 0);
    pthread_mutex_unlock(&s->lock);
    emu_respond_json(out, 200, o);
}

static fal_job *find(fal_store *s, const char *app, const char *id)
{
    for (size_t i = 0; i < JOBS_MAX; i++)
        if (s->jobs[i].used && !strcmp(s->jobs[i].id, id) && !strcmp(s->jobs[i].app, app))
            return &s->jobs[i];
    return NULL;
}

static bool completed(const fal_job *j)
{
    return j->cancelled || j->polls > j->queued + j->running;
}

/* One log line of a running request. */
static void add_log(cJSON *logs, const char *message)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "message", message);
    cJSON_AddStringToObject(l, "level", "INFO");
    cJSON_AddStringToObject(l, "source", "USER");
    cJSON_AddStringToObject(l, "timestamp", "2026-11-24T12:00:00.000000");
    cJSON_AddItemToArray(logs, l);
}

/* Counts a poll and answers it. */
static cJSON *status_answer(fal_job *j, const char *base_url, bool logs)
{
    if (!completed(j))
        j->polls++;
    cJSON *o = cJSON_CreateObject();
    bool queued = !j->cancelled && j->polls <= j->queued;
    const char *status = queued ? "IN_QUEUE" : completed(j) ? "COMPLETED" : "IN_PROGRESS";
    cJSON_AddStringToObject(o, "status", status);
    add_urls(o, base_url, j);
    if (queued)
        cJSON_AddNumberToObject(o, "queue_position", j->queued - j->polls);
    if (!logs || queued) {
        cJSON_AddNullToObject(o, "logs");
    } else {
        cJSON *l = cJSON_AddArrayToObject(o, "logs");
        add_log(l, j->cancelled ? "Request cancelled" : "Generating image");
    }
    cJSON *metrics = cJSON_AddObjectToObject(o, "metrics");
    if (!strcmp(status, "COMPLETED") && !j->cancelled)
        cJSON_AddNumberToObject(metrics, "inference_time", 1.25);
    return o;
}

/* One image entry: the CDN URL and the facts. */
static cJSON *image_entry(const fal_job *j, int i, const char *base_url)
{
    char url[512], type[24];
    const char *ext = !strcmp(j->p.format, "png") ? "png" : "jpg";
    snprintf(url, sizeof url, "%s" CDN_PREFIX "%s/%d.%s", base_url, j->id, i, ext);
    snprintf(type, sizeof type, "image/%s", j->p.format);
    cJSON *img = cJSON_CreateObject();
    cJSON_AddStringToObject(img, "url", url);
    cJSON_AddNumberToObject(img, "width", j->p.width);
    cJSON_AddNumberToObject(img, "height", j->p.height);
    cJSON_AddStringToObject(img, "content_type", type);
    return img;
}

/* The model's output document. */
static cJSON *result_doc(const fal_job *j, const char *base_url)
{
    cJSON *o = cJSON_CreateObject();
    if (j->p.model->single_image) {
        cJSON_AddItemToObject(o, "image", image_entry(j, 0, base_url));
        return o;
    }
    cJSON *images = cJSON_AddArrayToObject(o, "images");
    cJSON *nsfw = cJSON_CreateArray();
    for (int i = 0; i < j->p.num_images; i++) {
        cJSON_AddItemToArray(images, image_entry(j, i, base_url));
        cJSON_AddItemToArray(nsfw, cJSON_CreateBool(j->flagged[i]));
    }
    cJSON *timings = cJSON_AddObjectToObject(o, "timings");
    cJSON_AddNumberToObject(timings, "inference", 1.25);
    cJSON_AddNumberToObject(o, "seed", j->p.seed);
    cJSON_AddItemToObject(o, "has_nsfw_concepts", nsfw);
    cJSON_AddStringToObject(o, "prompt", "");
    return o;
}

void fal_store_answer(fal_store *s, const char *base_url, const char *app, const char *id,
                      fal_action action, bool logs, bool flag, emu_response *out)
{
    pthread_mutex_lock(&s->lock);
    fal_job *j = find(s, app, id);
    cJSON *doc = NULL;
    int status = 200;
    const char *detail = NULL;
    if (!j) {
        status = 404, detail = "Request not found";
    } else {
        for (int i = 0; flag && i < IMAGES_MAX; i++)
            j->flagged[i] = true;
        if (action == FAL_STATUS) {
            doc = status_answer(j, base_url, logs);
        } else if (action == FAL_CANCEL) {
            doc = cJSON_CreateObject();
            bool done = completed(j);
            status = done ? 400 : 202;
            cJSON_AddStringToObject(doc, "status", done ? "ALREADY_COMPLETED"
                                                        : "CANCELLATION_REQUESTED");
            if (!done)
                j->cancelled = true, s->cancellations++;
        } else if (j->cancelled) {
            status = 400, detail = "Request is cancelled";
        } else if (!completed(j)) {
            status = 400, detail = "Request is still in progress";
        } else if (j->failed) {
            status = 500, detail = "Internal error while running the model: CUDA out of memory";
        } else if (j->garble == FAL_GARBLE_FORBIDDEN) {
            status = 403, detail = "Forbidden";
        } else if (j->garble == FAL_GARBLE_NO_IMAGES) {
            doc = cJSON_CreateObject();
            cJSON_AddArrayToObject(doc, "images");
            cJSON_AddNumberToObject(doc, "seed", j->p.seed);
        } else if (j->garble != FAL_GARBLE_MALFORMED) {
            doc = result_doc(j, base_url);
        }
    }
    bool failed = j && j->failed && status == 500;
    bool malformed = j && !doc && !detail && j->garble == FAL_GARBLE_MALFORMED;
    pthread_mutex_unlock(&s->lock);
    if (malformed) {
        static const char broken[] = "{\"images\": [{\"url\": ";
        emu_respond_bytes(out, 200, "application/json", broken, sizeof broken - 1);
    } else if (detail)
        fal_respond_detail(out, status, detail);
    else
        emu_respond_json(out, status, doc);
    if (failed)
        emu_response_header(out, "X-Fal-Retryable", "false");
}

/* The black image fal serves in place of a flagged one (malloc'd bytes). */
static unsigned char *black_image(int width, int height, const char *format, size_t *size)
{
    VipsImage *black = NULL;
    void *buf = NULL;
    if (vips_black(&black, width, height, "bands", 3, NULL) != 0)
        return NULL;
    int rc = vips_image_write_to_buffer(black, !strcmp(format, "png") ? ".png" : ".jpg", &buf,
                                        size, NULL);
    g_object_unref(black);
    if (rc != 0)
        return NULL;
    unsigned char *copy = malloc(*size);
    if (copy)
        memcpy(copy, buf, *size);
    g_free(buf);
    return copy;
}

void fal_store_file(fal_store *s, const char *path, emu_response *out)
{
    char id[40] = "", ext[8] = "", tail;
    int index = -1;
    fal_params p = {0};
    bool found = false, flagged = false;
    if (sscanf(path + strlen(CDN_PREFIX), "%36[0-9a-f-]/%d.%7[a-z]%c", id, &index, ext,
               &tail) == 3) {
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < JOBS_MAX && !found; i++) {
            fal_job *j = &s->jobs[i];
            if (j->used && !strcmp(j->id, id) && completed(j) && !j->cancelled &&
                index >= 0 && index < j->p.num_images) {
                p = j->p;
                flagged = j->flagged[index];
                found = true;
            }
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (!found) {
        fal_respond_detail(out, 404, "File not found");
        return;
    }
    size_t size = 0;
    unsigned seed = (unsigned)((uint64_t)p.seed + (unsigned)index);
    unsigned char *img = flagged ? black_image(p.width, p.height, p.format, &size)
                                 : emu_image_make(p.width, p.height, p.format, 90, false, seed,
                                                  &size);
    if (!img) {
        fal_respond_detail(out, 500, "Internal Server Error");
        return;
    }
    char type[24];
    snprintf(type, sizeof type, "image/%s", p.format);
    emu_respond_bytes(out, 200, type, img, size);
    free(img);
}
