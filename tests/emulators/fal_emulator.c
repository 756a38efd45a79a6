/*
 * fal_emulator.c - the fal queue emulator: routing, the key check, fault
 * shapes ({"detail"} with X-Fal-Retryable) and the public hooks.
 * Validation is in fal_inputs.c, the queue and the CDN in fal_jobs.c.
 */
#include "emulators/fal_emulator.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_images.h"
#include "emulators/fal_internal.h"

#define CDN_PREFIX "/cdn/"
#define MAX_BODY (64u << 20) /* data URIs make large JSON bodies */

struct fal_emulator {
    emu_server *server;
    fal_store *store;
    char base_url[64];
    pthread_mutex_t lock; /* guards url_base */
    char url_base[128];   /* what answers name; base_url unless set */
};

/* The base the answers' URLs use (copied under the lock). */
static void answer_base(fal_emulator *emu, char out[128])
{
    pthread_mutex_lock(&emu->lock);
    memcpy(out, emu->url_base, 128);
    pthread_mutex_unlock(&emu->lock);
}

void fal_respond_detail(emu_response *out, int status, const char *text)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "detail", text);
    emu_respond_json(out, status, root);
}

/* Core hook: errors the core raises itself (413, ...) as {"detail"}. */
static void on_core_error(void *ctx, int status, const char *message, emu_response *out)
{
    (void)ctx;
    fal_respond_detail(out, status, message);
}

/* 422 {"detail": errs} (errs is taken). */
static void respond_422(emu_response *out, cJSON *errs)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "detail", errs);
    emu_respond_json(out, 422, root);
}

/* The content policy refusal of a submit. */
static void respond_policy(emu_response *out)
{
    cJSON *errs = cJSON_CreateArray();
    fal_error_add(errs, "prompt", NULL, "content_policy_violation",
                  "The content could not be processed because it contained material "
                  "flagged by a content checker.");
    respond_422(out, errs);
}

static void submit(fal_emulator *emu, const emu_request *req, const fal_model *m,
                   bool moderated, emu_response *out)
{
    fal_params p;
    cJSON *errs = fal_validate(m, req, &p);
    if (errs)
        respond_422(out, errs);
    else if (moderated)
        respond_policy(out);
    else {
        char base[128];
        answer_base(emu, base);
        fal_store_submit(emu->store, &p, req, base, out);
    }
}

/* Splits "/<owner>/<app>/requests/<id>[/status|/cancel]"; false otherwise. */
static bool parse_request_path(const char *path, char *app, size_t app_cap, char *id,
                               size_t id_cap, fal_action *action)
{
    const char *mark = strstr(path, "/requests/");
    if (!mark || mark == path || (size_t)(mark - path - 1) >= app_cap)
        return false;
    snprintf(app, app_cap, "%.*s", (int)(mark - path - 1), path + 1);
    const char *rest = mark + strlen("/requests/");
    size_t n = strcspn(rest, "/");
    if (n == 0 || n >= id_cap)
        return false;
    snprintf(id, id_cap, "%.*s", (int)n, rest);
    rest += n;
    if (!*rest)
        *action = FAL_RESULT;
    else if (!strcmp(rest, "/status"))
        *action = FAL_STATUS;
    else if (!strcmp(rest, "/cancel"))
        *action = FAL_CANCEL;
    else
        return false;
    return strchr(app, '/') != NULL;
}

static void route(fal_emulator *emu, const emu_request *req, bool moderate, emu_response *out)
{
    if (!strncmp(req->path, CDN_PREFIX, strlen(CDN_PREFIX))) {
        if (req->auth_presented) /* the CDN is open by URL: a key there is a client bug */
            fal_respond_detail(out, 400, "Authorization is not accepted on the file CDN");
        else if (strcmp(req->method, "GET"))
            fal_respond_detail(out, 405, "Method Not Allowed");
        else
            fal_store_file(emu->store, req->path, out);
        return;
    }
    if (req->auth != EMU_AUTH_MATCHED) {
        fal_respond_detail(out, 401, "Unauthorized");
        return;
    }
    const fal_model *m = fal_model_for_path(req->path);
    char app[128], id[64];
    fal_action action;
    if (m) {
        if (strcmp(req->method, "POST"))
            fal_respond_detail(out, 405, "Method Not Allowed");
        else
            submit(emu, req, m, moderate, out);
        return;
    }
    if (!parse_request_path(req->path, app, sizeof app, id, sizeof id, &action)) {
        fal_respond_detail(out, 404, "Not Found");
        return;
    }
    const char *want = action == FAL_CANCEL ? "PUT" : "GET";
    if (strcmp(req->method, want)) {
        fal_respond_detail(out, 405, "Method Not Allowed");
        return;
    }
    const char *logs = MHD_lookup_connection_value((struct MHD_Connection *)req->connection,
                                                   MHD_GET_ARGUMENT_KIND, "logs");
    char base[128];
    answer_base(emu, base);
    fal_store_answer(emu->store, base, app, id, action, logs && !strcmp(logs, "1"), moderate,
                     out);
}

static void on_request(void *ctx, const emu_request *req, emu_response *out)
{
    route(ctx, req, false, out);
}

/* Core hook: faults in fal's shapes. */
static void on_fault(void *ctx, const emu_request *req, const emu_fault *f, emu_response *out)
{
    switch (f->kind) {
    case EMU_FAULT_429:
        fal_respond_detail(out, 429, "Rate limit exceeded: too many concurrent requests");
        emu_response_header(out, "X-Fal-Retryable", "true");
        break;
    case EMU_FAULT_502:
    case EMU_FAULT_503:
        fal_respond_detail(out, f->kind == EMU_FAULT_502 ? 502 : 503,
                           f->kind == EMU_FAULT_502 ? "Bad Gateway" : "Service Unavailable");
        emu_response_header(out, "X-Fal-Retryable", "true");
        break;
    case EMU_FAULT_MODERATION:
        route(ctx, req, true, out);
        break;
    case EMU_FAULT_QUOTA:
        fal_respond_detail(out, 403, "User is locked. Reason: Exhausted balance. Top up your "
                           "balance at fal.ai/dashboard/billing.");
        break;
    case EMU_FAULT_INVALID: {
        cJSON *errs = cJSON_CreateArray();
        fal_error_add(errs, "num_images", NULL, "less_than_equal",
                      "Input should be less than or equal to 4");
        respond_422(out, errs);
        break;
    }
    case EMU_FAULT_EXPIRED:
        fal_respond_detail(out, 404, !strncmp(req->path, CDN_PREFIX, strlen(CDN_PREFIX))
                                         ? "File not found" : "Request not found");
        break;
    default:
        fal_respond_detail(out, 500, "Internal Server Error");
        break;
    }
}

fal_emulator *fal_emulator_start(int port, const char *api_key)
{
    if (emu_vips_init() != 0)
        return NULL;
    fal_emulator *emu = calloc(1, sizeof *emu);
    if (!emu)
        return NULL;
    char auth[512];
    snprintf(auth, sizeof auth, "Key %s", api_key ? api_key : "fal-emulator-key");
    emu->store = fal_store_new();
    pthread_mutex_init(&emu->lock, NULL);
    emu_config cfg = {
        .port = port, .auth_header = "Authorization", .auth_value = auth,
        .max_json_body = MAX_BODY, .max_multipart_body = MAX_BODY,
        .handler = on_request, .fault_response = on_fault, .error_response = on_core_error,
        .ctx = emu};
    emu->server = emu_server_start(&cfg);
    if (!emu->server) {
        pthread_mutex_destroy(&emu->lock);
        fal_store_free(emu->store);
        free(emu);
        return NULL;
    }
    snprintf(emu->base_url, sizeof emu->base_url, "%s", emu_server_url(emu->server));
    snprintf(emu->url_base, sizeof emu->url_base, "%s", emu->base_url);
    return emu;
}

/* Stops the server first so no handler touches the store while it is freed. */
void fal_emulator_stop(fal_emulator *emu)
{
    if (!emu)
        return;
    emu_server_stop(emu->server);
    fal_store_free(emu->store);
    pthread_mutex_destroy(&emu->lock);
    free(emu);
}

const char *fal_emulator_base_url(const fal_emulator *emu)
{
    return emu->base_url;
}

emu_server *fal_emulator_server(fal_emulator *emu)
{
    return emu->server;
}

void fal_emulator_set_polls(fal_emulator *emu, int queued, int running)
{
    fal_store_set_polls(emu->store, queued, running);
}

void fal_emulator_flag_next(fal_emulator *emu, int images)
{
    fal_store_flag_next(emu->store, images);
}

void fal_emulator_garble_next(fal_emulator *emu, fal_garble kind)
{
    fal_store_garble_next(emu->store, kind);
}

void fal_emulator_fail_next(fal_emulator *emu, int count)
{
    fal_store_fail_next(emu->store, count);
}

int fal_emulator_requests(fal_emulator *emu, const char *model)
{
    return fal_store_count(emu->store, model);
}

int fal_emulator_cancellations(fal_emulator *emu)
{
    return fal_store_cancellations(emu->store);
}

cJSON *fal_emulator_last_input(fal_emulator *emu)
{
    return fal_store_last_input(emu->store);
}

void fal_emulator_set_url_base(fal_emulator *emu, const char *base)
{
    pthread_mutex_lock(&emu->lock);
    snprintf(emu->url_base, sizeof emu->url_base, "%s", base ? base : emu->base_url);
    pthread_mutex_unlock(&emu->lock);
}
