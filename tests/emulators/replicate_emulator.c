/*
 * replicate_emulator.c - the Replicate emulator: routing, the bearer token
 * check, the create requests (Prefer header, body shape per the spec's
 * request schemas, model and version lookup), problem-details errors and
 * fault shapes, the exchange log and the public hooks. Model inputs are
 * validated in replicate_inputs.c, predictions live in
 * replicate_predictions.c.
 */
#include "emulators/replicate_emulator.h"

#include <microhttpd.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_images.h"
#include "emulators/replicate_internal.h"

#define MAX_BODY (64u << 20) /* data URL inputs make large JSON bodies */
#define EXCHANGES_MAX 200    /* the oldest exchange is dropped first */
#define DELIVERY_PREFIX "/delivery/"
#define THROTTLED                                                              \
    "Request was throttled. Your rate limit for creating predictions is reduced to 6 " \
    "requests per minute with a burst of 1 requests until you add a payment method. " \
    "Your rate limit resets in ~30s."

struct replicate_emulator {
    emu_server *server;
    rep_store *store;
    char root[64];     /* http://127.0.0.1:<port> */
    char base_url[80]; /* root + /v1 */
    char url_root[96]; /* what handed-out URLs start with (root unless set) */
    pthread_mutex_t lock;
    cJSON *exchanges;
    regex_t prefer_re;
};

/* What a fault asks of the normal routing. */
typedef enum route_mode { ROUTE_NORMAL, ROUTE_NSFW, ROUTE_REMOVED } route_mode;

void rep_respond_problem(emu_response *out, int status, const char *title,
                         const char *detail, cJSON *invalid_fields)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "title", title);
    cJSON_AddStringToObject(root, "detail", detail);
    cJSON_AddNumberToObject(root, "status", status);
    if (invalid_fields)
        cJSON_AddItemToObject(root, "invalid_fields", invalid_fields);
    emu_respond_json(out, status, root);
    free(out->content_type);
    out->content_type = strdup("application/problem+json");
    if (!out->content_type)
        abort();
}

/* The detail lists each invalid field, "- field: description\n", as the API does. */
void rep_respond_invalid(emu_response *out, cJSON *invalid_fields)
{
    char detail[2048] = "";
    const cJSON *e;
    cJSON_ArrayForEach(e, invalid_fields)
    {
        size_t n = strlen(detail);
        snprintf(detail + n, sizeof detail - n, "- %s: %s\n",
                 cJSON_GetStringValue(cJSON_GetObjectItem(e, "field")),
                 cJSON_GetStringValue(cJSON_GetObjectItem(e, "description")));
    }
    rep_respond_problem(out, 422, "Input validation failed", detail, invalid_fields);
}

/* Core hook: errors the core raises itself (413, broken forms). */
static void on_core_error(void *ctx, int status, const char *message, emu_response *out)
{
    (void)ctx;
    rep_respond_problem(out, status, status == 413 ? "Request Entity Too Large" : "Bad Request",
                        message, NULL);
}

static const char *header(const emu_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->connection,
                                       MHD_HEADER_KIND, name);
}

/* Checks the body against schemas_prediction_request (versioned: + version):
 * an object with input (object), optional stream, webhook and
 * webhook_events_filter, nothing else. Returns the body or NULL (answered). */
static cJSON *parse_create_body(const emu_request *req, bool versioned, emu_response *out)
{
    cJSON *body = cJSON_ParseWithLength((const char *)req->body, req->body_size);
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        rep_respond_problem(out, 400, "Bad Request", "The request body is not a JSON object.",
                            NULL);
        return NULL;
    }
    cJSON *errs = cJSON_CreateArray();
    const cJSON *v;
    cJSON_ArrayForEach(v, body)
    {
        bool known = !strcmp(v->string, "input") || !strcmp(v->string, "stream") ||
                     !strcmp(v->string, "webhook") ||
                     !strcmp(v->string, "webhook_events_filter") ||
                     (versioned && !strcmp(v->string, "version"));
        if (!known) {
            char text[200];
            snprintf(text, sizeof text, "Additional property %s is not allowed", v->string);
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "type", "additional_property_not_allowed");
            cJSON_AddStringToObject(e, "field", "(root)");
            cJSON_AddStringToObject(e, "description", text);
            cJSON_AddItemToArray(errs, e);
        }
    }
    const char *missing[2] = {NULL, NULL};
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(body, "input");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(body, "version");
    if (!cJSON_IsObject(input))
        missing[0] = input ? "input: Invalid type. Expected: object" : "input is required";
    if (versioned && !cJSON_IsString(version))
        missing[1] = version ? "version: Invalid type. Expected: string"
                             : "version is required";
    for (int i = 0; i < 2; i++) {
        if (!missing[i])
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "type", strstr(missing[i], "required") ? "required"
                                                                           : "invalid_type");
        cJSON_AddStringToObject(e, "field", "(root)");
        cJSON_AddStringToObject(e, "description", missing[i]);
        cJSON_AddItemToArray(errs, e);
    }
    if (cJSON_GetArraySize(errs) > 0) {
        cJSON_Delete(body);
        rep_respond_invalid(out, errs);
        return NULL;
    }
    cJSON_Delete(errs);
    return body;
}

/* The root of the URLs handed out, copied under the lock into a per-thread buffer. */
static const char *url_root(replicate_emulator *emu)
{
    static _Thread_local char root[96];
    pthread_mutex_lock(&emu->lock);
    snprintf(root, sizeof root, "%s", emu->url_root);
    pthread_mutex_unlock(&emu->lock);
    return root;
}

/* Seconds of a Cancel-After duration as the spec describes it: one or more
 * <n><unit> parts in the order h, m, s, or plain digits (seconds); -1 when
 * the text is none of that. */
static long cancel_after_seconds(const char *text)
{
    static const char units[] = "hms";
    static const long factor[] = {3600, 60, 1};
    long total = 0;
    int next_unit = 0;
    const char *p = text;
    if (!*p)
        return -1;
    while (*p) {
        if (*p < '0' || *p > '9')
            return -1;
        long n = 0;
        for (; *p >= '0' && *p <= '9'; p++)
            n = n * 10 + (*p - '0');
        const char *u = *p ? strchr(units + next_unit, *p) : NULL;
        if (*p && !u)
            return -1;
        int unit = u ? (int)(u - units) : 2; /* no suffix: seconds, and the end */
        total += n * factor[unit];
        next_unit = unit + 1;
        p += u ? 1 : 0;
        if (!u && *p)
            return -1;
    }
    return total;
}

/* Checks the create's headers against the spec: Prefer's pattern and a
 * Cancel-After duration of at least 5 s. The API's answer to a bad value is
 * undocumented: the emulator refuses it so a client bug shows. */
static bool create_headers_ok(replicate_emulator *emu, const emu_request *req,
                              emu_response *out)
{
    const char *prefer = header(req, "Prefer");
    if (prefer && regexec(&emu->prefer_re, prefer, 0, NULL, 0) != 0) {
        rep_respond_problem(out, 400, "Invalid Prefer header", "Prefer must be wait or "
                            "wait=n with n a number of seconds from 1 to 60.", NULL);
        return false;
    }
    const char *cancel_after = header(req, "Cancel-After");
    if (cancel_after && cancel_after_seconds(cancel_after) < 5) {
        rep_respond_problem(out, 400, "Invalid Cancel-After header", "Cancel-After must be "
                            "a duration such as 30s, 5m or 1h30m45s, of at least 5 seconds.",
                            NULL);
        return false;
    }
    return true;
}

/* POST .../predictions: Prefer, body, model, inputs, then the prediction. */
static void create(replicate_emulator *emu, const emu_request *req, const rep_model *model,
                   bool versioned, bool nsfw, emu_response *out)
{
    const char *prefer = header(req, "Prefer");
    if (!create_headers_ok(emu, req, out))
        return;
    cJSON *body = parse_create_body(req, versioned, out);
    if (!body)
        return;
    if (versioned) {
        model = rep_model_for_version(cJSON_GetObjectItem(body, "version")->valuestring);
        if (!model) {
            rep_respond_problem(out, 422, "Invalid version or not permitted", "The specified "
                                "version does not exist (or perhaps you don't have permission "
                                "to use it?)", NULL);
            cJSON_Delete(body);
            return;
        }
    }
    const cJSON *input = cJSON_GetObjectItem(body, "input");
    rep_job job;
    cJSON *errs = rep_validate(model, input, &job);
    if (errs)
        rep_respond_invalid(out, errs);
    else
        rep_store_create(emu->store, url_root(emu), model, input, &job, prefer != NULL, nsfw,
                         out);
    cJSON_Delete(body);
}

/* Routes an API request (under /v1, token checked). */
static void route_api(replicate_emulator *emu, const emu_request *req, route_mode mode,
                      emu_response *out)
{
    char owner[64], name[64], id[64], rest[16], tail;
    bool get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
    const char *path = req->path;
    if (sscanf(path, "/v1/models/%63[^/]/%63[^/]/predictions%c", owner, name, &tail) == 2) {
        const rep_model *m = rep_model_named(owner, name);
        if (!post)
            rep_respond_problem(out, 405, "Method Not Allowed", "Use POST.", NULL);
        else if (!m)
            rep_respond_problem(out, 404, "Not found", "The requested resource could not be "
                                "found.", NULL);
        else if (!m->official)
            rep_respond_problem(out, 404, "Not found", "This model is not an official model: "
                                "create predictions with POST /v1/predictions and a version.",
                                NULL);
        else
            create(emu, req, m, false, mode == ROUTE_NSFW, out);
    } else if (!strcmp(path, "/v1/predictions")) {
        if (post)
            create(emu, req, NULL, true, mode == ROUTE_NSFW, out);
        else
            rep_respond_problem(out, 405, "Method Not Allowed", "Listing predictions is not "
                                "emulated.", NULL);
    } else if (sscanf(path, "/v1/predictions/%63[^/]%c", id, &tail) == 1) {
        if (get)
            rep_store_get(emu->store, url_root(emu), id,
                          mode == ROUTE_NSFW ? REP_READ_NSFW
                          : mode == ROUTE_REMOVED ? REP_READ_REMOVED : REP_READ_NORMAL, out);
        else
            rep_respond_problem(out, 405, "Method Not Allowed", "Use GET.", NULL);
    } else if (sscanf(path, "/v1/predictions/%63[^/]/%15[a-z]%c", id, rest, &tail) == 2 &&
               (!strcmp(rest, "cancel") || !strcmp(rest, "stream"))) {
        bool cancel = !strcmp(rest, "cancel");
        if (cancel && post)
            rep_store_cancel(emu->store, url_root(emu), id, out);
        else if (!cancel && get)
            rep_store_stream(emu->store, id, out);
        else
            rep_respond_problem(out, 405, "Method Not Allowed",
                                cancel ? "Use POST." : "Use GET.", NULL);
    } else {
        rep_respond_problem(out, 404, "Not found", "The requested resource could not be found.",
                            NULL);
    }
}

/* Keeps an API exchange for the spec checks. */
static void keep_exchange(replicate_emulator *emu, const emu_request *req,
                          const emu_response *out)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "method", req->method);
    cJSON_AddStringToObject(e, "path", req->path);
    const char *prefer = header(req, "Prefer");
    cJSON_AddItemToObject(e, "prefer",
                          prefer ? cJSON_CreateString(prefer) : cJSON_CreateNull());
    const char *cancel_after = header(req, "Cancel-After");
    cJSON_AddItemToObject(e, "cancelAfter", cancel_after ? cJSON_CreateString(cancel_after)
                                                         : cJSON_CreateNull());
    cJSON *request = req->body_size ? cJSON_ParseWithLength((const char *)req->body,
                                                            req->body_size) : NULL;
    cJSON_AddItemToObject(e, "request", request ? request : cJSON_CreateNull());
    cJSON_AddNumberToObject(e, "status", out->status);
    bool json = !out->content_type || strstr(out->content_type, "json");
    cJSON *response = json && out->body ? cJSON_ParseWithLength((const char *)out->body,
                                                                out->size) : NULL;
    cJSON_AddItemToObject(e, "response", response ? response : cJSON_CreateNull());
    pthread_mutex_lock(&emu->lock);
    if (cJSON_GetArraySize(emu->exchanges) >= EXCHANGES_MAX)
        cJSON_DeleteItemFromArray(emu->exchanges, 0);
    cJSON_AddItemToArray(emu->exchanges, e);
    pthread_mutex_unlock(&emu->lock);
}

/* Routes one request; mode is how a moderation/expired fault bends it. */
static void route(replicate_emulator *emu, const emu_request *req, route_mode mode,
                  emu_response *out)
{
    if (!strncmp(req->path, DELIVERY_PREFIX, strlen(DELIVERY_PREFIX))) {
        /* replicate.delivery takes no token (the request log shows whether
         * one was presented anyway). */
        if (!strcmp(req->method, "GET"))
            rep_store_deliver(emu->store, req->path, out);
        else
            emu_respond_bytes(out, 405, "text/plain", "Method Not Allowed", 18);
        return;
    }
    if (strncmp(req->path, "/v1/", 4))
        rep_respond_problem(out, 404, "Not found", "The requested resource could not be found.",
                            NULL);
    else if (req->auth != EMU_AUTH_MATCHED)
        rep_respond_problem(out, 401, "Unauthenticated", req->auth == EMU_AUTH_ABSENT
                            ? "You did not pass an authentication token"
                            : "You did not pass a valid authentication token", NULL);
    else
        route_api(emu, req, mode, out);
    keep_exchange(emu, req, out);
}

/* Core hook: answers a request that no fault touched. */
static void on_request(void *ctx, const emu_request *req, emu_response *out)
{
    route(ctx, req, ROUTE_NORMAL, out);
}

/* Core hook: faults in Replicate's shapes (problem details). */
static void on_fault(void *ctx, const emu_request *req, const emu_fault *f, emu_response *out)
{
    replicate_emulator *emu = ctx;
    bool delivery = !strncmp(req->path, DELIVERY_PREFIX, strlen(DELIVERY_PREFIX));
    switch (f->kind) {
    case EMU_FAULT_429:
        rep_respond_problem(out, 429, "Request was throttled", THROTTLED, NULL);
        break;
    case EMU_FAULT_500:
        rep_respond_problem(out, 500, "Internal Server Error", "An unexpected error occurred.",
                            NULL);
        break;
    case EMU_FAULT_502:
        rep_respond_problem(out, 502, "Bad Gateway", "The server received an invalid response "
                            "from an upstream server.", NULL);
        break;
    case EMU_FAULT_503:
        rep_respond_problem(out, 503, "Service Unavailable", "Replicate is temporarily "
                            "unavailable. Please try again later.", NULL);
        break;
    case EMU_FAULT_MODERATION:
        route(emu, req, ROUTE_NSFW, out);
        return;
    case EMU_FAULT_QUOTA:
        rep_respond_problem(out, 402, "Insufficient credit", "You have insufficient credit to "
                            "run this model. Go to "
                            "https://replicate.com/account/billing#billing to purchase credit. "
                            "Once you purchase credit, please wait a few minutes before trying "
                            "again.", NULL);
        break;
    case EMU_FAULT_INVALID: {
        cJSON *errs = cJSON_CreateArray(), *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "type", "enum");
        cJSON_AddStringToObject(e, "field", "input.aspect_ratio");
        cJSON_AddStringToObject(e, "description", "input.aspect_ratio must be one of the "
                                "following: \"1:1\", \"16:9\", \"21:9\", \"3:2\", \"2:3\", "
                                "\"4:5\", \"5:4\", \"3:4\", \"4:3\", \"9:16\", \"9:21\"");
        cJSON_AddItemToArray(errs, e);
        rep_respond_invalid(out, errs);
        break;
    }
    case EMU_FAULT_EXPIRED:
        if (delivery) { /* files are removed an hour after the prediction */
            emu_respond_bytes(out, 404, "text/plain", "Not Found", 9);
            return;
        }
        route(emu, req, ROUTE_REMOVED, out);
        return;
    default:
        rep_respond_problem(out, 500, "Internal Server Error", "An unexpected error occurred.",
                            NULL);
        break;
    }
    if (!delivery)
        keep_exchange(emu, req, out);
}

replicate_emulator *replicate_emulator_start(int port, const char *token)
{
    if (emu_vips_init() != 0)
        return NULL;
    replicate_emulator *emu = calloc(1, sizeof *emu);
    if (!emu)
        return NULL;
    char auth[256];
    snprintf(auth, sizeof auth, "Bearer %s", token ? token : "r8_emulator_token");
    emu->store = rep_store_new();
    emu->exchanges = cJSON_CreateArray();
    pthread_mutex_init(&emu->lock, NULL);
    regcomp(&emu->prefer_re, "^wait(=([1-9]|[1-9][0-9]|60))?$", REG_EXTENDED | REG_NOSUB);
    emu_config cfg = {
        .port = port, .auth_header = "Authorization", .auth_value = auth,
        .max_json_body = MAX_BODY, .max_multipart_body = MAX_BODY, .handler = on_request,
        .fault_response = on_fault, .error_response = on_core_error, .ctx = emu};
    emu->server = emu_server_start(&cfg);
    if (!emu->server) {
        regfree(&emu->prefer_re);
        pthread_mutex_destroy(&emu->lock);
        cJSON_Delete(emu->exchanges);
        rep_store_free(emu->store);
        free(emu);
        return NULL;
    }
    snprintf(emu->root, sizeof emu->root, "%s", emu_server_url(emu->server));
    snprintf(emu->base_url, sizeof emu->base_url, "%s/v1", emu->root);
    snprintf(emu->url_root, sizeof emu->url_root, "%s", emu->root);
    return emu;
}

/* Stops the server first so no handler touches the store while it is freed. */
void replicate_emulator_stop(replicate_emulator *emu)
{
    if (!emu)
        return;
    emu_server_stop(emu->server);
    rep_store_free(emu->store);
    regfree(&emu->prefer_re);
    pthread_mutex_destroy(&emu->lock);
    cJSON_Delete(emu->exchanges);
    free(emu);
}

const char *replicate_emulator_base_url(const replicate_emulator *emu)
{
    return emu->base_url;
}

emu_server *replicate_emulator_server(replicate_emulator *emu)
{
    return emu->server;
}

void replicate_emulator_set_ticks(replicate_emulator *emu, int reads)
{
    rep_store_set_ticks(emu->store, reads);
}

void replicate_emulator_set_wait_completes(replicate_emulator *emu, bool completes)
{
    rep_store_set_wait_completes(emu->store, completes);
}

void replicate_emulator_set_url_host(replicate_emulator *emu, const char *host)
{
    pthread_mutex_lock(&emu->lock);
    if (host)
        snprintf(emu->url_root, sizeof emu->url_root, "http://%s:%d", host,
                 emu_server_port(emu->server));
    else
        snprintf(emu->url_root, sizeof emu->url_root, "%s", emu->root);
    pthread_mutex_unlock(&emu->lock);
}

void replicate_emulator_fail_next(replicate_emulator *emu, int count)
{
    rep_store_fail_next(emu->store, count, NULL);
}

void replicate_emulator_fail_next_with(replicate_emulator *emu, int count, const char *error)
{
    rep_store_fail_next(emu->store, count, error);
}

void replicate_emulator_set_data_urls(replicate_emulator *emu, bool on)
{
    rep_store_set_data_urls(emu->store, on);
}

int replicate_emulator_predictions(replicate_emulator *emu, const char *model)
{
    return rep_store_count(emu->store, model);
}

int replicate_emulator_cancels(replicate_emulator *emu)
{
    return rep_store_cancels(emu->store);
}

cJSON *replicate_emulator_exchanges(replicate_emulator *emu)
{
    pthread_mutex_lock(&emu->lock);
    cJSON *copy = cJSON_Duplicate(emu->exchanges, true);
    pthread_mutex_unlock(&emu->lock);
    return copy;
}
