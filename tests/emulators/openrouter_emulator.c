/*
 * openrouter_emulator.c - the OpenRouter emulator: routing, auth, the fault
 * hook, the scripted-answer hooks and the per-model image counters.
 * Validation is in openrouter_validate.c and openrouter_inputs.c, answers in
 * openrouter_respond.c, error bodies in openrouter_errors.c and the
 * catalogue in openrouter_models.c.
 */
#include "emulators/emu_tally.h"
#include "emulators/openrouter_emulator.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_images.h"
#include "emulators/openrouter_internal.h"

#define COMPLETIONS_PATH "/api/v1/chat/completions"
#define MODELS_PATH "/api/v1/models"

/* A scripted answer armed for the next `count` completions. */
typedef struct orr_hook {
    int count;
    int code;
    char message[256];
} orr_hook;

struct orr_emulator {
    emu_server *server;
    char base_url[80];
    pthread_mutex_t lock;
    unsigned seed;
    bool no_credits;
    orr_hook fail, in_200, choice_error, text_only;
    emu_tally made; /* images per model */
};

/* What a valid completion gets, decided under the lock. */
typedef enum scripted {
    SCRIPT_NONE,
    SCRIPT_NO_CREDITS,
    SCRIPT_FAIL,
    SCRIPT_IN_200,
    SCRIPT_CHOICE_ERROR,
    SCRIPT_TEXT_ONLY,
} scripted;

/* Takes one use of a hook into *copy; false when it is not armed. */
static bool take(orr_hook *h, orr_hook *copy)
{
    if (h->count <= 0)
        return false;
    h->count--;
    *copy = *h;
    return true;
}

/* Picks the scripted answer (if any) for the next valid completion. */
static scripted take_script(orr_emulator *emu, orr_hook *hook)
{
    pthread_mutex_lock(&emu->lock);
    scripted s = emu->no_credits               ? SCRIPT_NO_CREDITS
                 : take(&emu->fail, hook)        ? SCRIPT_FAIL
                 : take(&emu->in_200, hook)      ? SCRIPT_IN_200
                 : take(&emu->choice_error, hook) ? SCRIPT_CHOICE_ERROR
                 : take(&emu->text_only, hook)   ? SCRIPT_TEXT_ONLY
                                                 : SCRIPT_NONE;
    pthread_mutex_unlock(&emu->lock);
    return s;
}

/* Core hook: OpenRouter's shape for errors the core raises itself. */
static void on_core_error(void *ctx, int status, const char *message, emu_response *out)
{
    (void)ctx;
    orr_error e;
    orr_error_set(&e, status, "%s", message);
    orr_respond_error(out, &e, false);
}

/* Core hook: queued faults in OpenRouter's shapes. There are no result
 * downloads to expire, so "expired" is the documented 408 timeout answer. */
static void on_fault(void *ctx, const emu_request *req, const emu_fault *f, emu_response *out)
{
    (void)ctx;
    char *model, *prompt;
    orr_peek_request(req, &model, &prompt);
    switch (f->kind) {
    case EMU_FAULT_429: /* the core already added Retry-After */
        orr_respond_status(out, 429, model, prompt, 0);
        break;
    case EMU_FAULT_500:
        orr_respond_status(out, 500, model, prompt, 0);
        break;
    case EMU_FAULT_502:
        orr_respond_status(out, 502, model, prompt, 0);
        break;
    case EMU_FAULT_503:
        orr_respond_status(out, 503, model, prompt, f->retry_after);
        break;
    case EMU_FAULT_MODERATION:
        orr_respond_moderation(out, model, prompt);
        break;
    case EMU_FAULT_EXPIRED:
        orr_respond_status(out, 408, model, prompt, 0);
        break;
    case EMU_FAULT_QUOTA:
        orr_respond_status(out, 402, model, prompt, 0);
        break;
    case EMU_FAULT_INVALID:
        orr_respond_status(out, 400, model, prompt, 0);
        break;
    default:
        orr_respond_status(out, 500, model, prompt, 0);
        break;
    }
    free(model);
    free(prompt);
}

/* The 401 answers; the presented key is never echoed. */
static void respond_auth(const emu_request *req, emu_response *out)
{
    orr_error e;
    orr_error_set(&e, 401, "%s", req->auth == EMU_AUTH_ABSENT ? "No auth credentials found"
                                                               : "User not found.");
    orr_respond_error(out, &e, false);
}

/* Respond-context callback: a new seed so every image (and id) differs. */
static unsigned next_seed(void *cls)
{
    orr_emulator *emu = cls;
    pthread_mutex_lock(&emu->lock);
    unsigned s = ++emu->seed;
    pthread_mutex_unlock(&emu->lock);
    return s;
}

/* Respond-context callback: the per-model image counter. */
static void count_images(void *cls, const char *model, int images)
{
    orr_emulator *emu = cls;
    pthread_mutex_lock(&emu->lock);
    emu_tally_add(&emu->made, model, images);
    pthread_mutex_unlock(&emu->lock);
}

/* POST /api/v1/chat/completions after the auth check. */
static void serve_completion(orr_emulator *emu, const emu_request *req, emu_response *out)
{
    orr_params p;
    orr_error e;
    if (orr_validate(req, &p, &e) != 0) {
        orr_respond_error(out, &e, true);
        return;
    }
    orr_hook hook = {0};
    orr_answer answer = {ORR_ANSWER_NORMAL, 0, NULL};
    orr_respond_ctx rctx = {emu, next_seed, count_images};
    switch (take_script(emu, &hook)) {
    case SCRIPT_NO_CREDITS:
        orr_respond_status(out, 402, p.model->id, p.prompt, 0);
        break;
    case SCRIPT_FAIL:
        orr_respond_status(out, hook.code, p.model->id, p.prompt, 1);
        break;
    case SCRIPT_IN_200:
        orr_respond_error_in_200(out, p.model->id, hook.code, hook.message);
        break;
    case SCRIPT_CHOICE_ERROR:
        answer = (orr_answer){ORR_ANSWER_CHOICE_ERROR, hook.code, hook.message};
        orr_respond_completion(&rctx, &p, &answer, out);
        break;
    case SCRIPT_TEXT_ONLY:
        answer.kind = ORR_ANSWER_TEXT_ONLY;
        orr_respond_completion(&rctx, &p, &answer, out);
        break;
    case SCRIPT_NONE:
        orr_respond_completion(&rctx, &p, &answer, out);
        break;
    }
    orr_params_free(&p);
}

/* Core hook: routes a request. The model list is public (no key needed). */
static void on_request(void *ctx, const emu_request *req, emu_response *out)
{
    orr_emulator *emu = ctx;
    bool get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
    if (get && !strcmp(req->path, MODELS_PATH)) {
        orr_respond_models(req, out);
        return;
    }
    if (!post || strcmp(req->path, COMPLETIONS_PATH)) {
        orr_error e;
        orr_error_set(&e, 404, "Not Found: %s %.200s", req->method, req->path);
        orr_respond_error(out, &e, false);
        return;
    }
    if (req->auth != EMU_AUTH_MATCHED) {
        respond_auth(req, out);
        return;
    }
    serve_completion(emu, req, out);
}

orr_emulator *orr_emulator_start(int port, const char *api_key)
{
    if (emu_vips_init() != 0)
        return NULL;
    orr_emulator *emu = calloc(1, sizeof *emu);
    if (!emu)
        return NULL;
    pthread_mutex_init(&emu->lock, NULL);
    char auth[512];
    snprintf(auth, sizeof auth, "Bearer %s", api_key ? api_key : "sk-or-emulator");
    /* Input images arrive as base64 data URLs inside the JSON body. */
    emu_config cfg = {
        .port = port, .auth_header = "Authorization", .auth_value = auth,
        .max_json_body = 64u << 20, .max_multipart_body = 1u << 20,
        .handler = on_request, .fault_response = on_fault, .error_response = on_core_error,
        .ctx = emu};
    emu->server = emu_server_start(&cfg);
    if (!emu->server) {
        pthread_mutex_destroy(&emu->lock);
        free(emu);
        return NULL;
    }
    snprintf(emu->base_url, sizeof emu->base_url, "%s/api/v1", emu_server_url(emu->server));
    return emu;
}

void orr_emulator_stop(orr_emulator *emu)
{
    if (!emu)
        return;
    emu_server_stop(emu->server);
    pthread_mutex_destroy(&emu->lock);
    free(emu);
}

const char *orr_emulator_base_url(const orr_emulator *emu)
{
    return emu->base_url;
}

emu_server *orr_emulator_server(orr_emulator *emu)
{
    return emu->server;
}

/* Arms (or disarms) one hook under the lock. */
static void arm(orr_emulator *emu, orr_hook *h, int count, int code, const char *message)
{
    pthread_mutex_lock(&emu->lock);
    h->count = count > 0 ? count : 0;
    h->code = code;
    snprintf(h->message, sizeof h->message, "%s", message ? message : "");
    pthread_mutex_unlock(&emu->lock);
}

void orr_emulator_error_in_200(orr_emulator *emu, int count, int code, const char *message)
{
    arm(emu, &emu->in_200, count, code, message);
}

void orr_emulator_text_only_next(orr_emulator *emu, int count)
{
    arm(emu, &emu->text_only, count, 0, NULL);
}

void orr_emulator_choice_error_next(orr_emulator *emu, int count, int code,
                                    const char *message)
{
    arm(emu, &emu->choice_error, count, code, message);
}

void orr_emulator_fail_next(orr_emulator *emu, int count, int status)
{
    arm(emu, &emu->fail, count, status, NULL);
}

void orr_emulator_no_credits(orr_emulator *emu, bool no_credits)
{
    pthread_mutex_lock(&emu->lock);
    emu->no_credits = no_credits;
    pthread_mutex_unlock(&emu->lock);
}

int orr_emulator_images_made(orr_emulator *emu, const char *model)
{
    pthread_mutex_lock(&emu->lock);
    int n = emu_tally_sum(&emu->made, model);
    pthread_mutex_unlock(&emu->lock);
    return n;
}
