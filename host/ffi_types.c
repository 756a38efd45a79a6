/* ffi_types.c - see ffi_types.h. */
#include "ffi_types.h"

#include <string.h>

/*
 * The vocabulary of abi.typeNotes. Strings, buffers and opaque handles are
 * all plain pointers at the machine level; their names only carry ownership
 * rules (which the binding layer honours for results).
 */
static const agx_type vocabulary[] = {
    {"void", AGX_KIND_VOID, &ffi_type_void, false, true},
    {"int32", AGX_KIND_INT32, &ffi_type_sint32, true, true},
    {"uint32", AGX_KIND_UINT32, &ffi_type_uint32, true, true},
    {"int64", AGX_KIND_INT64, &ffi_type_sint64, true, true},
    {"pointer", AGX_KIND_POINTER, &ffi_type_pointer, true, true},
    {"string", AGX_KIND_POINTER, &ffi_type_pointer, true, false},
    {"string_static", AGX_KIND_POINTER, &ffi_type_pointer, false, true},
    {"string_owned", AGX_KIND_POINTER, &ffi_type_pointer, false, true},
    {"buffer", AGX_KIND_POINTER, &ffi_type_pointer, true, false},
    {"callback", AGX_KIND_CALLBACK, &ffi_type_pointer, true, false},
};

const agx_type *agx_type_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof vocabulary / sizeof vocabulary[0]; i++)
        if (!strcmp(vocabulary[i].name, name))
            return &vocabulary[i];
    return NULL;
}

const char *agx_kind_name(agx_kind kind)
{
    switch (kind) {
    case AGX_KIND_VOID: return "void";
    case AGX_KIND_INT32: return "int32";
    case AGX_KIND_UINT32: return "uint32";
    case AGX_KIND_INT64: return "int64";
    case AGX_KIND_POINTER: return "pointer";
    case AGX_KIND_CALLBACK: return "callback";
    }
    return "?";
}
