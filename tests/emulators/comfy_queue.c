/* comfy_queue.c - the ComfyUI emulator's prompt queue: one prompt runs at
 * a time and moves one sampler step per tick; an ended prompt's outputs
 * are computed from its graph and kept for /view, its entry for /history,
 * and every change becomes a websocket frame (see comfy_internal.h). All
 * functions run under the emulator's lock. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulators/comfy_internal.h"

#define MAX_EVENTS 2000 /* frames kept for websockets */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000);
}

/* {prompt_id, timestamp}. */
static cJSON *stamp(const comfy_job *job)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "prompt_id", job->id);
    cJSON_AddNumberToObject(d, "timestamp", now_ms());
    return d;
}

void comfy_event(comfy_emulator *emu, const char *client_id, const char *type, cJSON *data)
{
    cJSON *frame = cJSON_CreateObject();
    cJSON_AddStringToObject(frame, "type", type);
    cJSON_AddItemToObject(frame, "data", data);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "seq", (double)++emu->event_seq);
    if (client_id)
        cJSON_AddStringToObject(e, "client", client_id);
    cJSON_AddItemToObject(e, "frame", frame);
    cJSON_AddItemToArray(emu->events, e);
    if (cJSON_GetArraySize(emu->events) > MAX_EVENTS)
        cJSON_DeleteItemFromArray(emu->events, 0);
}

cJSON *comfy_status_data(comfy_emulator *emu)
{
    cJSON *d = cJSON_CreateObject();
    cJSON *exec = cJSON_AddObjectToObject(cJSON_AddObjectToObject(d, "status"), "exec_info");
    cJSON_AddNumberToObject(exec, "queue_remaining", emu->job_count);
    return d;
}

/* One queue entry: [number, prompt_id, prompt, extra_data, outputs]. */
static cJSON *entry_json(const comfy_job *job)
{
    cJSON *e = cJSON_CreateArray();
    cJSON_AddItemToArray(e, cJSON_CreateNumber(job->number));
    cJSON_AddItemToArray(e, cJSON_CreateString(job->id));
    cJSON_AddItemToArray(e, job->graph ? cJSON_Duplicate(job->graph, true)
                                       : cJSON_CreateObject());
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "client_id", job->client_id);
    cJSON_AddItemToArray(e, extra);
    cJSON *outs = cJSON_CreateArray();
    const cJSON *n;
    cJSON_ArrayForEach(n, job->graph)
    {
        const char *ct = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(n, "class_type"));
        if (ct && !strcmp(ct, "SaveImage"))
            cJSON_AddItemToArray(outs, cJSON_CreateString(n->string));
    }
    cJSON_AddItemToArray(e, outs);
    return e;
}

cJSON *comfy_queue_json(comfy_emulator *emu)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *running = cJSON_AddArrayToObject(root, "queue_running");
    cJSON *pending = cJSON_AddArrayToObject(root, "queue_pending");
    for (int i = 0; i < emu->job_count; i++)
        cJSON_AddItemToArray(emu->jobs[i].running ? running : pending,
                             entry_json(&emu->jobs[i]));
    return root;
}

void comfy_enqueue(comfy_emulator *emu, const cJSON *graph, const char *client_id,
                   bool fail, char *id, int *number)
{
    comfy_job *job = &emu->jobs[emu->job_count++];
    memset(job, 0, sizeof *job);
    job->number = emu->next_number++;
    /* A uuid4-shaped id, varied per emulator and prompt. */
    unsigned r = ((unsigned)job->number + 1) * 2654435761u ^ (unsigned)(uintptr_t)emu;
    unsigned q = r * 2246822519u + 374761393u;
    snprintf(job->id, sizeof job->id, "%08x-%04x-4%03x-8%03x-%08x%04x", r, q & 0xffff,
             (q >> 16) & 0xfff, (r >> 12) & 0xfff, q ^ 0x5bd1e995u, (unsigned)job->number & 0xffff);
    snprintf(job->client_id, sizeof job->client_id, "%s", client_id ? client_id : "");
    job->graph = graph ? cJSON_Duplicate(graph, true) : NULL;
    job->steps = emu->steps;
    job->fail = fail;
    if (id)
        snprintf(id, 40, "%s", job->id);
    if (number)
        *number = job->number;
    comfy_event(emu, NULL, "status", comfy_status_data(emu));
}

/* Removes job i from the queue. */
static void drop(comfy_emulator *emu, int i)
{
    cJSON_Delete(emu->jobs[i].graph);
    memmove(&emu->jobs[i], &emu->jobs[i + 1], (size_t)(emu->job_count - i - 1) * sizeof *emu->jobs);
    emu->job_count--;
}

int comfy_delete(comfy_emulator *emu, const cJSON *ids)
{
    int n = 0;
    for (int i = emu->job_count - 1; i >= 0; i--) {
        if (emu->jobs[i].running)
            continue;
        bool hit = !ids;
        const cJSON *id;
        cJSON_ArrayForEach(id, ids) hit |= cJSON_IsString(id) && !strcmp(id->valuestring,
                                                                       emu->jobs[i].id);
        if (hit) {
            drop(emu, i);
            n++;
        }
    }
    if (n)
        comfy_event(emu, NULL, "status", comfy_status_data(emu));
    return n;
}

/* --- what a graph makes --- */

typedef struct dims {
    int w, h, batch;
} dims;

static double num(const cJSON *inputs, const char *name)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(inputs, name));
}

static const char *text(const cJSON *inputs, const char *name)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(inputs, name));
    return s ? s : "";
}

static const comfy_upload *upload_named(comfy_emulator *emu, const char *name)
{
    for (int i = 0; i < emu->upload_count; i++)
        if (!strcmp(emu->uploads[i].name, name))
            return &emu->uploads[i];
    return NULL;
}

/* The picture (or latent, in pixels) an input link carries. */
static bool eval(comfy_emulator *emu, const cJSON *graph, const cJSON *link, dims *d, int depth)
{
    const cJSON *from = cJSON_GetArrayItem(link, 0);
    const cJSON *node = cJSON_IsString(from)
                            ? cJSON_GetObjectItemCaseSensitive(graph, from->valuestring) : NULL;
    if (!node || depth > 32)
        return false;
    const char *ct = text(node, "class_type");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(node, "inputs");
#define UP(name) eval(emu, graph, cJSON_GetObjectItemCaseSensitive(in, name), d, depth + 1)
    if (!strcmp(ct, "EmptyLatentImage")) {
        *d = (dims){(int)num(in, "width"), (int)num(in, "height"), (int)num(in, "batch_size")};
        return true;
    }
    if (!strcmp(ct, "LoadImage") || !strcmp(ct, "LoadImageMask")) {
        const comfy_upload *u = upload_named(emu, text(in, "image"));
        if (!u || !u->width)
            return false;
        *d = (dims){u->width, u->height, 1};
        return true;
    }
    if (!strcmp(ct, "ImagePadForOutpaint")) {
        if (!UP("image"))
            return false;
        d->w += (int)(num(in, "left") + num(in, "right"));
        d->h += (int)(num(in, "top") + num(in, "bottom"));
        return true;
    }
    if (!strcmp(ct, "VAEEncode") || !strcmp(ct, "VAEEncodeForInpaint")) {
        if (!UP("pixels"))
            return false;
        d->w = d->w / 8 * 8; /* the VAE crops to the latent grid */
        d->h = d->h / 8 * 8;
        return true;
    }
    if (!strcmp(ct, "RepeatLatentBatch")) {
        if (!UP("samples"))
            return false;
        d->batch *= (int)num(in, "amount");
        return true;
    }
    if (!strcmp(ct, "KSampler"))
        return UP("latent_image");
    if (!strcmp(ct, "VAEDecode"))
        return UP("samples");
    if (!strcmp(ct, "ImageUpscaleWithModel")) {
        const cJSON *loader_link = cJSON_GetObjectItemCaseSensitive(in, "upscale_model");
        const cJSON *loader = cJSON_GetObjectItemCaseSensitive(
            graph, cJSON_GetStringValue(cJSON_GetArrayItem(loader_link, 0)));
        int f = comfy_upscale_factor(
            text(cJSON_GetObjectItemCaseSensitive(loader, "inputs"), "model_name"));
        if (!UP("image"))
            return false;
        d->w *= f;
        d->h *= f;
        return true;
    }
    if (!strcmp(ct, "ImageScale")) {
        if (!UP("image"))
            return false;
        int w = (int)num(in, "width"), h = (int)num(in, "height");
        if (w == 0 && h == 0)
            return true;
        d->w = w ? w : (int)lround((double)d->w * h / d->h);
        d->h = h ? h : (int)lround((double)d->h * w / d->w);
        return true;
    }
    if (!strcmp(ct, "ImageScaleBy")) {
        if (!UP("image"))
            return false;
        d->w = (int)lround(d->w * num(in, "scale_by"));
        d->h = (int)lround(d->h * num(in, "scale_by"));
        return true;
    }
#undef UP
    return false;
}

/* The KSampler seed of a graph (0 when none), for varied pictures. */
static unsigned graph_seed(const cJSON *graph)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, graph) if (!strcmp(text(n, "class_type"), "KSampler"))
        return (unsigned)fmod(num(cJSON_GetObjectItemCaseSensitive(n, "inputs"), "seed"),
                              4294967296.0);
    return 0;
}

/* Records the images of each SaveImage node; their history "outputs". */
static cJSON *make_outputs(comfy_emulator *emu, const comfy_job *job)
{
    cJSON *outputs = cJSON_CreateObject();
    const cJSON *n;
    unsigned seed = graph_seed(job->graph);
    cJSON_ArrayForEach(n, job->graph)
    {
        if (strcmp(text(n, "class_type"), "SaveImage"))
            continue;
        const cJSON *in = cJSON_GetObjectItemCaseSensitive(n, "inputs");
        dims d;
        if (!eval(emu, job->graph, cJSON_GetObjectItemCaseSensitive(in, "images"), &d, 0) ||
            d.w <= 0 || d.h <= 0)
            continue;
        cJSON *images = cJSON_AddArrayToObject(cJSON_AddObjectToObject(outputs, n->string),
                                               "images");
        for (int b = 0; b < d.batch; b++) {
            comfy_output *o = &emu->outputs[emu->output_count++ % COMFY_MAX_OUTPUTS];
            snprintf(o->filename, sizeof o->filename, "%s_%05d_.png",
                     text(in, "filename_prefix"), emu->output_count);
            o->width = d.w, o->height = d.h, o->seed = seed + (unsigned)b;
            cJSON *img = cJSON_CreateObject();
            cJSON_AddStringToObject(img, "filename", o->filename);
            cJSON_AddStringToObject(img, "subfolder", "");
            cJSON_AddStringToObject(img, "type", "output");
            cJSON_AddItemToArray(images, img);
        }
        cJSON *data = cJSON_CreateObject();
        cJSON_AddStringToObject(data, "node", n->string);
        cJSON_AddStringToObject(data, "display_node", n->string);
        cJSON_AddItemToObject(data, "output",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(outputs, n->string), true));
        cJSON_AddStringToObject(data, "prompt_id", job->id);
        comfy_event(emu, job->client_id, "executed", data);
    }
    return outputs;
}

/* The node a failure or interruption is blamed on: the sampler, else the
 * last node. */
static const cJSON *busy_node(const comfy_job *job)
{
    const cJSON *n, *last = NULL;
    cJSON_ArrayForEach(n, job->graph)
    {
        if (!strcmp(text(n, "class_type"), "KSampler") ||
            !strcmp(text(n, "class_type"), "ImageUpscaleWithModel"))
            return n;
        last = n;
    }
    return last;
}

/* {node_id, node_type, executed} of a failure message. */
static cJSON *failure_data(const comfy_job *job)
{
    cJSON *d = stamp(job);
    const cJSON *n = busy_node(job);
    cJSON_AddStringToObject(d, "node_id", n ? n->string : "");
    cJSON_AddStringToObject(d, "node_type", n ? text(n, "class_type") : "");
    cJSON_AddArrayToObject(d, "executed");
    return d;
}

/* Moves the running job (index 0) into the history with its outcome:
 * "success", "error" (execution_error) or "interrupted". */
static void finish(comfy_emulator *emu, const char *outcome)
{
    comfy_job *job = &emu->jobs[0];
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddItemToObject(entry, "prompt", entry_json(job));
    cJSON *status = cJSON_CreateObject();
    cJSON *messages = cJSON_CreateArray();
    cJSON *m = cJSON_CreateArray();
    cJSON_AddItemToArray(m, cJSON_CreateString("execution_start"));
    cJSON_AddItemToArray(m, stamp(job));
    cJSON_AddItemToArray(messages, m);
    cJSON *outputs;
    const char *last_type;
    cJSON *last;
    if (!strcmp(outcome, "success")) {
        outputs = job->graph ? make_outputs(emu, job) : cJSON_CreateObject();
        last_type = "execution_success";
        last = stamp(job);
    } else if (!strcmp(outcome, "error")) {
        outputs = cJSON_CreateObject();
        last_type = "execution_error";
        last = failure_data(job);
        cJSON_AddStringToObject(last, "exception_message", "Allocation on device 0 would "
                                "exceed allowed memory. (out of memory)");
        cJSON_AddStringToObject(last, "exception_type", "torch.OutOfMemoryError");
        cJSON_AddItemToObject(last, "traceback", cJSON_CreateArray());
        cJSON_AddItemToObject(last, "current_inputs", cJSON_CreateObject());
        cJSON_AddItemToObject(last, "current_outputs", cJSON_CreateObject());
    } else {
        outputs = cJSON_CreateObject();
        last_type = "execution_interrupted";
        last = failure_data(job);
    }
    comfy_event(emu, job->client_id, last_type, cJSON_Duplicate(last, true));
    m = cJSON_CreateArray();
    cJSON_AddItemToArray(m, cJSON_CreateString(last_type));
    cJSON_AddItemToArray(m, last);
    cJSON_AddItemToArray(messages, m);
    bool ok = !strcmp(outcome, "success");
    cJSON_AddStringToObject(status, "status_str", ok ? "success" : "error");
    cJSON_AddBoolToObject(status, "completed", ok);
    cJSON_AddItemToObject(status, "messages", messages);
    cJSON_AddItemToObject(entry, "outputs", outputs);
    cJSON_AddItemToObject(entry, "status", status);
    cJSON_AddItemToObject(entry, "meta", cJSON_CreateObject());
    cJSON_AddItemToObject(emu->history, job->id, entry);
    cJSON *idle = cJSON_CreateObject();
    cJSON_AddNullToObject(idle, "node");
    cJSON_AddStringToObject(idle, "prompt_id", job->id);
    comfy_event(emu, job->client_id, "executing", idle);
    drop(emu, 0);
    comfy_event(emu, NULL, "status", comfy_status_data(emu));
}

/* Starts the oldest pending prompt when none runs. */
static void promote(comfy_emulator *emu)
{
    if (emu->job_count == 0 || emu->jobs[0].running)
        return;
    int oldest = 0;
    for (int i = 1; i < emu->job_count; i++)
        if (emu->jobs[i].number < emu->jobs[oldest].number)
            oldest = i;
    comfy_job job = emu->jobs[oldest];
    memmove(&emu->jobs[1], &emu->jobs[0], (size_t)oldest * sizeof *emu->jobs);
    emu->jobs[0] = job;
    emu->jobs[0].running = true;
}

void comfy_tick(comfy_emulator *emu)
{
    promote(emu);
    if (emu->job_count == 0)
        return;
    comfy_job *job = &emu->jobs[0];
    const cJSON *node = busy_node(job);
    if (!job->started_sent) {
        job->started_sent = true;
        comfy_event(emu, job->client_id, "execution_start", stamp(job));
        cJSON *cached = stamp(job);
        cJSON_AddArrayToObject(cached, "nodes");
        comfy_event(emu, job->client_id, "execution_cached", cached);
        cJSON *exec = cJSON_CreateObject();
        cJSON_AddStringToObject(exec, "node", node ? node->string : "");
        cJSON_AddStringToObject(exec, "display_node", node ? node->string : "");
        cJSON_AddStringToObject(exec, "prompt_id", job->id);
        comfy_event(emu, job->client_id, "executing", exec);
    }
    job->done++;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "value", job->done);
    cJSON_AddNumberToObject(p, "max", job->steps);
    cJSON_AddStringToObject(p, "prompt_id", job->id);
    cJSON_AddStringToObject(p, "node", node ? node->string : "");
    comfy_event(emu, job->client_id, "progress", p);
    if (job->done >= job->steps) {
        finish(emu, job->fail ? "error" : "success");
        promote(emu);
    }
}

bool comfy_interrupt(comfy_emulator *emu, const char *prompt_id)
{
    if (emu->job_count == 0 || !emu->jobs[0].running ||
        (prompt_id && strcmp(prompt_id, emu->jobs[0].id)))
        return false;
    finish(emu, "interrupted");
    promote(emu);
    return true;
}

void comfy_jobs_free(comfy_emulator *emu)
{
    for (int i = 0; i < emu->job_count; i++)
        cJSON_Delete(emu->jobs[i].graph);
    emu->job_count = 0;
}
