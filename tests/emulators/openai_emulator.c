/*
 * openai_emulator.c - the OpenAI Images emulator: routing, auth, error and
 * fault shapes, the result-URL file store and the per-model counters.
 * Validation is in openai_validate*.c, answers in openai_respond.c.
 */
#include "emulators/emu_tally.h"
#include "emulators/openai_emulator.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/openai_respond.h"

#define FILES_MAX 256
#define FILES_PREFIX "/v1/__files/"

typedef struct stored_file {
    char id[32];
    unsigned char *data;
    size_t size;
} stored_file;

struct oai_emulator {
    emu_server *server;
    char base_url[80];
    pthread_mutex_t lock;
    unsigned seed;
    unsigned long file_serial;
    stored_file files[FILES_MAX]; /* ring: oldest replaced first */
    size_t file_next;
    emu_tally made; /* images per model */
};

/* Sends an OpenAI error object with a status. */
static void respond_error(emu_response *out, int status, const char *message,
                          const char *type, const char *param, const char *code)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(err, "message", message);
    cJSON_AddStringToObject(err, "type", type);
    cJSON_AddItemToObject(err, "param", param && *param ? cJSON_CreateString(param)
                                                        : cJSON_CreateNull());
    cJSON_AddItemToObject(err, "code", code && *code ? cJSON_CreateString(code)
                                                     : cJSON_CreateNull());
    emu_respond_json(out, status, root);
}

/* Core hook: the OpenAI shape for errors the core raises itself. */
static void on_core_error(void *ctx, int status, const char *message, emu_response *out)
{
    (void)ctx;
    respond_error(out, status, message, "invalid_request_error", NULL, NULL);
}

/* Which endpoint a path is (-1 = none). */
static int endpoint_of(const char *path)
{
    return !strcmp(path, "/v1/images/generations") ? OAI_GENERATIONS
           : !strcmp(path, "/v1/images/edits")     ? OAI_EDITS
           : !strcmp(path, "/v1/images/variations") ? OAI_VARIATIONS
                                                    : -1;
}

/* An Azure-blob-like XML error, the way expired result URLs answer. */
static void respond_blob_error(emu_response *out, int status, const char *code,
                               const char *message)
{
    char xml[512];
    int n = snprintf(xml, sizeof xml,
                     "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>%s</Code>"
                     "<Message>%s</Message></Error>", code, message);
    emu_respond_bytes(out, status, "application/xml", xml, (size_t)n);
}

/* Core hook: 429/5xx/moderation/expired in OpenAI's own shapes. */
static void on_fault(void *ctx, const emu_request *req, const emu_fault *f, emu_response *out)
{
    (void)ctx;
    char msg[200];
    int ep = endpoint_of(req->path);
    switch (f->kind) {
    case EMU_FAULT_429:
        snprintf(msg, sizeof msg, "Rate limit reached for images per minute. Please try again "
                 "in %ds.", f->retry_after > 0 ? f->retry_after : 1);
        respond_error(out, 429, msg, "requests", NULL, "rate_limit_exceeded");
        break;
    case EMU_FAULT_500:
        respond_error(out, 500, "The server had an error while processing your request. "
                      "Sorry about that!", "server_error", NULL, NULL);
        break;
    case EMU_FAULT_502:
        respond_error(out, 502, "Bad gateway.", "server_error", NULL, NULL);
        break;
    case EMU_FAULT_503:
        respond_error(out, 503, "The engine is currently overloaded, please try again later.",
                      "server_error", NULL, NULL);
        break;
    case EMU_FAULT_MODERATION: {
        char model[40];
        oai_request_model(req, ep < 0 ? OAI_GENERATIONS : (oai_endpoint)ep, model, sizeof model);
        if (strncmp(model, "dall-e", 6))
            respond_error(out, 400, "Your request was rejected by the safety system. If you "
                          "believe this is an error, contact us at help.openai.com and include "
                          "the request ID.", "image_generation_user_error", NULL,
                          "moderation_blocked");
        else
            respond_error(out, 400, "Your request was rejected as a result of our safety "
                          "system. Your prompt may contain text that is not allowed by our "
                          "safety system.", "invalid_request_error", NULL,
                          "content_policy_violation");
        break;
    }
    case EMU_FAULT_QUOTA:
        respond_error(out, 429, "You exceeded your current quota, please check your plan and "
                      "billing details.", "insufficient_quota", NULL, "insufficient_quota");
        break;
    case EMU_FAULT_INVALID:
        respond_error(out, 400, "Invalid value for 'quality': the model does not accept it.",
                      "invalid_request_error", "quality", "invalid_value");
        break;
    case EMU_FAULT_EXPIRED:
        respond_blob_error(out, 403, "AuthenticationFailed",
                           "Server failed to authenticate the request. Signed expiry time "
                           "has passed.");
        break;
    default:
        respond_error(out, 500, "unexpected fault", "server_error", NULL, NULL);
        break;
    }
}

/* The 401 answers, masking the presented key like OpenAI does. */
static void respond_auth(const emu_request *req, emu_response *out)
{
    if (req->auth == EMU_AUTH_ABSENT) {
        respond_error(out, 401, "You didn't provide an API key. You need to provide your API "
                      "key in an Authorization header using Bearer auth (i.e. Authorization: "
                      "Bearer YOUR_KEY).", "invalid_request_error", NULL, NULL);
        return;
    }
    const char *v = req->auth_presented;
    const char *key = !strncmp(v, "Bearer ", 7) ? v + 7 : v;
    size_t n = strlen(key);
    char masked[64], msg[256];
    if (n > 8)
        snprintf(masked, sizeof masked, "%.3s%s%.4s", key, "*****", key + n - 4);
    else
        snprintf(masked, sizeof masked, "*****");
    snprintf(msg, sizeof msg, "Incorrect API key provided: %s. You can find your API key at "
             "https://platform.openai.com/account/api-keys.", masked);
    respond_error(out, 401, msg, "invalid_request_error", NULL, "invalid_api_key");
}

/* Respond-context callback: a new seed so every image differs. */
static unsigned next_seed(void *cls)
{
    oai_emulator *emu = cls;
    pthread_mutex_lock(&emu->lock);
    unsigned s = ++emu->seed;
    pthread_mutex_unlock(&emu->lock);
    return s;
}

/* Respond-context callback: keeps a PNG for GET /v1/__files/<id>.png. */
static char *store_file(void *cls, unsigned char *png, size_t size)
{
    oai_emulator *emu = cls;
    pthread_mutex_lock(&emu->lock);
    stored_file *f = &emu->files[emu->file_next];
    emu->file_next = (emu->file_next + 1) % FILES_MAX;
    free(f->data);
    snprintf(f->id, sizeof f->id, "img-%06lu", ++emu->file_serial);
    f->data = png;
    f->size = size;
    size_t n = strlen(emu->base_url) + 64;
    char *url = malloc(n);
    if (!url)
        abort();
    snprintf(url, n, "%s/__files/%s.png", emu->base_url, f->id);
    pthread_mutex_unlock(&emu->lock);
    return url;
}

/* Respond-context callback: the per-model image counter. */
static void count_images(void *cls, const char *model, int images)
{
    oai_emulator *emu = cls;
    pthread_mutex_lock(&emu->lock);
    emu_tally_add(&emu->made, model, images);
    pthread_mutex_unlock(&emu->lock);
}

/* Respond-context callback: an encoder failure is the server's fault. */
static void fail_images(void *cls, emu_response *out)
{
    (void)cls;
    respond_error(out, 500, "The server had an error while processing your request.",
                  "server_error", NULL, NULL);
}

/* GET /v1/__files/<id>.png: a stored dall-e result (no auth, like blob URLs). */
static void serve_file(oai_emulator *emu, const char *path, emu_response *out)
{
    const char *name = path + strlen(FILES_PREFIX);
    size_t len = strlen(name);
    bool found = false;
    pthread_mutex_lock(&emu->lock);
    for (size_t i = 0; len > 4 && i < FILES_MAX && !found; i++) {
        stored_file *f = &emu->files[i];
        if (f->data && strlen(f->id) == len - 4 && !strncmp(f->id, name, len - 4) &&
            !strcmp(name + len - 4, ".png")) {
            emu_respond_bytes(out, 200, "image/png", f->data, f->size);
            found = true;
        }
    }
    pthread_mutex_unlock(&emu->lock);
    if (!found)
        respond_blob_error(out, 404, "BlobNotFound", "The specified blob does not exist.");
}

/* Core hook: routes a request to its endpoint after the auth check. */
static void on_request(void *ctx, const emu_request *req, emu_response *out)
{
    oai_emulator *emu = ctx;
    int ep = endpoint_of(req->path);
    bool get = !strcmp(req->method, "GET");
    if (get && !strncmp(req->path, FILES_PREFIX, strlen(FILES_PREFIX))) {
        serve_file(emu, req->path, out);
        return;
    }
    if (req->auth != EMU_AUTH_MATCHED) {
        respond_auth(req, out);
        return;
    }
    if (ep < 0 || strcmp(req->method, "POST")) {
        char msg[300];
        snprintf(msg, sizeof msg, "Invalid URL (%s %.200s)", req->method, req->path);
        respond_error(out, 404, msg, "invalid_request_error", NULL, NULL);
        return;
    }
    oai_params p;
    oai_error e;
    int rc = ep == OAI_GENERATIONS ? oai_validate_generation(req, &p, &e)
                                   : oai_validate_form(req, (oai_endpoint)ep, &p, &e);
    if (rc != 0) {
        respond_error(out, e.status, e.message, e.type, e.param, e.code);
        return;
    }
    oai_respond_ctx rctx = {emu, next_seed, store_file, count_images, fail_images};
    oai_respond_images(&rctx, &p, out);
    oai_params_free(&p);
}

oai_emulator *oai_emulator_start(int port, const char *api_key)
{
    if (emu_vips_init() != 0)
        return NULL;
    oai_emulator *emu = calloc(1, sizeof *emu);
    if (!emu)
        return NULL;
    pthread_mutex_init(&emu->lock, NULL);
    char auth[512];
    snprintf(auth, sizeof auth, "Bearer %s", api_key ? api_key : "sk-emulator");
    emu_config cfg = {
        .port = port, .auth_header = "Authorization", .auth_value = auth,
        .max_json_body = 1u << 20, .max_multipart_body = 16u * 50u * 1024u * 1024u,
        .handler = on_request, .fault_response = on_fault, .error_response = on_core_error,
        .ctx = emu};
    emu->server = emu_server_start(&cfg);
    if (!emu->server) {
        pthread_mutex_destroy(&emu->lock);
        free(emu);
        return NULL;
    }
    snprintf(emu->base_url, sizeof emu->base_url, "%s/v1", emu_server_url(emu->server));
    return emu;
}

void oai_emulator_stop(oai_emulator *emu)
{
    if (!emu)
        return;
    emu_server_stop(emu->server);
    for (size_t i = 0; i < FILES_MAX; i++)
        free(emu->files[i].data);
    pthread_mutex_destroy(&emu->lock);
    free(emu);
}

const char *oai_emulator_base_url(const oai_emulator *emu)
{
    return emu->base_url;
}

emu_server *oai_emulator_server(oai_emulator *emu)
{
    return emu->server;
}

int oai_emulator_images_made(oai_emulator *emu, const char *model)
{
    pthread_mutex_lock(&emu->lock);
    int n = emu_tally_sum(&emu->made, model);
    pthread_mutex_unlock(&emu->lock);
    return n;
}
