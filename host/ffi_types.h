/*
 * ffi_types.h - the manifest's small type vocabulary ("int32", "string_owned",
 * ...) mapped onto libffi types and onto the handful of value kinds the host
 * can pass or receive.
 *
 * Pure lookups over static tables: no allocation, any thread.
 */
#ifndef AGX_FFI_TYPES_H
#define AGX_FFI_TYPES_H

#include <ffi.h>
#include <stdbool.h>

/* How a value of a vocabulary type travels through ffi_call. */
typedef enum agx_kind {
    AGX_KIND_VOID,
    AGX_KIND_INT32,
    AGX_KIND_UINT32,
    AGX_KIND_INT64,
    AGX_KIND_POINTER, /* pointer, string, string_static, string_owned, buffer */
    AGX_KIND_CALLBACK /* a C function pointer (passed as ffi_type_pointer) */
} agx_kind;

/* One entry of the vocabulary. */
typedef struct agx_type {
    const char *name;  /* the manifest spelling, e.g. "string_owned" */
    agx_kind kind;
    ffi_type *ffi;     /* &ffi_type_sint32 etc.; static, never freed */
    bool param_ok;     /* may appear as a parameter type */
    bool return_ok;    /* may appear as a return type */
} agx_type;

/*
 * Looks a vocabulary name up. Returns a pointer into a static table, or NULL
 * for an unknown name (the caller reports it with the symbol and parameter).
 */
const agx_type *agx_type_find(const char *name);

/* "int32", "pointer", ...: a short name of a kind for error messages. */
const char *agx_kind_name(agx_kind kind);

#endif
