/*
 * comfy_emulator.c - the ComfyUI emulator: routing, uploads, /view, the
 * answers and fault shapes of aiohttp (plain-text error pages) and the
 * public hooks. The queue is in comfy_queue.c, validation in
 * comfy_validate.c, the node catalogue in comfy_nodes.c, websockets in
 * comfy_ws.c.
 */
#include "emulators/comfy_emulator.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/comfy_internal.h"
#include "emulators/emu_images.h"

#define MAX_BODY (64u << 20)

/* aiohttp's plain-text answer: "<status>: <reason>". */
static void respond_text(emu_response *out, int status, const char *text)
{
    emu_respond_bytes(out, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void on_core_error(void *ctx, int status, const char *message, emu_response *out)
{
    (void)ctx, (void)message;
    respond_text(out, status, status == 413 ? "413: Request Entity Too Large"
                                            : "400: Bad Request");
}

static const char *query(const emu_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->connection,
                                       MHD_GET_ARGUMENT_KIND, name);
}

/* What the server has installed, for the node catalogue (under the lock). */
static comfy_installed installed(comfy_emulator *emu)
{
    comfy_installed inst = {emu->upscalers, emu->ipadapter, cJSON_CreateArray()};
    for (int i = 0; i < emu->upload_count; i++)
        cJSON_AddItemToArray(inst.inputs, cJSON_CreateString(emu->uploads[i].name));
    return inst;
}

static void system_stats(emu_response *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *sys = cJSON_AddObjectToObject(root, "system");
    cJSON_AddStringToObject(sys, "os", "posix");
    cJSON_AddNumberToObject(sys, "ram_total", 68719476736.0);
    cJSON_AddNumberToObject(sys, "ram_free", 34359738368.0);
    cJSON_AddStringToObject(sys, "comfyui_version", "0.3.40");
    cJSON_AddStringToObject(sys, "python_version", "3.12.3 (main) [GCC 13.2.0]");
    cJSON_AddStringToObject(sys, "pytorch_version", "2.7.0+cu126");
    cJSON_AddBoolToObject(sys, "embedded_python", false);
    cJSON *argv = cJSON_AddArrayToObject(sys, "argv");
    cJSON_AddItemToArray(argv, cJSON_CreateString("main.py"));
    cJSON *devices = cJSON_AddArrayToObject(root, "devices");
    cJSON *gpu = cJSON_CreateObject();
    cJSON_AddStringToObject(gpu, "name", "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync");
    cJSON_AddStringToObject(gpu, "type", "cuda");
    cJSON_AddNumberToObject(gpu, "index", 0);
    cJSON_AddNumberToObject(gpu, "vram_total", 25393692672.0);
    cJSON_AddNumberToObject(gpu, "vram_free", 23937253376.0);
    cJSON_AddNumberToObject(gpu, "torch_vram_total", 0);
    cJSON_AddNumberToObject(gpu, "torch_vram_free", 0);
    cJSON_AddItemToArray(devices, gpu);
    emu_respond_json(out, 200, root);
}

/* POST /upload/image: keeps the file under its name (or "name (1).ext"
 * when it exists and overwrite is off). */
static void upload(comfy_emulator *emu, const emu_request *req, emu_response *out)
{
    const emu_part *image = emu_find_part(req, "image");
    if (!req->multipart || !image || !image->filename[0]) {
        respond_text(out, 400, "400: Bad Request");
        return;
    }
    const emu_part *type = emu_find_part(req, "type");
    const emu_part *sub = emu_find_part(req, "subfolder");
    const emu_part *over = emu_find_part(req, "overwrite");
    bool overwrite = over && (!strcmp((char *)over->data, "true") ||
                              !strcmp((char *)over->data, "1"));
    const char *type_name = type && type->size ? (const char *)type->data : "input";
    if (strstr(image->filename, "..") || strchr(image->filename, '/') ||
        (sub && strstr((char *)sub->data, ".."))) {
        respond_text(out, 400, "400: Bad Request");
        return;
    }
    emu_probe probe;
    bool decodes = emu_image_probe(image->data, image->size, &probe);
    pthread_mutex_lock(&emu->lock);
    char name[256];
    snprintf(name, sizeof name, "%s", image->filename);
    comfy_upload *slot = NULL;
    for (int i = 0; i < emu->upload_count; i++)
        if (!strcmp(emu->uploads[i].name, name))
            slot = &emu->uploads[i];
    if (slot && !overwrite) { /* server.py's "name (i).ext" */
        const char *dot = strrchr(image->filename, '.');
        int stem = dot ? (int)(dot - image->filename) : (int)strlen(image->filename);
        snprintf(name, sizeof name, "%.*s (1)%s", stem, image->filename, dot ? dot : "");
        slot = NULL;
    }
    if (!slot && emu->upload_count < COMFY_MAX_UPLOADS)
        slot = &emu->uploads[emu->upload_count++];
    if (slot) {
        free(slot->data);
        snprintf(slot->name, sizeof slot->name, "%s", name);
        slot->data = malloc(image->size ? image->size : 1);
        if (!slot->data)
            abort();
        memcpy(slot->data, image->data, image->size);
        slot->size = image->size;
        slot->width = decodes ? probe.width : 0;
        slot->height = decodes ? probe.height : 0;
        emu->uploads_made++;
    }
    pthread_mutex_unlock(&emu->lock);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "name", name);
    cJSON_AddStringToObject(root, "subfolder", sub ? (const char *)sub->data : "");
    cJSON_AddStringToObject(root, "type", type_name);
    emu_respond_json(out, 200, root);
}

/* POST /prompt: validate, then queue (fail = end in execution_error). */
static void post_prompt(comfy_emulator *emu, const emu_request *req, bool fail,
                        emu_response *out)
{
    cJSON *body = cJSON_ParseWithLength((const char *)req->body, req->body_size);
    const cJSON *graph = cJSON_GetObjectItemCaseSensitive(body, "prompt");
    if (!body) { /* aiohttp's request.json() raising */
        cJSON_Delete(body);
        respond_text(out, 500, "500 Internal Server Error\n\nServer got itself in trouble");
        return;
    }
    if (!graph) {
        cJSON *root = cJSON_CreateObject();
        cJSON *error = cJSON_AddObjectToObject(root, "error");
        cJSON_AddStringToObject(error, "type", "no_prompt");
        cJSON_AddStringToObject(error, "message", "No prompt provided");
        cJSON_AddStringToObject(error, "details", "No prompt provided");
        cJSON_AddObjectToObject(error, "extra_info");
        cJSON_AddObjectToObject(root, "node_errors");
        cJSON_Delete(body);
        emu_respond_json(out, 400, root);
        return;
    }
    pthread_mutex_lock(&emu->lock);
    comfy_installed inst = installed(emu);
    cJSON *errors = comfy_validate(&inst, graph);
    cJSON_Delete(inst.inputs);
    char id[40] = "";
    int number = 0;
    if (!errors && emu->job_count < COMFY_MAX_JOBS) {
        bool failing = fail || emu->fail_next > 0;
        if (!fail && emu->fail_next > 0)
            emu->fail_next--;
        comfy_enqueue(emu, graph, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                      body, "client_id")), failing, id, &number);
        cJSON_Delete(emu->last_graph);
        emu->last_graph = cJSON_Duplicate(graph, true);
        emu->prompts++;
    }
    pthread_mutex_unlock(&emu->lock);
    cJSON_Delete(body);
    if (errors) {
        emu_respond_json(out, 400, errors);
        return;
    }
    if (!id[0]) {
        respond_text(out, 503, "503: Service Unavailable");
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "prompt_id", id);
    cJSON_AddNumberToObject(root, "number", number);
    cJSON_AddObjectToObject(root, "node_errors");
    emu_respond_json(out, 200, root);
}

/* POST /queue {delete: [...]} or {clear: true}; POST /interrupt. */
static void post_control(comfy_emulator *emu, const emu_request *req, bool interrupt,
                         emu_response *out)
{
    cJSON *body = req->body_size ? cJSON_ParseWithLength((const char *)req->body,
                                                         req->body_size) : NULL;
    pthread_mutex_lock(&emu->lock);
    if (interrupt) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "prompt_id"));
        emu->interrupted += comfy_interrupt(emu, id);
    } else {
        const cJSON *del = cJSON_GetObjectItemCaseSensitive(body, "delete");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "clear")))
            emu->deleted += comfy_delete(emu, NULL);
        if (cJSON_IsArray(del))
            emu->deleted += comfy_delete(emu, del);
    }
    pthread_mutex_unlock(&emu->lock);
    cJSON_Delete(body);
    emu_respond_bytes(out, 200, "text/plain; charset=utf-8", "", 0);
}

/* GET /history[/<id>] (one tick first). */
static void history(comfy_emulator *emu, const char *id, emu_response *out)
{
    pthread_mutex_lock(&emu->lock);
    comfy_tick(emu);
    cJSON *root;
    if (id) {
        root = cJSON_CreateObject();
        cJSON *entry = cJSON_GetObjectItemCaseSensitive(emu->history, id);
        if (entry)
            cJSON_AddItemToObject(root, id, cJSON_Duplicate(entry, true));
    } else {
        root = cJSON_Duplicate(emu->history, true);
    }
    pthread_mutex_unlock(&emu->lock);
    emu_respond_json(out, 200, root);
}

/* GET /view: an uploaded input, or an output made as a real PNG. */
static void view(comfy_emulator *emu, const emu_request *req, bool expired, emu_response *out)
{
    const char *file = query(req, "filename"), *type = query(req, "type");
    if (!file || !*file || file[0] == '/' || strstr(file, "..")) {
        respond_text(out, 400, "400: Bad Request");
        return;
    }
    bool input = type && !strcmp(type, "input");
    int w = 0, h = 0;
    unsigned seed = 0;
    unsigned char *bytes = NULL;
    size_t size = 0;
    pthread_mutex_lock(&emu->lock);
    if (input) {
        for (int i = 0; i < emu->upload_count; i++)
            if (!strcmp(emu->uploads[i].name, file)) {
                size = emu->uploads[i].size;
                bytes = malloc(size ? size : 1);
                if (!bytes)
                    abort();
                memcpy(bytes, emu->uploads[i].data, size);
            }
    } else {
        for (int i = 0; i < COMFY_MAX_OUTPUTS && i < emu->output_count; i++)
            if (!strcmp(emu->outputs[i].filename, file))
                w = emu->outputs[i].width, h = emu->outputs[i].height,
                seed = emu->outputs[i].seed;
    }
    pthread_mutex_unlock(&emu->lock);
    if (!input && w > 0 && !expired)
        bytes = emu_image_make(w, h, "png", 0, false, seed, &size);
    if (!bytes || expired) {
        free(bytes);
        respond_text(out, 404, "404: Not Found");
        return;
    }
    emu_respond_bytes(out, 200, "image/png", bytes, size);
    free(bytes);
}

/* Routes one request (fail: a queued prompt ends in execution_error;
 * expired: /view answers 404). */
static void route(comfy_emulator *emu, const emu_request *req, bool fail, bool expired,
                  emu_response *out)
{
    if (req->auth == EMU_AUTH_ABSENT || req->auth == EMU_AUTH_MISMATCHED) {
        respond_text(out, 401, "401: Unauthorized");
        emu_response_header(out, "WWW-Authenticate", "Basic realm=\"ComfyUI\"");
        return;
    }
    const char *p = req->path;
    bool get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
    if (get && !strcmp(p, "/system_stats")) {
        system_stats(out);
    } else if (get && (!strcmp(p, "/object_info") || !strncmp(p, "/object_info/", 13))) {
        pthread_mutex_lock(&emu->lock);
        comfy_installed inst = installed(emu);
        cJSON *info = comfy_object_info(&inst, p[12] ? p + 13 : NULL);
        cJSON_Delete(inst.inputs);
        pthread_mutex_unlock(&emu->lock);
        emu_respond_json(out, 200, info);
    } else if (post && !strcmp(p, "/upload/image")) {
        upload(emu, req, out);
    } else if (post && !strcmp(p, "/prompt")) {
        post_prompt(emu, req, fail, out);
    } else if (get && (!strcmp(p, "/prompt") || !strcmp(p, "/queue"))) {
        pthread_mutex_lock(&emu->lock);
        comfy_tick(emu);
        cJSON *root = p[1] == 'q' ? comfy_queue_json(emu) : comfy_status_data(emu);
        pthread_mutex_unlock(&emu->lock);
        if (p[1] == 'p') { /* {"exec_info": {...}} without the "status" level */
            cJSON *exec = cJSON_DetachItemFromObject(root, "status");
            cJSON_Delete(root);
            root = exec;
        }
        emu_respond_json(out, 200, root);
    } else if (post && (!strcmp(p, "/queue") || !strcmp(p, "/interrupt"))) {
        post_control(emu, req, p[1] == 'i', out);
    } else if (get && (!strcmp(p, "/history") || !strncmp(p, "/history/", 9))) {
        history(emu, p[8] ? p + 9 : NULL, out);
    } else if (get && !strcmp(p, "/view")) {
        view(emu, req, expired, out);
    } else if (get && !strcmp(p, "/ws")) {
        comfy_ws_route(emu, req, out);
    } else {
        respond_text(out, 404, "404: Not Found");
    }
}

static void on_request(void *ctx, const emu_request *req, emu_response *out)
{
    route(ctx, req, false, false, out);
}

/* Core hook: aiohttp's error pages; "invalid" on /prompt and "expired" on
 * /view bend the normal answer. */
static void on_fault(void *ctx, const emu_request *req, const emu_fault *f, emu_response *out)
{
    switch (f->kind) {
    case EMU_FAULT_429:
        respond_text(out, 429, "429: Too Many Requests");
        break;
    case EMU_FAULT_500:
        respond_text(out, 500, "500 Internal Server Error\n\nServer got itself in trouble");
        break;
    case EMU_FAULT_502:
        respond_text(out, 502, "502: Bad Gateway");
        break;
    case EMU_FAULT_503:
        respond_text(out, 503, "503: Service Unavailable");
        break;
    case EMU_FAULT_INVALID:
    case EMU_FAULT_EXPIRED:
        route(ctx, req, f->kind == EMU_FAULT_INVALID, f->kind == EMU_FAULT_EXPIRED, out);
        break;
    default:
        respond_text(out, 400, "400: Bad Request");
        break;
    }
}

comfy_emulator *comfy_emulator_start(int port, const char *auth)
{
    if (emu_vips_init() != 0)
        return NULL;
    comfy_emulator *emu = calloc(1, sizeof *emu);
    if (!emu)
        return NULL;
    pthread_mutex_init(&emu->lock, NULL);
    pthread_cond_init(&emu->ws_ended, NULL);
    emu->steps = 3;
    emu->upscalers = true;
    emu->next_number = 0;
    emu->history = cJSON_CreateObject();
    emu->events = cJSON_CreateArray();
    char value[600] = "";
    if (auth) {
        char *b64 = emu_base64((const unsigned char *)auth, strlen(auth));
        snprintf(value, sizeof value, "Basic %s", b64);
        free(b64);
    }
    emu_config cfg = {
        .port = port, .auth_header = auth ? "Authorization" : NULL,
        .auth_value = auth ? value : NULL, .max_json_body = MAX_BODY,
        .handler = on_request, .fault_response = on_fault, .error_response = on_core_error,
        .ctx = emu,
    };
    emu->server = emu_server_start(&cfg);
    if (!emu->server) {
        comfy_emulator_stop(emu);
        return NULL;
    }
    snprintf(emu->base_url, sizeof emu->base_url, "%s", emu_server_url(emu->server));
    return emu;
}

void comfy_emulator_stop(comfy_emulator *emu)
{
    if (!emu)
        return;
    comfy_ws_stop(emu);
    emu_server_stop(emu->server);
    comfy_jobs_free(emu);
    for (int i = 0; i < emu->upload_count; i++)
        free(emu->uploads[i].data);
    cJSON_Delete(emu->history);
    cJSON_Delete(emu->events);
    cJSON_Delete(emu->last_graph);
    pthread_mutex_destroy(&emu->lock);
    pthread_cond_destroy(&emu->ws_ended);
    free(emu);
}

const char *comfy_emulator_base_url(const comfy_emulator *emu)
{
    return emu->base_url;
}

emu_server *comfy_emulator_server(comfy_emulator *emu)
{
    return emu->server;
}

#define SETTER(name, field, type, expr)                                        \
    void comfy_emulator_##name(comfy_emulator *emu, type v)                     \
    {                                                                          \
        pthread_mutex_lock(&emu->lock);                                        \
        emu->field = expr;                                                     \
        pthread_mutex_unlock(&emu->lock);                                      \
    }
SETTER(set_steps, steps, int, v < 1 ? 1 : v)
SETTER(set_upscalers, upscalers, bool, v)
SETTER(set_ipadapter, ipadapter, bool, v)
SETTER(fail_next, fail_next, int, v)

void comfy_emulator_queue_foreign(comfy_emulator *emu, int steps)
{
    pthread_mutex_lock(&emu->lock);
    int saved = emu->steps;
    emu->steps = steps < 1 ? 1 : steps;
    comfy_enqueue(emu, NULL, "someone-else", false, NULL, NULL);
    emu->steps = saved;
    pthread_mutex_unlock(&emu->lock);
}

#define COUNTER(name, field)                                                   \
    int comfy_emulator_##name(comfy_emulator *emu)                              \
    {                                                                          \
        pthread_mutex_lock(&emu->lock);                                        \
        int n = emu->field;                                                    \
        pthread_mutex_unlock(&emu->lock);                                      \
        return n;                                                              \
    }
COUNTER(prompts, prompts)
COUNTER(deleted, deleted)
COUNTER(interrupted, interrupted)
COUNTER(uploads, uploads_made)

cJSON *comfy_emulator_last_graph(comfy_emulator *emu)
{
    pthread_mutex_lock(&emu->lock);
    cJSON *g = emu->last_graph ? cJSON_Duplicate(emu->last_graph, true) : NULL;
    pthread_mutex_unlock(&emu->lock);
    return g;
}

cJSON *comfy_emulator_uploaded(comfy_emulator *emu)
{
    pthread_mutex_lock(&emu->lock);
    comfy_installed inst = installed(emu);
    pthread_mutex_unlock(&emu->lock);
    return inst.inputs;
}
