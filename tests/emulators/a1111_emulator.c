/*
 * a1111_emulator.c - the A1111 emulator: routing, Basic auth, the lists
 * (checkpoints, upscalers, samplers, ControlNet models), error and fault
 * shapes, and the public hooks. Validation is in a1111_validate.c, jobs in
 * a1111_generate.c, the one-job state in a1111_jobs.c.
 */
#include "emulators/a1111_emulator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulators/a1111_internal.h"
#include "emulators/emu_images.h"

#define MAX_BODY (64u << 20) /* base64 images make large JSON bodies */

static const char *const upscalers[] = {"None", "Lanczos", "Nearest", "ESRGAN_4x", "LDSR",
                                        "R-ESRGAN 4x+", "R-ESRGAN 4x+ Anime6B", "ScuNET",
                                        "SwinIR 4x", NULL};
static const char *const samplers[] = {"DPM++ 2M", "DPM++ SDE", "DPM++ 2M SDE", "Euler a",
                                       "Euler", "LMS", "Heun", "DPM2", "DPM2 a", "DDIM",
                                       "PLMS", "UniPC", "LCM", NULL};
static const char *const cn_models[] = {"control_v11p_sd15_canny [d14c016b]",
                                        "ip-adapter-faceid-plus_sd15 [d86a490f]",
                                        "ip-adapter_sd15 [6a3f6166]",
                                        "ip-adapter_xl [4209e9f7]", NULL};
static const char *const cn_modules[] = {"none", "canny", "ip-adapter_clip_sd15",
                                         "ip-adapter_clip_sdxl",
                                         "ip-adapter_clip_sdxl_plus_vith",
                                         "ip-adapter_face_id", "ip-adapter_face_id_plus",
                                         NULL};

/* {"title","model_name","hash","sha256","filename","config"} rows. */
static const char *const checkpoint_json =
    "[{\"title\":\"v1-5-pruned-emaonly.safetensors [6ce0161689]\",\"model_name\":"
    "\"v1-5-pruned-emaonly\",\"hash\":\"6ce0161689\",\"sha256\":\"6ce0161689b3853acaa03779ec"
    "93eafe75a02f4ced659bee03f50797806fa2fa\",\"filename\":\"/webui/models/Stable-diffusion/"
    "v1-5-pruned-emaonly.safetensors\",\"config\":null},"
    "{\"title\":\"sd_xl_base_1.0.safetensors [31e35c80fc]\",\"model_name\":\"sd_xl_base_1.0\","
    "\"hash\":\"31e35c80fc\",\"sha256\":\"31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6"
    "120b893f7e5b\",\"filename\":\"/webui/models/Stable-diffusion/sd_xl_base_1.0.safetensors"
    "\",\"config\":null}]";

static pthread_once_t lists_once = PTHREAD_ONCE_INIT;
static cJSON *checkpoints;

/* pthread_once body: parses the checkpoint table. */
static void lists_init(void)
{
    checkpoints = cJSON_Parse(checkpoint_json);
}

const cJSON *a1111_checkpoints(void)
{
    pthread_once(&lists_once, lists_init);
    return checkpoints;
}

const cJSON *a1111_find_checkpoint(const char *name)
{
    const cJSON *row;
    if (!name)
        return NULL;
    cJSON_ArrayForEach(row, a1111_checkpoints())
    {
        const char *title = a1111_string(row, "title"), *model = a1111_string(row, "model_name");
        size_t n = strlen(model);
        /* checkpoint_aliases: title, name with and without the extension */
        if (!strcmp(name, title) || !strcmp(name, model) ||
            (!strncmp(name, model, n) && !strcmp(name + n, ".safetensors")))
            return row;
    }
    return NULL;
}

/* Whether name is in a NULL-terminated list. */
static bool listed(const char *const *list, const char *name)
{
    for (int i = 0; name && list[i]; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

bool a1111_has_upscaler(const char *name)
{
    return listed(upscalers, name);
}

bool a1111_has_sampler(const char *name)
{
    return listed(samplers, name);
}

bool a1111_has_cn_model(const char *name)
{
    return listed(cn_models, name);
}

bool a1111_has_cn_module(const char *name)
{
    return listed(cn_modules, name);
}

void a1111_respond_error(emu_response *out, int status, const char *type, const char *detail,
                         const char *errors)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "error", type);
    cJSON_AddStringToObject(root, "detail", detail);
    cJSON_AddStringToObject(root, "body", "");
    cJSON_AddStringToObject(root, "errors", errors);
    emu_respond_json(out, status, root);
}

void a1111_respond_http(emu_response *out, int status, const char *detail)
{
    char errors[300];
    snprintf(errors, sizeof errors, "%d: %s", status, detail);
    a1111_respond_error(out, status, "HTTPException", detail, errors);
}

/* FastAPI's own answers for routing ({"detail": text}). */
static void respond_detail(emu_response *out, int status, const char *text)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "detail", text);
    emu_respond_json(out, status, root);
}

/* 422 {"detail": errs}. */
static void respond_422(emu_response *out, cJSON *errs)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "detail", errs);
    emu_respond_json(out, 422, root);
}

/* Core hook: errors the core raises itself (413, broken forms). */
static void on_core_error(void *ctx, int status, const char *message, emu_response *out)
{
    (void)ctx;
    respond_detail(out, status, message);
}

/* GET /sdapi/v1/upscalers. */
static cJSON *upscaler_list(void)
{
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; upscalers[i]; i++) {
        cJSON *u = cJSON_CreateObject();
        cJSON_AddStringToObject(u, "name", upscalers[i]);
        bool model = i >= 3;
        cJSON_AddItemToObject(u, "model_name",
                              model ? cJSON_CreateString(upscalers[i]) : cJSON_CreateNull());
        cJSON_AddItemToObject(u, "model_path", model ? cJSON_CreateString("/webui/models")
                                                     : cJSON_CreateNull());
        cJSON_AddNullToObject(u, "model_url");
        cJSON_AddNumberToObject(u, "scale", 4);
        cJSON_AddItemToArray(list, u);
    }
    return list;
}

/* GET /sdapi/v1/samplers. */
static cJSON *sampler_list(void)
{
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; samplers[i]; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "name", samplers[i]);
        cJSON_AddArrayToObject(s, "aliases");
        cJSON_AddObjectToObject(s, "options");
        cJSON_AddItemToArray(list, s);
    }
    return list;
}

/* A NULL-terminated list as {"<key>": [...]}. */
static cJSON *named_list(const char *key, const char *const *names)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, key);
    for (int i = 0; names[i]; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(names[i]));
    return root;
}

/* GET and POST /sdapi/v1/options (only what clients read or set). */
static void options(a1111_emulator *emu, const emu_request *req, emu_response *out)
{
    if (!strcmp(req->method, "GET")) {
        cJSON *root = cJSON_CreateObject();
        pthread_mutex_lock(&emu->st.lock);
        cJSON_AddStringToObject(root, "sd_model_checkpoint", emu->st.checkpoint);
        pthread_mutex_unlock(&emu->st.lock);
        cJSON_AddStringToObject(root, "samples_format", "png");
        cJSON_AddBoolToObject(root, "return_grid", true);
        cJSON_AddBoolToObject(root, "enable_pnginfo", true);
        emu_respond_json(out, 200, root);
        return;
    }
    cJSON *errs = NULL;
    cJSON *body = a1111_parse_body(req, &errs);
    if (!body) {
        respond_422(out, errs);
        return;
    }
    const char *name = a1111_string(body, "sd_model_checkpoint");
    const cJSON *found = a1111_find_checkpoint(name);
    if (name && !found) {
        char errors[300];
        snprintf(errors, sizeof errors, "model '%s' not found", name);
        a1111_respond_error(out, 500, "RuntimeError", "", errors);
    } else {
        if (found) {
            pthread_mutex_lock(&emu->st.lock);
            snprintf(emu->st.checkpoint, sizeof emu->st.checkpoint, "%s",
                     a1111_string(found, "title"));
            pthread_mutex_unlock(&emu->st.lock);
        }
        emu_respond_json(out, 200, cJSON_CreateNull());
    }
    cJSON_Delete(body);
}

/* A job path's body: parsed, authorised, validated; then the job. */
static void job(a1111_emulator *emu, const emu_request *req, a1111_kind kind,
                emu_response *out)
{
    cJSON *errs = NULL;
    cJSON *body = a1111_parse_body(req, &errs);
    if (body)
        errs = kind == A1111_EXTRAS ? a1111_validate_extras(body)
                                    : a1111_validate_generate(body, kind == A1111_IMG2IMG);
    if (errs)
        respond_422(out, errs);
    else if (kind == A1111_EXTRAS)
        a1111_extras(emu, body, out);
    else
        a1111_generate(emu, body, kind == A1111_IMG2IMG, out);
    cJSON_Delete(body);
}

/* One API route: path, method, and whether it is ControlNet's (no auth). */
typedef enum route_id {
    R_NONE, R_TXT2IMG, R_IMG2IMG, R_EXTRAS, R_PROGRESS, R_INTERRUPT, R_SKIP, R_UPSCALERS,
    R_MODELS, R_SAMPLERS, R_OPTIONS, R_CN_MODELS, R_CN_MODULES
} route_id;

typedef struct route {
    const char *path;
    const char *methods; /* "GET", "POST" or "GET,POST" */
    route_id id;
} route;

static const route routes[] = {
    {"/sdapi/v1/txt2img", "POST", R_TXT2IMG},
    {"/sdapi/v1/img2img", "POST", R_IMG2IMG},
    {"/sdapi/v1/extra-single-image", "POST", R_EXTRAS},
    {"/sdapi/v1/progress", "GET", R_PROGRESS},
    {"/sdapi/v1/interrupt", "POST", R_INTERRUPT},
    {"/sdapi/v1/skip", "POST", R_SKIP},
    {"/sdapi/v1/upscalers", "GET", R_UPSCALERS},
    {"/sdapi/v1/sd-models", "GET", R_MODELS},
    {"/sdapi/v1/samplers", "GET", R_SAMPLERS},
    {"/sdapi/v1/options", "GET,POST", R_OPTIONS},
    {"/controlnet/model_list", "GET", R_CN_MODELS},
    {"/controlnet/module_list", "GET", R_CN_MODULES},
    {NULL, NULL, R_NONE},
};

/* The 401 of HTTPBasic / Api.auth, through A1111's exception handler. */
static void respond_auth(const emu_request *req, emu_response *out)
{
    bool absent = req->auth == EMU_AUTH_ABSENT;
    a1111_respond_http(out, 401, absent ? "Not authenticated" : "Incorrect username or password");
    emu_response_header(out, "WWW-Authenticate", "Basic");
}

/* Answers one routed request. */
static void answer(a1111_emulator *emu, const emu_request *req, route_id id, emu_response *out)
{
    switch (id) {
    case R_TXT2IMG:
        job(emu, req, A1111_TXT2IMG, out);
        break;
    case R_IMG2IMG:
        job(emu, req, A1111_IMG2IMG, out);
        break;
    case R_EXTRAS:
        job(emu, req, A1111_EXTRAS, out);
        break;
    case R_PROGRESS:
        emu_respond_json(out, 200, a1111_progress(&emu->st));
        break;
    case R_INTERRUPT:
        a1111_interrupt(&emu->st);
        emu_respond_json(out, 200, cJSON_CreateObject());
        break;
    case R_SKIP:
        emu_respond_json(out, 200, cJSON_CreateNull());
        break;
    case R_UPSCALERS:
        emu_respond_json(out, 200, upscaler_list());
        break;
    case R_MODELS:
        emu_respond_json(out, 200, cJSON_Duplicate(a1111_checkpoints(), true));
        break;
    case R_SAMPLERS:
        emu_respond_json(out, 200, sampler_list());
        break;
    case R_OPTIONS:
        options(emu, req, out);
        break;
    case R_CN_MODELS:
        emu_respond_json(out, 200, named_list("model_list", cn_models));
        break;
    case R_CN_MODULES:
    default:
        emu_respond_json(out, 200, named_list("module_list", cn_modules));
        break;
    }
}

/* Core hook: routes a request no fault touched. */
static void on_request(void *ctx, const emu_request *req, emu_response *out)
{
    a1111_emulator *emu = ctx;
    const route *r = routes;
    while (r->path && strcmp(r->path, req->path))
        r++;
    pthread_mutex_lock(&emu->st.lock);
    bool controlnet = emu->st.controlnet;
    pthread_mutex_unlock(&emu->st.lock);
    bool cn = r->path && !strncmp(r->path, "/controlnet/", 12);
    if (!r->path || (cn && !controlnet)) {
        respond_detail(out, 404, "Not Found");
        return;
    }
    if (!strstr(r->methods, req->method)) {
        respond_detail(out, 405, "Method Not Allowed");
        emu_response_header(out, "Allow", r->methods);
        return;
    }
    /* FastAPI reads a JSON body before the auth dependency runs. */
    if (!strcmp(req->method, "POST") && req->body_size) {
        cJSON *errs = NULL;
        cJSON *body = a1111_parse_body(req, &errs);
        cJSON_Delete(body);
        if (errs && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(
                               cJSON_GetArrayItem(errs, 0), "type")), "type_error.dict")) {
            respond_422(out, errs);
            return;
        }
        cJSON_Delete(errs);
    }
    /* --api-auth guards the /sdapi routes; extensions add their own. */
    if (!cn && req->auth != EMU_AUTH_NOT_CHECKED && req->auth != EMU_AUTH_MATCHED) {
        respond_auth(req, out);
        return;
    }
    answer(emu, req, r->id, out);
}

/* Core hook: "500" is the GPU running out of memory; the others are what a
 * proxy in front of A1111 says. */
static void on_fault(void *ctx, const emu_request *req, const emu_fault *f, emu_response *out)
{
    (void)ctx, (void)req;
    switch (f->kind) {
    case EMU_FAULT_500:
        a1111_respond_oom(out);
        break;
    case EMU_FAULT_429:
        respond_detail(out, 429, "Too Many Requests");
        break;
    case EMU_FAULT_502:
        respond_detail(out, 502, "Bad Gateway");
        break;
    case EMU_FAULT_503:
        respond_detail(out, 503, "Service Unavailable");
        break;
    case EMU_FAULT_INVALID: {
        cJSON *errs = cJSON_Parse("[{\"loc\":[\"body\",\"steps\"],\"msg\":\"value is not a "
                                  "valid integer\",\"type\":\"type_error.integer\"}]");
        respond_422(out, errs);
        break;
    }
    default:
        a1111_respond_error(out, 500, "RuntimeError", "", "Internal Server Error");
        break;
    }
}

a1111_emulator *a1111_emulator_start(int port, const char *auth)
{
    if (emu_vips_init() != 0)
        return NULL;
    a1111_emulator *emu = calloc(1, sizeof *emu);
    if (!emu)
        return NULL;
    a1111_state_init(&emu->st);
    char *expected = NULL;
    if (auth && *auth) {
        char *b64 = emu_base64((const unsigned char *)auth, strlen(auth));
        expected = malloc(strlen(b64) + 8);
        if (!expected)
            abort();
        sprintf(expected, "Basic %s", b64);
        free(b64);
    }
    emu_config cfg = {
        .port = port, .auth_header = expected ? "Authorization" : NULL,
        .auth_value = expected, .max_json_body = MAX_BODY, .max_multipart_body = MAX_BODY,
        .handler = on_request, .fault_response = on_fault, .error_response = on_core_error,
        .ctx = emu};
    emu->server = emu_server_start(&cfg);
    free(expected);
    if (!emu->server) {
        a1111_state_free(&emu->st);
        free(emu);
        return NULL;
    }
    snprintf(emu->base_url, sizeof emu->base_url, "%s", emu_server_url(emu->server));
    return emu;
}

void a1111_emulator_stop(a1111_emulator *emu)
{
    if (!emu)
        return;
    pthread_mutex_lock(&emu->st.lock); /* release held jobs before joining */
    emu->st.stopping = true;
    pthread_cond_broadcast(&emu->st.cond);
    pthread_mutex_unlock(&emu->st.lock);
    emu_server_stop(emu->server);
    a1111_state_free(&emu->st);
    free(emu);
}

const char *a1111_emulator_base_url(const a1111_emulator *emu)
{
    return emu->base_url;
}

emu_server *a1111_emulator_server(a1111_emulator *emu)
{
    return emu->server;
}

void a1111_emulator_set_progress_reads(a1111_emulator *emu, int reads)
{
    pthread_mutex_lock(&emu->st.lock);
    emu->st.hold_reads = reads > 0 ? reads : 0;
    pthread_mutex_unlock(&emu->st.lock);
}

void a1111_emulator_set_controlnet(a1111_emulator *emu, bool on)
{
    pthread_mutex_lock(&emu->st.lock);
    emu->st.controlnet = on;
    pthread_mutex_unlock(&emu->st.lock);
}

/* The kind named "txt2img", "img2img" or "extras", or -1. */
static int kind_of(const char *name)
{
    return !name ? -1 : !strcmp(name, "txt2img") ? A1111_TXT2IMG
                      : !strcmp(name, "img2img") ? A1111_IMG2IMG
                      : !strcmp(name, "extras")  ? A1111_EXTRAS
                                                 : -2;
}

int a1111_emulator_jobs(a1111_emulator *emu, const char *kind)
{
    int k = kind_of(kind), n = 0;
    pthread_mutex_lock(&emu->st.lock);
    for (int i = 0; i < A1111_KINDS; i++)
        if (k == -1 || k == i)
            n += emu->st.jobs[i];
    pthread_mutex_unlock(&emu->st.lock);
    return n;
}

int a1111_emulator_interrupts(a1111_emulator *emu)
{
    pthread_mutex_lock(&emu->st.lock);
    int n = emu->st.interrupts;
    pthread_mutex_unlock(&emu->st.lock);
    return n;
}

int a1111_emulator_wait_running(a1111_emulator *emu, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    pthread_mutex_lock(&emu->st.lock);
    while (!emu->st.busy && rc == 0)
        rc = pthread_cond_timedwait(&emu->st.cond, &emu->st.lock, &until);
    bool busy = emu->st.busy;
    pthread_mutex_unlock(&emu->st.lock);
    return busy ? 0 : -1;
}

cJSON *a1111_emulator_last_body(a1111_emulator *emu, const char *kind)
{
    int k = kind_of(kind);
    if (k < 0)
        return NULL;
    pthread_mutex_lock(&emu->st.lock);
    cJSON *copy = cJSON_Duplicate(emu->st.last_body[k], true);
    pthread_mutex_unlock(&emu->st.lock);
    return copy;
}
