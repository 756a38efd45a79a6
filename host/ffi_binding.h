/*
 * ffi_binding.h - load an extension library the way an FFI host does:
 * dlopen it, check its ABI version through the manifest's versionSymbol,
 * dlsym every declared symbol, build one ffi_cif per declared signature and
 * make every call through ffi_call. Nothing here knows the extension's C
 * prototypes; the manifest is the only source of truth.
 */
#ifndef AGX_FFI_BINDING_H
#define AGX_FFI_BINDING_H

#include <ffi.h>
#include <stddef.h>
#include <stdint.h>

#include "ffi_types.h"
#include "manifest_loader.h"

/* One argument or return value, tagged with its kind. */
typedef struct agx_value {
    agx_kind kind;
    union {
        int32_t i32;
        uint32_t u32;
        int64_t i64;
        void *ptr;
        void (*fn)(void); /* AGX_KIND_CALLBACK; cast to the callback's type */
    } v;
} agx_value;

/* Constructors for agx_value (plain helpers, no allocation). */
agx_value agx_i32(int32_t x);
agx_value agx_u32(uint32_t x);
agx_value agx_i64(int64_t x);
agx_value agx_ptr(const void *p);
agx_value agx_fn(void (*fn)(void));

/* A resolved, callable symbol. */
typedef struct agx_symbol {
    const agx_signature *sig; /* borrowed from the manifest */
    void *addr;               /* from dlsym */
    ffi_cif cif;
    ffi_type **arg_types;     /* owned; sig->nparams entries */
} agx_symbol;

/* A loaded library. The manifest must outlive the binding. */
typedef struct agx_binding {
    const agx_manifest *manifest;
    void *handle;             /* from dlopen; never dlclose'd (see .c) */
    agx_symbol *symbols;      /* one per manifest symbol, same order */
    size_t nsymbols;
    const agx_symbol *free_sym;
    uint32_t library_abi;     /* what versionSymbol returned */
} agx_binding;

/* Return codes of agx_binding_open. */
#define AGX_BIND_OK 0
#define AGX_BIND_E_LOAD (-1)     /* dlopen failed */
#define AGX_BIND_E_ABI (-2)      /* ABI version mismatch */
#define AGX_BIND_E_SYMBOL (-3)   /* a declared symbol is missing */
#define AGX_BIND_E_FFI (-4)      /* ffi_prep_cif refused a signature */

/*
 * Loads m->library_path (RTLD_NOW | RTLD_LOCAL). Before any other call it
 * resolves and calls abi.versionSymbol through libffi and compares the result
 * with m->abi_version; then it resolves every declared symbol (each must be
 * defined by the library itself, not by one of its dependencies) and
 * prepares its ffi_cif. Returns AGX_BIND_OK, or an AGX_BIND_E_* code with a
 * message naming the library and the symbol or versions in err (size errsz).
 * On failure *b is left empty. Call from one thread; the resulting binding is
 * read-only and may then be used from any thread.
 */
int agx_binding_open(agx_binding *b, const agx_manifest *m, char *err,
                     size_t errsz);

/*
 * Releases what agx_binding_open allocated. The library stays loaded on
 * purpose (see the comment in ffi_binding.c). Call once, after every call
 * through the binding has returned (including callbacks on other threads).
 */
void agx_binding_close(agx_binding *b);

/* The resolved symbol named name, or NULL if the manifest does not declare
 * it. Borrowed from b. Any thread. */
const agx_symbol *agx_binding_symbol(const agx_binding *b, const char *name);

/*
 * Calls sym through ffi_call with nargs arguments. Each argument's kind must
 * match the declared parameter's kind and nargs the declared count, or the
 * call is refused (returns -1 with a message in err) without touching the
 * library. *ret (may be NULL for void) receives the result tagged with the
 * declared return kind. Returns 0 after a call. Argument ownership follows
 * the manifest's types (strings are borrowed for the call). Any thread, as
 * far as the extension's own rules allow.
 */
int agx_binding_call(const agx_symbol *sym, const agx_value *args,
                     size_t nargs, agx_value *ret, char *err, size_t errsz);

/*
 * Releases a string returned by the library through abi.freeSymbol. NULL is
 * ignored. Any thread.
 */
void agx_binding_free(const agx_binding *b, void *owned);

#endif
