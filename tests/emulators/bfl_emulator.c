/*
 * bfl_emulator.c - the BFL FLUX emulator: routing, the x-key check, the
 * submit answers, error and fault shapes (FastAPI {"detail"} for the API,
 * Azure-blob XML for the delivery host) and the public hooks. Validation is
 * in bfl_validate.c / bfl_images.c, tasks and delivery in bfl_tasks.c.
 */
#include "emulators/bfl_emulator.h"

#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulators/bfl_internal.h"
#include "emulators/emu_images.h"

#define POLL_PATH "/regional/v1/get_result" /* what polling_url names */
#define POLL_PATH_V1 "/v1/get_result"
#define CREDITS_PATH "/v1/credits"
#define DELIVERY_PREFIX "/delivery/"
#define MAX_BODY (64u << 20) /* base64 images make large JSON bodies */

struct bfl_emulator {
    emu_server *server;
    bfl_store *store;
    char base_url[64];
};

/* What a fault asks of the normal routing. */
typedef enum route_mode { ROUTE_NORMAL, ROUTE_MODERATE, ROUTE_EXPIRED } route_mode;

/* FastAPI's error shape: {"detail": text}. */
void bfl_respond_detail(emu_response *out, int status, const char *text)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "detail", text);
    emu_respond_json(out, status, root);
}

/* Azure Blob Storage's XML error, as the delivery host answers. */
void bfl_respond_blob_error(emu_response *out, int status, const char *code,
                            const char *message, const char *detail)
{
    char xml[1024], when[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S.0000000Z", &tm);
    int n = snprintf(xml, sizeof xml,
                     "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>%s</Code>"
                     "<Message>%s\nRequestId:00000000-0000-0000-0000-000000000000\nTime:%s"
                     "</Message>%s%s%s</Error>", code, message, when,
                     detail ? "<AuthenticationErrorDetail>" : "", detail ? detail : "",
                     detail ? "</AuthenticationErrorDetail>" : "");
    emu_respond_bytes(out, status, "application/xml", xml, (size_t)n);
    emu_response_header(out, "x-ms-error-code", code);
}

/* Core hook: errors the core raises itself (413, broken forms) as {"detail"}. */
static void on_core_error(void *ctx, int status, const char *message, emu_response *out)
{
    (void)ctx;
    bfl_respond_detail(out, status, message);
}

/* A number rounded to 2 decimals, or null when not positive. */
static cJSON *megapixels(double mp)
{
    return mp > 0 ? cJSON_CreateNumber(round(mp * 100) / 100) : cJSON_CreateNull();
}

/* POST /v1/<endpoint>: validate, charge, record the task, answer its id. */
static void submit(bfl_emulator *emu, const emu_request *req, const bfl_endpoint *ep,
                   bool moderated, emu_response *out)
{
    bfl_params p;
    cJSON *errs = bfl_validate(ep, req, &p);
    if (errs) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddItemToObject(root, "detail", errs);
        emu_respond_json(out, 422, root);
        return;
    }
    if (bfl_store_no_credits(emu->store)) {
        bfl_params_free(&p);
        bfl_respond_detail(out, 402, "Insufficient credits");
        return;
    }
    char id[37], url[160];
    bfl_store_submit(emu->store, &p, moderated, id);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "id", id);
    if (p.webhook_url) { /* AsyncWebhookResponse (the webhook itself is never called) */
        cJSON_AddStringToObject(root, "status", "Pending");
        cJSON_AddStringToObject(root, "webhook_url", p.webhook_url);
    } else {
        snprintf(url, sizeof url, "%s" POLL_PATH "?id=%s", emu->base_url, id);
        cJSON_AddStringToObject(root, "polling_url", url);
    }
    cJSON_AddNumberToObject(root, "cost", ep->cost);
    cJSON_AddItemToObject(root, "input_mp", megapixels(p.input_mp));
    cJSON_AddItemToObject(root, "output_mp", megapixels((double)p.width * p.height / 1e6));
    bfl_params_free(&p);
    emu_respond_json(out, 200, root);
}

/* A query argument of the request, or NULL. */
static const char *query(const emu_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->connection,
                                       MHD_GET_ARGUMENT_KIND, name);
}

/* The 403 of a missing or wrong x-key (never echoing what was sent). */
static void respond_auth(const emu_request *req, emu_response *out)
{
    bfl_respond_detail(out, 403, req->auth == EMU_AUTH_ABSENT
                                     ? "Not authenticated"
                                     : "Not authenticated - Invalid Authentication");
}

/* Routes one request; mode is how a moderation/expired fault bends it. */
static void route(bfl_emulator *emu, const emu_request *req, route_mode mode, emu_response *out)
{
    bool get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
    if (!strncmp(req->path, DELIVERY_PREFIX, strlen(DELIVERY_PREFIX))) {
        if (get) /* the delivery host takes no key: the signature is the auth */
            bfl_store_deliver(emu->store, req->path, query(req, "se"), query(req, "sig"), out);
        else
            bfl_respond_blob_error(out, 405, "UnsupportedHttpVerb",
                                   "The resource doesn't support specified Http Verb.", NULL);
        return;
    }
    const bfl_endpoint *ep = bfl_endpoint_for_path(req->path);
    bool poll = !strcmp(req->path, POLL_PATH) || !strcmp(req->path, POLL_PATH_V1);
    bool credits = !strcmp(req->path, CREDITS_PATH);
    if (!ep && !poll && !credits) {
        bfl_respond_detail(out, 404, "Not Found");
        return;
    }
    if ((ep && !post) || (!ep && !get)) {
        bfl_respond_detail(out, 405, "Method Not Allowed");
        emu_response_header(out, "Allow", ep ? "POST" : "GET");
        return;
    }
    cJSON *bad_json = ep ? bfl_json_error(req) : NULL; /* FastAPI reads the body first */
    if (bad_json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddItemToObject(root, "detail", bad_json);
        emu_respond_json(out, 422, root);
        return;
    }
    if (req->auth != EMU_AUTH_MATCHED) {
        respond_auth(req, out);
        return;
    }
    if (ep) {
        submit(emu, req, ep, mode == ROUTE_MODERATE, out);
    } else if (poll) {
        bfl_store_poll(emu->store, emu->base_url, query(req, "id"),
                       mode == ROUTE_MODERATE ? BFL_POLL_MODERATE
                       : mode == ROUTE_EXPIRED ? BFL_POLL_EXPIRED : BFL_POLL_NORMAL, out);
    } else {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddNumberToObject(root, "credits", bfl_store_credits(emu->store));
        emu_respond_json(out, 200, root);
    }
}

/* Core hook: answers a request that no fault touched. */
static void on_request(void *ctx, const emu_request *req, emu_response *out)
{
    route(ctx, req, ROUTE_NORMAL, out);
}

/* Core hook: 429/5xx in FastAPI's shape; moderation and expiry BFL's way. */
static void on_fault(void *ctx, const emu_request *req, const emu_fault *f, emu_response *out)
{
    switch (f->kind) {
    case EMU_FAULT_429:
        bfl_respond_detail(out, 429, "Rate limit exceeded: you have reached the maximum number "
                           "of active tasks (24). Wait for running tasks to finish, then retry.");
        break;
    case EMU_FAULT_500:
        bfl_respond_detail(out, 500, "Internal Server Error");
        break;
    case EMU_FAULT_502:
        bfl_respond_detail(out, 502, "Bad Gateway");
        break;
    case EMU_FAULT_503:
        bfl_respond_detail(out, 503, "Service Unavailable: the API is temporarily overloaded, "
                           "please retry later.");
        break;
    case EMU_FAULT_MODERATION:
        route(ctx, req, ROUTE_MODERATE, out);
        break;
    case EMU_FAULT_QUOTA:
        bfl_respond_detail(out, 402, "Insufficient credits");
        break;
    case EMU_FAULT_INVALID: {
        cJSON *root = cJSON_CreateObject(), *item = cJSON_CreateObject();
        cJSON *loc = cJSON_AddArrayToObject(item, "loc");
        cJSON_AddItemToArray(loc, cJSON_CreateString("body"));
        cJSON_AddItemToArray(loc, cJSON_CreateString("width"));
        cJSON_AddStringToObject(item, "msg", "Input should be a multiple of 32");
        cJSON_AddStringToObject(item, "type", "value_error");
        cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "detail"), item);
        emu_respond_json(out, 422, root);
        break;
    }
    case EMU_FAULT_EXPIRED:
        if (!strncmp(req->path, DELIVERY_PREFIX, strlen(DELIVERY_PREFIX)))
            bfl_respond_blob_error(out, 403, "AuthenticationFailed", "Server failed to "
                                   "authenticate the request. Make sure the value of "
                                   "Authorization header is formed correctly including the "
                                   "signature.", "Signed expiry time has passed.");
        else
            route(ctx, req, ROUTE_EXPIRED, out);
        break;
    default:
        bfl_respond_detail(out, 500, "Internal Server Error");
        break;
    }
}

/* Starts libvips, the task store and the core server on x-key auth. */
bfl_emulator *bfl_emulator_start(int port, const char *api_key)
{
    if (emu_vips_init() != 0)
        return NULL;
    bfl_emulator *emu = calloc(1, sizeof *emu);
    if (!emu)
        return NULL;
    emu->store = bfl_store_new();
    emu_config cfg = {
        .port = port, .auth_header = "x-key",
        .auth_value = api_key ? api_key : "bfl-emulator-key",
        .max_json_body = MAX_BODY, .max_multipart_body = MAX_BODY,
        .handler = on_request, .fault_response = on_fault, .error_response = on_core_error,
        .ctx = emu};
    emu->server = emu_server_start(&cfg);
    if (!emu->server) {
        bfl_store_free(emu->store);
        free(emu);
        return NULL;
    }
    snprintf(emu->base_url, sizeof emu->base_url, "%s", emu_server_url(emu->server));
    return emu;
}

/* Stops the server first so no handler touches the store while it is freed. */
void bfl_emulator_stop(bfl_emulator *emu)
{
    if (!emu)
        return;
    emu_server_stop(emu->server);
    bfl_store_free(emu->store);
    free(emu);
}

/* The server's base URL (clients append /v1/...). */
const char *bfl_emulator_base_url(const bfl_emulator *emu)
{
    return emu->base_url;
}

/* The core server, for faults and the request log. */
emu_server *bfl_emulator_server(bfl_emulator *emu)
{
    return emu->server;
}

/* Hook: how many polls new tasks stay Pending. */
void bfl_emulator_set_pending_polls(bfl_emulator *emu, int polls)
{
    bfl_store_set_pending(emu->store, polls);
}

/* Hook: the next tasks end as "Error". */
void bfl_emulator_fail_next(bfl_emulator *emu, int count)
{
    bfl_store_fail_next(emu->store, count);
}

/* Hook: submissions answer 402 while on. */
void bfl_emulator_no_credits(bfl_emulator *emu, bool on)
{
    bfl_store_set_no_credits(emu->store, on);
}

/* Accepted tasks per endpoint (NULL = all). */
int bfl_emulator_tasks(bfl_emulator *emu, const char *endpoint)
{
    return bfl_store_count(emu->store, endpoint);
}
