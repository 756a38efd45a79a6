/*
 * sd_comfy_backend.c - one call on ComfyUI: upload the inputs under names
 * unique to the call, queue the graph once (POST /prompt), follow it by
 * polling /history/{prompt_id} and /queue, then stream every output image
 * from /view into the store, with the websocket (when it connects) for the
 * sampler steps between polls. A prompt once queued is never queued again:
 * a failed poll is asked again. On cancel the prompt is deleted from the
 * queue while it waits, or interrupted while it runs.
 */
#include <cjson/cJSON.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "core/json_text.h"
#include "core/result.h"
#include "providers/sd_local/sd_comfy.h"

#define CANCEL_BUDGET_MS 5000.0 /* for telling the server to stop */
#define LOOKUP_MS 1500.0        /* looking for a prompt whose POST /prompt failed */
#define LOOKUP_EVERY_MS 100
#define WS_CONNECT_MS 3000      /* the progress socket is optional: give up soon */

/* One queued prompt. */
typedef struct comfy_job {
    char call_id[40];   /* "ig-<hex>": client_id and file name prefix */
    char prompt_id[80];
    int queue_depth;    /* prompts running or waiting when ours was queued */
    int queue_now;      /* in the queue at the last /queue read */
    comfy_ws *ws;       /* progress frames, or NULL (polling only) */
    comfy_ws_event ev;
} comfy_job;

static uint64_t random_u64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint64_t)ig_backend_now_ms() * 2654435761u; /* never fails on Linux */
    return v;
}

/* obj[key] when it is a string, else NULL. */
static const char *jstr(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static void progress(const ig_backend_ctx *ctx, double fraction, const char *message)
{
    if (ctx->progress)
        ctx->progress(ctx->progress_ctx, fraction, message);
}

/* Uploads each input the graph loads, as <call id>-<role>.<ext>. */
static int upload_inputs(const ig_backend_ctx *ctx, const ig_request *req,
                         const ig_applied *applied, const comfy_server_info *info,
                         const comfy_job *job, double deadline, comfy_inputs *in,
                         ig_error *err)
{
    memset(in, 0, sizeof *in);
    struct {
        ig_image_role role;
        bool wanted;
        char *out;
        size_t cap;
    } uploads[] = {
        {IG_ROLE_IMAGE, req->op != IG_OP_GENERATE, in->image, sizeof in->image},
        {IG_ROLE_MASK, req->op == IG_OP_EDIT && req->mode == IG_EDIT_INPAINT, in->mask,
         sizeof in->mask},
        {IG_ROLE_REFERENCE, req->op == IG_OP_GENERATE && applied->send_reference &&
         info->ip_adapter, in->reference, sizeof in->reference},
    };
    static const char *const roles[] = {"image", "mask", "style", "reference"};
    for (size_t i = 0; i < sizeof uploads / sizeof *uploads; i++) {
        const ig_image *image = &req->images[uploads[i].role];
        if (!uploads[i].wanted || !image->data)
            continue;
        const char *mime = image->info.mime_type, *slash = strchr(mime, '/');
        char name[96];
        snprintf(name, sizeof name, "%s-%s.%s", job->call_id, roles[uploads[i].role],
                 slash ? slash + 1 : "png");
        if (ig_comfy_upload(ctx, image, name, deadline, uploads[i].out, uploads[i].cap,
                            err) != 0)
            return -1;
    }
    return 0;
}

static int recover_prompt(const ig_backend_ctx *ctx, comfy_job *job, ig_error *err);

/* POST /prompt {"prompt": graph, "client_id"}: the prompt id into job. */
static int queue_prompt(const ig_backend_ctx *ctx, cJSON *graph, comfy_job *job,
                        double deadline, cJSON *result, ig_error *err)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(body, "prompt", graph);
    cJSON_AddStringToObject(body, "client_id", job->call_id);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (!text)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    ig_http_response res = {0};
    int rc = ig_sd_local_json(ctx, "POST", "/prompt", text, 1u << 20, deadline, &res, err);
    cJSON_free(text);
    if (rc != 0 && res.request_sent) { /* the server may have queued it all the same */
        rc = recover_prompt(ctx, job, err);
    } else if (rc == 0 && res.status != 200) {
        ig_comfy_http_error("POST /prompt", res.status, res.retry_after_s, res.body, err);
        rc = -1;
    } else if (rc == 0) {
        cJSON *doc = ig_json_parse(res.body, NULL);
        const char *id = jstr(doc, "prompt_id");
        const cJSON *node_errors = cJSON_GetObjectItemCaseSensitive(doc, "node_errors");
        if (!id || !*id || strlen(id) >= sizeof job->prompt_id)
            rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, IG_COMFY ": ComfyUI "
                         "answered POST /prompt without a prompt_id");
        else
            snprintf(job->prompt_id, sizeof job->prompt_id, "%s", id);
        if (rc == 0 && cJSON_GetArraySize(node_errors) > 0) /* nodes it will skip */
            ig_result_warn(result, "prompt", "ComfyUI accepted the workflow but reported "
                           "errors in %d node(s) it will not run",
                           cJSON_GetArraySize(node_errors));
        cJSON_Delete(doc);
    }
    ig_http_response_free(&res);
    return rc;
}

/* Where a prompt stands in GET /queue. */
typedef struct queue_view {
    int running, pending; /* whole queue */
    int ahead;            /* waiting before ours */
    bool ours_running, ours_pending;
} queue_view;

/* The prompt id ([1]) and number ([0]) of a queue entry. */
static bool entry_is(const cJSON *entry, const char *prompt_id)
{
    const char *id = cJSON_GetStringValue(cJSON_GetArrayItem(entry, 1));
    return id && !strcmp(id, prompt_id);
}

static int read_queue(const ig_backend_ctx *ctx, const comfy_job *job, double deadline,
                      queue_view *q, ig_error *err)
{
    memset(q, 0, sizeof *q);
    ig_http_response res = {0};
    int rc = ig_sd_local_json(ctx, "GET", "/queue", NULL, 16u << 20, deadline, &res, err);
    if (rc == 0 && res.status != 200) {
        ig_comfy_http_error("GET /queue", res.status, res.retry_after_s, res.body, err);
        rc = -1;
    } else if (rc == 0) {
        cJSON *doc = ig_json_parse(res.body, NULL);
        const cJSON *running = cJSON_GetObjectItemCaseSensitive(doc, "queue_running");
        const cJSON *pending = cJSON_GetObjectItemCaseSensitive(doc, "queue_pending");
        const cJSON *e;
        double ours = -1;
        cJSON_ArrayForEach(e, running) q->ours_running |= entry_is(e, job->prompt_id);
        cJSON_ArrayForEach(e, pending) if (entry_is(e, job->prompt_id))
        {
            q->ours_pending = true;
            ours = cJSON_GetNumberValue(cJSON_GetArrayItem(e, 0));
        }
        cJSON_ArrayForEach(e, pending) /* the pending list is a heap, not in order */
        {
            double number = cJSON_GetNumberValue(cJSON_GetArrayItem(e, 0));
            q->ahead += q->ours_pending && number < ours;
        }
        q->running = cJSON_GetArraySize(running);
        q->pending = cJSON_GetArraySize(pending);
        if (!cJSON_IsArray(running) || !cJSON_IsArray(pending))
            rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, IG_COMFY ": ComfyUI "
                         "answered GET /queue without queue_running and queue_pending");
        cJSON_Delete(doc);
    }
    ig_http_response_free(&res);
    return rc;
}

/* Whether queue entry e ([number, id, prompt, extra_data, ...]) was queued by
 * this call (extra_data.client_id); its id into job when so. */
static bool entry_of_call(const cJSON *e, comfy_job *job)
{
    const cJSON *extra = cJSON_GetArrayItem(e, 3);
    const char *client = jstr(extra, "client_id");
    const char *id = cJSON_GetStringValue(cJSON_GetArrayItem(e, 1));
    if (!client || strcmp(client, job->call_id) || !id || strlen(id) >= sizeof job->prompt_id)
        return false;
    snprintf(job->prompt_id, sizeof job->prompt_id, "%s", id);
    return true;
}

/* One GET /queue looking for this call's prompt: 1 found (id into job), 0
 * not there, -1 the queue could not be read. */
static int find_call_prompt(const ig_backend_ctx *ctx, comfy_job *job, double deadline)
{
    ig_http_response res = {0};
    ig_error ignored;
    ig_error_clear(&ignored);
    int found = -1;
    if (ig_sd_local_json(ctx, "GET", "/queue", NULL, 16u << 20, deadline, &res,
                         &ignored) == 0 && res.status == 200) {
        cJSON *doc = ig_json_parse(res.body, NULL);
        const cJSON *e;
        found = 0;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "queue_running"))
            found |= entry_of_call(e, job);
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "queue_pending"))
            found |= entry_of_call(e, job);
        cJSON_Delete(doc);
    }
    ig_http_response_free(&res);
    return found;
}

static void cancel_prompt(const ig_backend_ctx *ctx, const comfy_job *job);

/*
 * POST /prompt went out whole but got no answer (timeout, reset, cancel):
 * ComfyUI may have queued it. Looks for it in GET /queue by the call's
 * client_id for a short while (a slow server queues it late): found, it is
 * deleted when the call was cancelled, else followed under its prompt_id.
 * Not found, nobody can tell whether it ran: err->accepted keeps the
 * fallback layer from queueing it a second time. Returns 0 when followed.
 */
static int recover_prompt(const ig_backend_ctx *ctx, comfy_job *job, ig_error *err)
{
    ig_backend_ctx quiet = *ctx;
    quiet.cancel = NULL; /* the lookup must go out even when the call is cancelled */
    double until = ig_backend_now_ms() + LOOKUP_MS;
    int found = 0;
    while ((found = find_call_prompt(&quiet, job, until + CANCEL_BUDGET_MS)) == 0 &&
           ig_backend_now_ms() + LOOKUP_EVERY_MS < until)
        g_usleep(LOOKUP_EVERY_MS * 1000);
    if (found == 1 && err->code == IG_ERR_CANCELED) {
        cancel_prompt(ctx, job);
        return -1;
    }
    if (found == 1) {
        ig_error_clear(err);
        return 0;
    }
    err->accepted = true;
    return -1;
}

/* Tells the server to drop the prompt: deleted while it waits, interrupted
 * while it runs (the prompt_id keeps other users' prompts running). */
static void cancel_prompt(const ig_backend_ctx *ctx, const comfy_job *job)
{
    ig_backend_ctx quiet = *ctx;
    quiet.cancel = NULL; /* the call's own flag is set: these must still go out */
    double deadline = ig_backend_now_ms() + CANCEL_BUDGET_MS;
    queue_view q;
    ig_error ignored;
    bool known = read_queue(&quiet, job, deadline, &q, &ignored) == 0;
    char body[200];
    ig_http_response res = {0};
    if (!known || q.ours_pending) {
        snprintf(body, sizeof body, "{\"delete\":[\"%s\"]}", job->prompt_id);
        ig_sd_local_json(&quiet, "POST", "/queue", body, 1u << 16, deadline, &res, &ignored);
        ig_http_response_free(&res);
    }
    if (!known || q.ours_running) {
        snprintf(body, sizeof body, "{\"prompt_id\":\"%s\"}", job->prompt_id);
        ig_sd_local_json(&quiet, "POST", "/interrupt", body, 1u << 16, deadline, &res,
                         &ignored);
        ig_http_response_free(&res);
    }
}

/* GET /history/{id}: *entry is the prompt's entry once it ended, else NULL
 * (*doc owns it). */
static int read_history(const ig_backend_ctx *ctx, const comfy_job *job, double deadline,
                        cJSON **doc, const cJSON **entry, ig_error *err)
{
    char path[128];
    snprintf(path, sizeof path, "/history/%s", job->prompt_id);
    ig_http_response res = {0};
    *doc = NULL;
    *entry = NULL;
    int rc = ig_sd_local_json(ctx, "GET", path, NULL, 64u << 20, deadline, &res, err);
    if (rc == 0 && res.status != 200) {
        ig_comfy_http_error("GET /history", res.status, res.retry_after_s, res.body, err);
        rc = -1;
    } else if (rc == 0) {
        *doc = ig_json_parse(res.body, NULL);
        if (!cJSON_IsObject(*doc))
            rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, IG_COMFY ": ComfyUI "
                         "answered GET /history with something that is not a JSON object");
        else
            *entry = cJSON_GetObjectItemCaseSensitive(*doc, job->prompt_id);
    }
    ig_http_response_free(&res);
    return rc;
}

/* Reports where the prompt stands; remembers the queue depth first seen. */
static void report_queue(const ig_backend_ctx *ctx, comfy_job *job, const queue_view *q)
{
    char message[160];
    if (!job->queue_depth)
        job->queue_depth = q->running + q->pending;
    job->queue_now = q->running + q->pending;
    if (q->ours_pending)
        snprintf(message, sizeof message, "ComfyUI: queued, %d prompt(s) ahead (queue %d)",
                 q->ahead + q->running, q->running + q->pending);
    else
        snprintf(message, sizeof message, "ComfyUI: running (queue %d)",
                 q->running + q->pending);
    progress(ctx, q->ours_pending ? 0.1 : 0.5, message);
}

/* Waits one poll interval: on the websocket when there is one (reporting
 * sampler steps), else asleep. -1 with IG_ERR_CANCELED when cancelled. */
static int wait_for_news(const ig_backend_ctx *ctx, comfy_job *job, ig_error *err)
{
    if (!job->ws)
        return ig_backend_sleep(ctx, ctx->poll_interval_ms, err);
    double start = ig_backend_now_ms();
    if (ig_comfy_ws_wait(job->ws, ctx, job->prompt_id, ctx->poll_interval_ms, &job->ev) != 0) {
        ig_comfy_ws_close(job->ws); /* polling alone carries on */
        job->ws = NULL;
    }
    if (job->ev.changed && job->ev.max > 0) {
        char message[160];
        snprintf(message, sizeof message, "ComfyUI: step %d of %d (queue %d)", job->ev.value,
                 job->ev.max, job->queue_now);
        progress(ctx, 0.1 + 0.8 * job->ev.value / job->ev.max, message);
    }
    job->ev.changed = false;
    /* The socket returns at once when the prompt ended (or it failed): the
     * rest of the interval is slept, so that a /history read that fails
     * right after the end does not spend every retry within milliseconds. */
    double left = (double)ctx->poll_interval_ms - (ig_backend_now_ms() - start);
    return ig_backend_sleep(ctx, left > 0 ? (long)left : 0, err);
}

/* Polls until the prompt ended; *doc then owns *entry (its history). */
static int await_prompt(const ig_backend_ctx *ctx, comfy_job *job, double deadline,
                        cJSON **doc, const cJSON **entry, ig_error *err)
{
    int failed_polls = 0;
    for (;;) {
        if (read_history(ctx, job, deadline, doc, entry, err) == 0) {
            if (*entry)
                return 0;
            cJSON_Delete(*doc);
            *doc = NULL;
            queue_view q;
            ig_error queue_err; /* the queue only feeds progress: never fatal */
            ig_error_clear(&queue_err);
            if (read_queue(ctx, job, deadline, &q, &queue_err) == 0)
                report_queue(ctx, job, &q);
            else if (queue_err.code == IG_ERR_CANCELED)
                *err = queue_err;
        }
        cJSON_Delete(*doc);
        *doc = NULL;
        if (err->code == IG_ERR_CANCELED)
            return -1;
        if (err->code != IG_OK &&
            (deadline <= ig_backend_now_ms() || !ig_backend_retry_poll(err, &failed_polls)))
            return -1;
        ig_error_clear(err);
        if (deadline <= ig_backend_now_ms()) {
            ig_fail(err, IG_ERR_PROVIDER_TIMEOUT, NULL, IG_COMFY ": ComfyUI prompt %s had "
                    "not finished after %ld s", job->prompt_id, ctx->timeout_ms / 1000);
            ig_error_hint(err, "Raise providers.stable-diffusion-local.timeoutMs, or look "
                               "at ComfyUI's queue.");
            return -1;
        }
        if (wait_for_news(ctx, job, err) != 0)
            return -1;
    }
}

/* Hands a kept error to the caller: -1. */
static int take_error(ig_error *err, const ig_error *kept)
{
    *err = *kept;
    return -1;
}

/* Stores every output image of a finished prompt: all are tried, and one
 * that cannot be fetched only costs a warning when another was stored. */
static int fetch_outputs(const ig_backend_ctx *ctx, const ig_request *req,
                         const ig_applied *applied, const char *model, const comfy_job *job,
                         const cJSON *entry, double deadline, cJSON *result, ig_error *err)
{
    int stored = 0, failed = 0;
    const cJSON *node, *image;
    ig_error first; /* the first failure; every output is still tried */
    ig_error_clear(&first);
    cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(entry, "outputs"))
    {
        cJSON_ArrayForEach(image, cJSON_GetObjectItemCaseSensitive(node, "images"))
        {
            const char *type = jstr(image, "type");
            if (type && strcmp(type, "output"))
                continue; /* previews of other nodes */
            progress(ctx, 0.9, "ComfyUI: fetching images");
            ig_error one;
            ig_error_clear(&one);
            if (ig_comfy_fetch(ctx, req, model, image, deadline, result, &one) == 0) {
                stored++;
                continue;
            }
            if (failed++ == 0)
                first = one;
            if (one.code == IG_ERR_CANCELED)
                return take_error(err, &first);
        }
    }
    if (stored == 0 && failed > 0)
        return take_error(err, &first);
    if (stored == 0)
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, IG_COMFY ": ComfyUI prompt "
                       "%s finished without an output image", job->prompt_id);
    if (failed > 0)
        ig_result_warn(result, "n", "%d of the %d output images of ComfyUI prompt %s could "
                       "not be fetched: %s", failed, stored + failed, job->prompt_id,
                       first.message);
    else if (stored < applied->n)
        ig_result_warn(result, "n", "ComfyUI made %d of the %d images asked for", stored,
                       applied->n);
    return 0;
}

/* Puts what really ran into the result: model, seed, queue depth. */
static void report(cJSON *result, const char *model, const ig_request *req,
                   const comfy_plan *plan, const comfy_job *job)
{
    ig_result_put(result, "model", cJSON_CreateString(model));
    cJSON *applied = ig_result_get(result, "applied");
    if (!cJSON_IsObject(applied))
        return;
    cJSON_ReplaceItemInObjectCaseSensitive(applied, "model", cJSON_CreateString(model));
    if (req->op == IG_OP_GENERATE && !cJSON_HasObjectItem(applied, "size")) {
        char size[32];
        int side = ig_comfy_default_side(model);
        snprintf(size, sizeof size, "%dx%d", side, side);
        cJSON_AddStringToObject(applied, "size", size);
    }
    if (req->op != IG_OP_UPSCALE)
        cJSON_AddNumberToObject(applied, "seed", (double)plan->seed);
    cJSON_AddStringToObject(applied, "promptId", job->prompt_id);
    if (job->queue_depth > 0) /* unknown when it ended before the queue was read */
        cJSON_AddNumberToObject(applied, "queueDepth", job->queue_depth);
}

int ig_sd_comfy_run(const ig_backend_ctx *ctx, const ig_request *req,
                    const ig_applied *applied, double deadline, cJSON *result,
                    ig_error *err)
{
    comfy_server_info info;
    if (ig_comfy_server_info(ctx, req, applied, deadline, &info, err) != 0)
        return -1;
    const char *model = req->op == IG_OP_UPSCALE ? info.upscale_model : info.checkpoint;
    comfy_job job = {0};
    snprintf(job.call_id, sizeof job.call_id, "ig-%016llx",
             (unsigned long long)random_u64());
    comfy_inputs inputs;
    progress(ctx, 0.02, "ComfyUI: uploading inputs");
    if (upload_inputs(ctx, req, applied, &info, &job, deadline, &inputs, err) != 0)
        return -1;
    /* KSampler takes 64-bit seeds, but JSON numbers stay exact to 2^53. */
    comfy_plan plan = {.info = &info, .inputs = &inputs, .prefix = job.call_id,
                       .seed = applied->send_seed && req->has_seed
                                   ? req->seed : random_u64() % (1ull << 48)};
    cJSON *graph = ig_comfy_graph(req, applied, &plan, result, err);
    if (!graph)
        return -1;
    /* Before queueing: ComfyUI sends a prompt's frames to its client's socket. */
    job.ws = ig_comfy_ws_open(ctx, job.call_id, WS_CONNECT_MS);
    int rc = queue_prompt(ctx, graph, &job, deadline, result, err);
    cJSON_Delete(graph);
    if (rc != 0) {
        ig_comfy_ws_close(job.ws);
        return -1;
    }
    cJSON *doc = NULL;
    const cJSON *entry = NULL;
    rc = await_prompt(ctx, &job, deadline, &doc, &entry, err);
    report(result, model, req, &plan, &job);
    if (rc != 0 && err->code == IG_ERR_CANCELED) {
        cancel_prompt(ctx, &job);
    } else if (rc != 0) {
        err->accepted = true; /* its outcome is unknown: never queued again */
        if (err->code == IG_ERR_PROVIDER_TIMEOUT) /* nobody will fetch it: free the GPU */
            cancel_prompt(ctx, &job);
    } else {
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(entry, "status");
        const char *str = jstr(status, "status_str");
        if (str && strcmp(str, "success")) {
            ig_comfy_execution_error(job.prompt_id, status, err);
            err->accepted = true; /* the prompt ran: never queued again */
            rc = -1;
        } else {
            rc = fetch_outputs(ctx, req, applied, model, &job, entry, deadline, result, err);
            if (rc != 0) /* the prompt ran: never queued again */
                err->accepted = err->code != IG_ERR_CANCELED;
        }
    }
    ig_comfy_ws_close(job.ws);
    cJSON_Delete(doc);
    return rc;
}
