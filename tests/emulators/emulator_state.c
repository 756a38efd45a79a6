/*
 * emulator_state.c - the fault queue, the request log, the control paths and
 * the response helpers of the loopback emulators (see emulator_core.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulators/emulator_internal.h"

#define LOG_MAX 10000

static const char *const fault_names[] = {
    [EMU_FAULT_NONE] = "none",         [EMU_FAULT_429] = "429",
    [EMU_FAULT_500] = "500",           [EMU_FAULT_502] = "502",
    [EMU_FAULT_503] = "503",           [EMU_FAULT_TIMEOUT] = "timeout",
    [EMU_FAULT_RESET] = "reset",       [EMU_FAULT_TRUNCATE] = "truncate",
    [EMU_FAULT_MALFORMED] = "malformed", [EMU_FAULT_MODERATION] = "moderation",
    [EMU_FAULT_EXPIRED] = "expired",   [EMU_FAULT_QUOTA] = "quota",
    [EMU_FAULT_INVALID] = "invalid",
};

static const char *const auth_names[] = {"not_checked", "absent", "matched", "mismatched"};

void *emu_xalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        abort();
    return p;
}

char *emu_xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();
    return d;
}

emu_fault_kind emu_fault_kind_from_name(const char *name)
{
    for (size_t i = 1; name && i < sizeof fault_names / sizeof *fault_names; i++)
        if (!strcmp(fault_names[i], name))
            return (emu_fault_kind)i;
    return EMU_FAULT_NONE;
}

const char *emu_fault_kind_name(emu_fault_kind kind)
{
    return (size_t)kind < sizeof fault_names / sizeof *fault_names ? fault_names[kind] : "none";
}

int emu_fault_push(emu_server *s, const emu_fault *fault)
{
    if (!fault || fault->kind <= EMU_FAULT_NONE || fault->kind > EMU_FAULT_INVALID)
        return -1;
    pthread_mutex_lock(&s->lock);
    if (s->fault_count == s->fault_cap) {
        s->fault_cap = s->fault_cap ? s->fault_cap * 2 : 8;
        emu_fault_slot *p = realloc(s->faults, s->fault_cap * sizeof *p);
        if (!p)
            abort();
        s->faults = p;
    }
    emu_fault_slot *slot = &s->faults[s->fault_count++];
    slot->f = *fault;
    slot->f.path = fault->path && strcmp(fault->path, "*") ? emu_xstrdup(fault->path) : NULL;
    slot->remaining = fault->count > 0 ? fault->count : 1;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

void emu_fault_clear(emu_server *s)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->fault_count; i++)
        free((char *)s->faults[i].f.path);
    s->fault_count = 0;
    pthread_mutex_unlock(&s->lock);
}

/* A fault path matches itself and, as a prefix, everything below it. */
static bool path_matches(const char *fault_path, const char *path)
{
    if (!fault_path)
        return true;
    size_t n = strlen(fault_path);
    if (strncmp(fault_path, path, n))
        return false;
    return path[n] == 0 || path[n] == '/' || (n && fault_path[n - 1] == '/');
}

bool emu_fault_take(emu_server *s, const char *path, emu_fault *out)
{
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->fault_count && !found; i++) {
        emu_fault_slot *slot = &s->faults[i];
        if (!path_matches(slot->f.path, path))
            continue;
        found = true;
        *out = slot->f;
        out->path = NULL; /* the slot's copy may be freed below */
        if (--slot->remaining == 0) {
            free((char *)slot->f.path);
            memmove(slot, slot + 1, (s->fault_count - i - 1) * sizeof *slot);
            s->fault_count--;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* Frees one log entry's strings. */
static void entry_free(emu_log_entry *e)
{
    free(e->method), free(e->path), free(e->content_type), free(e->user_agent);
    free(e->accept), free(e->idempotency_key);
    for (size_t i = 0; i < e->part_count; i++)
        free(e->part_names[i]), free(e->part_filenames[i]), free(e->part_types[i]);
    free(e->part_names), free(e->part_filenames), free(e->part_types), free(e->part_sizes);
}

size_t emu_log_append(emu_server *s, const emu_request *req, const char *user_agent,
                      const char *accept, const char *idempotency_key)
{
    emu_log_entry e;
    memset(&e, 0, sizeof e);
    e.method = emu_xstrdup(req->method);
    e.path = emu_xstrdup(req->path);
    e.content_type = emu_xstrdup(req->content_type);
    e.user_agent = user_agent ? emu_xstrdup(user_agent) : NULL;
    e.accept = accept ? emu_xstrdup(accept) : NULL;
    e.idempotency_key = idempotency_key ? emu_xstrdup(idempotency_key) : NULL;
    e.auth = req->auth;
    e.body_size = req->body_size;
    e.part_count = req->part_count;
    e.part_names = emu_xalloc(req->part_count * sizeof(char *));
    e.part_filenames = emu_xalloc(req->part_count * sizeof(char *));
    e.part_types = emu_xalloc(req->part_count * sizeof(char *));
    e.part_sizes = emu_xalloc(req->part_count * sizeof(size_t));
    for (size_t i = 0; i < req->part_count; i++) {
        e.part_names[i] = emu_xstrdup(req->parts[i].name);
        e.part_filenames[i] = emu_xstrdup(req->parts[i].filename);
        e.part_types[i] = emu_xstrdup(req->parts[i].content_type);
        e.part_sizes[i] = req->parts[i].size;
        e.body_size += req->parts[i].size;
    }
    pthread_mutex_lock(&s->lock);
    if (s->log_count == s->log_cap && s->log_cap < LOG_MAX) {
        s->log_cap = s->log_cap ? s->log_cap * 2 : 32;
        emu_log_entry *p = realloc(s->log, s->log_cap * sizeof *p);
        if (!p)
            abort();
        s->log = p;
    }
    size_t idx = s->log_count < s->log_cap ? s->log_count++ : (size_t)-1;
    if (idx != (size_t)-1)
        s->log[idx] = e;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    if (idx == (size_t)-1) /* the log is full: drop the entry */
        entry_free(&e);
    return idx;
}

void emu_log_finish(emu_server *s, size_t idx, int status, emu_fault_kind fault)
{
    pthread_mutex_lock(&s->lock);
    if (idx < s->log_count) {
        s->log[idx].status = status;
        s->log[idx].fault = fault;
    }
    pthread_mutex_unlock(&s->lock);
}

void emu_request_log_clear(emu_server *s)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->log_count; i++)
        entry_free(&s->log[i]);
    s->log_count = 0;
    pthread_mutex_unlock(&s->lock);
}

/* Counts log entries for path (NULL = all); the lock is held. */
static size_t count_locked(emu_server *s, const char *path)
{
    size_t n = 0;
    for (size_t i = 0; i < s->log_count; i++)
        if (!path || !strcmp(s->log[i].path, path))
            n++;
    return n;
}

size_t emu_request_count(emu_server *s, const char *path)
{
    pthread_mutex_lock(&s->lock);
    size_t n = count_locked(s, path);
    pthread_mutex_unlock(&s->lock);
    return n;
}

int emu_wait_requests(emu_server *s, const char *path, size_t n, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    while (count_locked(s, path) < n && rc == 0)
        if (pthread_cond_timedwait(&s->changed, &s->lock, &until) == ETIMEDOUT)
            rc = count_locked(s, path) >= n ? 0 : -1;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* cJSON string or null for an optional header. */
static cJSON *str_or_null(const char *v)
{
    return v ? cJSON_CreateString(v) : cJSON_CreateNull();
}

cJSON *emu_request_log(emu_server *s)
{
    cJSON *arr = cJSON_CreateArray();
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->log_count; i++) {
        const emu_log_entry *e = &s->log[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "method", e->method);
        cJSON_AddStringToObject(o, "path", e->path);
        cJSON_AddStringToObject(o, "contentType", e->content_type);
        cJSON_AddItemToObject(o, "userAgent", str_or_null(e->user_agent));
        cJSON_AddItemToObject(o, "accept", str_or_null(e->accept));
        cJSON_AddItemToObject(o, "idempotencyKey", str_or_null(e->idempotency_key));
        cJSON_AddStringToObject(o, "auth", auth_names[e->auth]);
        cJSON_AddNumberToObject(o, "bodySize", (double)e->body_size);
        cJSON *parts = cJSON_AddArrayToObject(o, "parts");
        for (size_t j = 0; j < e->part_count; j++) {
            cJSON *p = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "name", e->part_names[j]);
            cJSON_AddStringToObject(p, "filename", e->part_filenames[j]);
            cJSON_AddStringToObject(p, "contentType", e->part_types[j]);
            cJSON_AddNumberToObject(p, "size", (double)e->part_sizes[j]);
            cJSON_AddItemToArray(parts, p);
        }
        cJSON_AddNumberToObject(o, "status", e->status);
        cJSON_AddItemToObject(o, "fault", e->fault ? cJSON_CreateString(fault_names[e->fault])
                                                   : cJSON_CreateNull());
        cJSON_AddItemToArray(arr, o);
    }
    pthread_mutex_unlock(&s->lock);
    return arr;
}

/* POST /__emulator/faults: parses and queues one fault (or an array). */
static int control_fault(emu_server *s, const cJSON *j)
{
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(j, "path");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "fault");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(j, "count");
    const cJSON *retry = cJSON_GetObjectItemCaseSensitive(j, "retryAfter");
    const cJSON *delay = cJSON_GetObjectItemCaseSensitive(j, "delayMs");
    if (!cJSON_IsObject(j) || (path && !cJSON_IsString(path) && !cJSON_IsNull(path)) ||
        (count && !cJSON_IsNumber(count)) || (retry && !cJSON_IsNumber(retry)) ||
        (delay && !cJSON_IsNumber(delay)))
        return -1;
    emu_fault f = {
        .kind = emu_fault_kind_from_name(cJSON_GetStringValue(kind)),
        .path = cJSON_GetStringValue(path),
        .count = count ? count->valueint : 1,
        .retry_after = retry ? retry->valueint : 1,
        .delay_ms = delay ? delay->valueint : 0,
    };
    return emu_fault_push(s, &f);
}

bool emu_control(emu_server *s, const emu_request *req, emu_response *out)
{
    bool get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
    bool del = !strcmp(req->method, "DELETE");
    if (!strcmp(req->path, "/__emulator/requests") && (get || del)) {
        if (del)
            emu_request_log_clear(s);
        emu_respond_json(out, 200, del ? cJSON_CreateObject() : emu_request_log(s));
        return true;
    }
    if (strcmp(req->path, "/__emulator/faults"))
        return false;
    if (del) {
        emu_fault_clear(s);
        emu_respond_json(out, 200, cJSON_CreateObject());
        return true;
    }
    int rc = -1;
    cJSON *j = post ? cJSON_ParseWithLength((const char *)req->body, req->body_size) : NULL;
    if (cJSON_IsArray(j)) {
        rc = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, j) if (control_fault(s, it) != 0) rc = -1;
    } else if (j) {
        rc = control_fault(s, j);
    }
    cJSON_Delete(j);
    cJSON *answer = cJSON_CreateObject();
    if (rc == 0) {
        cJSON_AddBoolToObject(answer, "queued", 1);
    } else {
        cJSON_AddStringToObject(answer, "error",
                                "expected {\"path\",\"fault\":\"429|500|502|503|timeout|reset|"
                                "truncate|malformed|moderation|expired\",\"count\","
                                "\"retryAfter\",\"delayMs\"}");
    }
    emu_respond_json(out, rc == 0 ? 200 : 400, answer);
    return true;
}

void emu_state_free(emu_server *s)
{
    emu_fault_clear(s);
    free(s->faults);
    emu_request_log_clear(s);
    free(s->log);
}

void emu_respond_json(emu_response *out, int status, cJSON *json)
{
    char *text = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    if (!text)
        abort();
    free(out->body);
    out->body = (unsigned char *)text;
    out->size = strlen(text);
    out->status = status;
    free(out->content_type);
    out->content_type = emu_xstrdup("application/json");
}

void emu_respond_bytes(emu_response *out, int status, const char *content_type,
                       const void *data, size_t size)
{
    free(out->body);
    out->body = emu_xalloc(size);
    if (size)
        memcpy(out->body, data, size);
    out->size = size;
    out->status = status;
    free(out->content_type);
    out->content_type = emu_xstrdup(content_type);
}

void emu_response_header(emu_response *out, const char *name, const char *value)
{
    if (out->header_count >= EMU_MAX_HEADERS)
        return;
    out->header_names[out->header_count] = emu_xstrdup(name);
    out->header_values[out->header_count++] = emu_xstrdup(value);
}

void emu_response_clear(emu_response *out)
{
    free(out->body);
    free(out->content_type);
    for (size_t i = 0; i < out->header_count; i++)
        free(out->header_names[i]), free(out->header_values[i]);
    memset(out, 0, sizeof *out);
}

const emu_part *emu_find_part(const emu_request *req, const char *name)
{
    for (size_t i = 0; i < req->part_count; i++)
        if (!strcmp(req->parts[i].name, name))
            return &req->parts[i];
    return NULL;
}
