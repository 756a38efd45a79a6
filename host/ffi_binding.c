/* ffi_binding.c - see ffi_binding.h. */
#include "ffi_binding.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

agx_value agx_i32(int32_t x)
{
    agx_value v = {.kind = AGX_KIND_INT32};
    v.v.i32 = x;
    return v;
}

agx_value agx_u32(uint32_t x)
{
    agx_value v = {.kind = AGX_KIND_UINT32};
    v.v.u32 = x;
    return v;
}

agx_value agx_i64(int64_t x)
{
    agx_value v = {.kind = AGX_KIND_INT64};
    v.v.i64 = x;
    return v;
}

agx_value agx_ptr(const void *p)
{
    agx_value v = {.kind = AGX_KIND_POINTER};
    v.v.ptr = (void *)(uintptr_t)p; /* ownership is described by the type */
    return v;
}

agx_value agx_fn(void (*fn)(void))
{
    agx_value v = {.kind = AGX_KIND_CALLBACK};
    v.v.fn = fn;
    return v;
}

/* Prepares sym->cif from its declared signature. */
static int prepare_cif(agx_symbol *sym, const char *library, char *err,
                       size_t errsz)
{
    const agx_signature *sig = sym->sig;
    sym->arg_types = calloc(sig->nparams + 1, sizeof *sym->arg_types);
    if (!sym->arg_types) {
        snprintf(err, errsz, "out of memory");
        return AGX_BIND_E_FFI;
    }
    for (size_t i = 0; i < sig->nparams; i++)
        sym->arg_types[i] = sig->params[i].type->ffi;
    ffi_status st = ffi_prep_cif(&sym->cif, FFI_DEFAULT_ABI,
                                 (unsigned)sig->nparams, sig->returns->ffi,
                                 sym->arg_types);
    if (st != FFI_OK) {
        snprintf(err, errsz, "%s: libffi cannot prepare a call to %s (status %d)",
                 library, sig->name, (int)st);
        return AGX_BIND_E_FFI;
    }
    return AGX_BIND_OK;
}

/*
 * Resolves name in the library itself. dlsym on a handle also searches the
 * library's dependencies, so a symbol the extension does not define (say
 * "free") could resolve to libc; dladdr tells which object defines it.
 */
static void *resolve_own(void *handle, const char *name)
{
    dlerror();
    void *addr = dlsym(handle, name);
    if (!addr)
        return NULL;
    struct link_map *map = NULL;
    Dl_info info;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || !map ||
        !dladdr(addr, &info))
        return addr; /* cannot tell; trust dlsym */
    return (uintptr_t)info.dli_fbase == (uintptr_t)map->l_addr ||
                   (info.dli_fname && map->l_name &&
                    !strcmp(info.dli_fname, map->l_name))
               ? addr
               : NULL;
}

/* Resolves, prepares and calls versionSymbol; compares with the manifest. */
static int check_abi_version(agx_binding *b, char *err, size_t errsz)
{
    const agx_manifest *m = b->manifest;
    const agx_signature *sig = agx_manifest_symbol(m, m->version_symbol);
    agx_symbol sym = {.sig = sig, .addr = resolve_own(b->handle, sig->name)};
    if (!sym.addr) {
        snprintf(err, errsz, "%s does not export abi.versionSymbol %s declared "
                 "by %s", m->library_path, sig->name, m->path);
        return AGX_BIND_E_SYMBOL;
    }
    int rc = prepare_cif(&sym, m->library_path, err, errsz);
    if (rc == AGX_BIND_OK) {
        agx_value ret = {.kind = AGX_KIND_VOID};
        agx_binding_call(&sym, NULL, 0, &ret, err, errsz);
        b->library_abi = ret.v.u32;
        if ((long)b->library_abi != m->abi_version) {
            snprintf(err, errsz,
                     "ABI version mismatch: %s reports ABI %u (%s) but the "
                     "manifest %s declares abi.version %ld",
                     m->library_path, (unsigned)b->library_abi, sig->name,
                     m->path, m->abi_version);
            rc = AGX_BIND_E_ABI;
        }
    }
    free(sym.arg_types);
    return rc;
}

/* Resolves every declared symbol; reports all missing ones at once. */
static int resolve_all(agx_binding *b, char *err, size_t errsz)
{
    const agx_manifest *m = b->manifest;
    size_t missing = 0;
    char names[512] = "";
    for (size_t i = 0; i < m->nsymbols; i++) {
        agx_symbol *sym = &b->symbols[i];
        sym->sig = &m->symbols[i];
        sym->addr = resolve_own(b->handle, sym->sig->name);
        if (sym->addr)
            continue;
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", missing ? ", " : "",
                 sym->sig->name);
        missing++;
    }
    if (missing) {
        snprintf(err, errsz, "%s does not export %s declared in %s: %s",
                 m->library_path, missing == 1 ? "a symbol" : "symbols",
                 m->path, names);
        return AGX_BIND_E_SYMBOL;
    }
    for (size_t i = 0; i < m->nsymbols; i++) {
        int rc = prepare_cif(&b->symbols[i], m->library_path, err, errsz);
        if (rc != AGX_BIND_OK)
            return rc;
    }
    return AGX_BIND_OK;
}

int agx_binding_open(agx_binding *b, const agx_manifest *m, char *err,
                     size_t errsz)
{
    memset(b, 0, sizeof *b);
    b->manifest = m;
    b->handle = dlopen(m->library_path, RTLD_NOW | RTLD_LOCAL);
    if (!b->handle) {
        const char *why = dlerror();
        snprintf(err, errsz, "cannot load %s (from %s): %s", m->library_path,
                 m->path, why ? why : "unknown dlopen error");
        return AGX_BIND_E_LOAD;
    }
    int rc = check_abi_version(b, err, errsz);
    if (rc == AGX_BIND_OK) {
        b->symbols = calloc(m->nsymbols, sizeof *b->symbols);
        b->nsymbols = m->nsymbols;
        if (!b->symbols) {
            snprintf(err, errsz, "out of memory");
            rc = AGX_BIND_E_FFI;
        } else {
            rc = resolve_all(b, err, errsz);
        }
    }
    if (rc != AGX_BIND_OK) {
        agx_binding_close(b);
        return rc;
    }
    b->free_sym = agx_binding_symbol(b, m->free_symbol);
    return AGX_BIND_OK;
}

/*
 * No dlclose here, deliberately: an extension may own thread pools or link
 * libraries (glib via libvips, libcurl's resolver threads, OpenSSL) that
 * register atexit handlers, thread-local destructors or keep threads alive
 * past agentos_ext_close(). Unmapping the code under them crashes at exit,
 * so the library stays mapped until the process ends, as most FFI hosts do.
 */
void agx_binding_close(agx_binding *b)
{
    if (!b)
        return;
    for (size_t i = 0; b->symbols && i < b->nsymbols; i++)
        free(b->symbols[i].arg_types);
    free(b->symbols);
    memset(b, 0, sizeof *b);
}

const agx_symbol *agx_binding_symbol(const agx_binding *b, const char *name)
{
    for (size_t i = 0; name && i < b->nsymbols; i++)
        if (!strcmp(b->symbols[i].sig->name, name))
            return &b->symbols[i];
    return NULL;
}

/* Checks the host's arguments against the declared parameters. */
static int check_args(const agx_symbol *sym, const agx_value *args,
                      size_t nargs, char *err, size_t errsz)
{
    const agx_signature *sig = sym->sig;
    if (nargs != sig->nparams) {
        snprintf(err, errsz, "%s is declared with %zu params; the host passed %zu",
                 sig->name, sig->nparams, nargs);
        return -1;
    }
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].kind != sig->params[i].type->kind) {
            snprintf(err, errsz, "%s param %zu (%s) is declared %s; the host "
                     "passed %s", sig->name, i, sig->params[i].name,
                     sig->params[i].type->name, agx_kind_name(args[i].kind));
            return -1;
        }
    }
    return 0;
}

int agx_binding_call(const agx_symbol *sym, const agx_value *args,
                     size_t nargs, agx_value *ret, char *err, size_t errsz)
{
    if (check_args(sym, args, nargs, err, errsz) != 0)
        return -1;
    void *values[nargs + 1];
    for (size_t i = 0; i < nargs; i++)
        values[i] = (void *)(uintptr_t)&args[i].v; /* libffi reads, never writes */
    /* Integral results narrower than a register come back widened to ffi_arg. */
    union {
        ffi_arg u;
        ffi_sarg s;
        int64_t i64;
        void *p;
    } rv;
    memset(&rv, 0, sizeof rv);
    ffi_call((ffi_cif *)(uintptr_t)&sym->cif, FFI_FN(sym->addr), &rv, values);
    if (!ret)
        return 0;
    memset(ret, 0, sizeof *ret);
    ret->kind = sym->sig->returns->kind;
    switch (ret->kind) {
    case AGX_KIND_INT32: ret->v.i32 = (int32_t)rv.s; break;
    case AGX_KIND_UINT32: ret->v.u32 = (uint32_t)rv.u; break;
    case AGX_KIND_INT64: ret->v.i64 = rv.i64; break;
    case AGX_KIND_POINTER: ret->v.ptr = rv.p; break;
    case AGX_KIND_VOID:
    case AGX_KIND_CALLBACK: break;
    }
    return 0;
}

void agx_binding_free(const agx_binding *b, void *owned)
{
    if (!owned || !b->free_sym)
        return;
    agx_value arg = agx_ptr(owned);
    char err[256];
    agx_binding_call(b->free_sym, &arg, 1, NULL, err, sizeof err);
}
