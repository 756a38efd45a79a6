/* ext_api.c - see ext_api.h. */
#include "ext_api.h"

#include <agentos_ext.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P AGX_KIND_POINTER
#define CB AGX_KIND_CALLBACK
#define I32 AGX_KIND_INT32
#define U32 AGX_KIND_UINT32
#define I64 AGX_KIND_INT64

/* What this host passes to, and expects from, each function it calls. */
typedef struct host_need {
    const char *name;
    agx_kind returns;
    bool string_result; /* must be declared string_owned or string_static */
    agx_kind params[8];
    size_t nparams;
} host_need;

static const host_need needs[] = {
    {"agentos_ext_info", P, true, {0}, 0},
    {"agentos_ext_open", P, false, {P, CB, CB, CB, P, P, U32}, 7},
    {"agentos_ext_list_tools", P, true, {P}, 1},
    {"agentos_ext_call", P, true, {P, P, P}, 3},
    {"agentos_ext_submit", I64, false, {P, P, P, P, U32}, 5},
    {"agentos_ext_job_poll", P, true, {P, I64}, 2},
    {"agentos_ext_job_wait", I32, false, {P, I64, U32}, 3},
    {"agentos_ext_job_result", P, true, {P, I64}, 2},
    {"agentos_ext_job_cancel", I32, false, {P, I64}, 2},
    {"agentos_ext_close", AGX_KIND_VOID, false, {P}, 1},
};

static int check_need(const agx_manifest *m, const host_need *need, char *err,
                      size_t errsz)
{
    const agx_signature *sig = agx_manifest_symbol(m, need->name);
    if (!sig) {
        snprintf(err, errsz, "%s: the manifest does not declare %s, which this "
                 "host needs", m->path, need->name);
        return -1;
    }
    bool ok = sig->returns->kind == need->returns && sig->nparams == need->nparams;
    if (ok && need->string_result)
        ok = !strcmp(sig->returns->name, "string_owned") ||
             !strcmp(sig->returns->name, "string_static");
    for (size_t i = 0; ok && i < need->nparams; i++)
        ok = sig->params[i].type->kind == need->params[i];
    if (!ok) {
        snprintf(err, errsz, "%s: symbol %s is declared with a signature this "
                 "host (ABI %u) cannot call: %zu params returning %s",
                 m->path, need->name, (unsigned)AGENTOS_EXT_ABI_VERSION,
                 sig->nparams, sig->returns->name);
        return -1;
    }
    return 0;
}

/* Each callback the manifest names must match the host's implementation. */
static int check_callbacks(const agx_manifest *m, char *err, size_t errsz)
{
    for (size_t c = 0; c < m->ncallbacks; c++) {
        const agx_signature *sig = &m->callbacks[c];
        const agx_host_callback *impl = agx_host_callback_find(sig->name);
        if (!impl)
            continue; /* not offered: NULL is passed */
        bool ok = sig->returns->kind == impl->returns &&
                  sig->nparams == impl->nparams;
        for (size_t i = 0; ok && i < impl->nparams; i++)
            ok = sig->params[i].type->kind == impl->params[i];
        if (!ok) {
            snprintf(err, errsz, "%s: callback %s is declared with a signature "
                     "that differs from this host's %s callback", m->path,
                     sig->name, impl->name);
            return -1;
        }
    }
    return 0;
}

int agx_ext_load(agx_ext *e, const char *manifest_path, char *err,
                 size_t errsz)
{
    memset(e, 0, sizeof *e);
    if (agx_manifest_load(manifest_path, &e->manifest, err, errsz) != 0)
        return AGX_EXT_E_MANIFEST;
    /* The library's ABI version is checked first (inside agx_binding_open),
     * so a manifest for another ABI is reported as such, not as a signature
     * this host cannot call. Only the version symbol is called before the
     * checks below. */
    if (agx_binding_open(&e->binding, &e->manifest, err, errsz) != AGX_BIND_OK) {
        agx_manifest_free(&e->manifest);
        return AGX_EXT_E_LOAD;
    }
    int rc = AGX_EXT_E_LOAD;
    if (e->manifest.abi_version != (long)AGENTOS_EXT_ABI_VERSION) {
        snprintf(err, errsz, "ABI version mismatch: this host supports ABI %u, "
                 "but %s declares abi.version %ld", (unsigned)AGENTOS_EXT_ABI_VERSION,
                 e->manifest.path, e->manifest.abi_version);
        goto fail;
    }
    rc = AGX_EXT_E_MANIFEST;
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++)
        if (check_need(&e->manifest, &needs[i], err, errsz) != 0)
            goto fail;
    if (check_callbacks(&e->manifest, err, errsz) != 0)
        goto fail;
    return AGX_EXT_OK;
fail:
    agx_binding_close(&e->binding);
    agx_manifest_free(&e->manifest);
    memset(e, 0, sizeof *e);
    return rc;
}

/* Calls a function the host needs (presence checked by agx_ext_load). */
static int invoke(agx_ext *e, const char *name, const agx_value *args,
                  size_t nargs, agx_value *ret)
{
    const agx_symbol *sym = agx_binding_symbol(&e->binding, name);
    char err[512];
    if (!sym || agx_binding_call(sym, args, nargs, ret, err, sizeof err) != 0) {
        fprintf(stderr, "agentos-ext: internal error calling %s: %s\n", name,
                sym ? err : "not bound");
        return -1;
    }
    return 0;
}

/* Copies a string result and releases the library's copy if it owns it. */
static char *take_string(agx_ext *e, const char *name, void *text)
{
    if (!text)
        return NULL;
    char *copy = strdup(text);
    const agx_symbol *sym = agx_binding_symbol(&e->binding, name);
    if (!strcmp(sym->sig->returns->name, "string_owned"))
        agx_binding_free(&e->binding, text);
    return copy;
}

/* Calls a string-returning function and takes its result. */
static char *invoke_string(agx_ext *e, const char *name, const agx_value *args,
                           size_t nargs)
{
    agx_value ret = {.kind = AGX_KIND_VOID};
    if (invoke(e, name, args, nargs, &ret) != 0)
        return NULL;
    return take_string(e, name, ret.v.ptr);
}

char *agx_ext_info(agx_ext *e)
{
    return invoke_string(e, "agentos_ext_info", NULL, 0);
}

int agx_ext_open(agx_ext *e, const char *config_json, agx_host_ctx *ctx,
                 char *err, size_t errsz)
{
    const agx_signature *sig = agx_manifest_symbol(&e->manifest, "agentos_ext_open");
    agx_value args[7];
    char buf[1024] = "";
    args[0] = agx_ptr(config_json);
    for (size_t i = 1; i <= 3; i++) {
        const agx_host_callback *impl = agx_host_callback_find(sig->params[i].callback);
        args[i] = agx_fn(impl ? impl->fn : NULL);
    }
    args[4] = agx_ptr(ctx);
    args[5] = agx_ptr(buf);
    args[6] = agx_u32((uint32_t)sizeof buf);
    agx_value ret = {.kind = AGX_KIND_VOID};
    if (invoke(e, "agentos_ext_open", args, 7, &ret) != 0)
        return -1;
    e->instance = ret.v.ptr;
    if (!e->instance) {
        snprintf(err, errsz, "%s", buf[0] ? buf : "agentos_ext_open failed");
        return -1;
    }
    return 0;
}

char *agx_ext_list_tools(agx_ext *e)
{
    agx_value arg = agx_ptr(e->instance);
    return invoke_string(e, "agentos_ext_list_tools", &arg, 1);
}

char *agx_ext_call(agx_ext *e, const char *tool, const char *args_json)
{
    agx_value args[3] = {agx_ptr(e->instance), agx_ptr(tool), agx_ptr(args_json)};
    return invoke_string(e, "agentos_ext_call", args, 3);
}

int64_t agx_ext_submit(agx_ext *e, const char *tool, const char *args_json,
                       char *err, size_t errsz)
{
    char buf[1024] = "";
    agx_value args[5] = {agx_ptr(e->instance), agx_ptr(tool), agx_ptr(args_json),
                         agx_ptr(buf), agx_u32((uint32_t)sizeof buf)};
    agx_value ret = {.kind = AGX_KIND_VOID};
    if (invoke(e, "agentos_ext_submit", args, 5, &ret) != 0)
        return AGENTOS_EXT_E_INVALID;
    if (ret.v.i64 <= 0)
        snprintf(err, errsz, "%s", buf[0] ? buf : "agentos_ext_submit failed");
    return ret.v.i64;
}

int32_t agx_ext_job_wait(agx_ext *e, int64_t job_id, uint32_t timeout_ms)
{
    agx_value args[3] = {agx_ptr(e->instance), agx_i64(job_id), agx_u32(timeout_ms)};
    agx_value ret = {.kind = AGX_KIND_VOID};
    if (invoke(e, "agentos_ext_job_wait", args, 3, &ret) != 0)
        return AGENTOS_EXT_E_INVALID;
    return ret.v.i32;
}

int32_t agx_ext_job_cancel(agx_ext *e, int64_t job_id)
{
    agx_value args[2] = {agx_ptr(e->instance), agx_i64(job_id)};
    agx_value ret = {.kind = AGX_KIND_VOID};
    if (invoke(e, "agentos_ext_job_cancel", args, 2, &ret) != 0)
        return AGENTOS_EXT_E_INVALID;
    return ret.v.i32;
}

char *agx_ext_job_poll(agx_ext *e, int64_t job_id)
{
    agx_value args[2] = {agx_ptr(e->instance), agx_i64(job_id)};
    return invoke_string(e, "agentos_ext_job_poll", args, 2);
}

char *agx_ext_job_result(agx_ext *e, int64_t job_id)
{
    agx_value args[2] = {agx_ptr(e->instance), agx_i64(job_id)};
    return invoke_string(e, "agentos_ext_job_result", args, 2);
}

void agx_ext_unload(agx_ext *e)
{
    if (!e)
        return;
    if (e->instance) {
        agx_value arg = agx_ptr(e->instance);
        invoke(e, "agentos_ext_close", &arg, 1, NULL);
        e->instance = NULL;
    }
    agx_binding_close(&e->binding);
    agx_manifest_free(&e->manifest);
}
