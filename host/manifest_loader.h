/*
 * manifest_loader.h - parse and validate an extension manifest
 * (<id>.ext.json) into what an FFI host needs: the library to load, the
 * version and free symbols, and every declared symbol's signature in the
 * manifest's type vocabulary.
 *
 * Finding the manifest on disk is manifest_search.h's job.
 */
#ifndef AGX_MANIFEST_LOADER_H
#define AGX_MANIFEST_LOADER_H

#include <stddef.h>

#include "ffi_types.h"

typedef struct cJSON cJSON;

/* One parameter of a declared function or callback. */
typedef struct agx_param {
    const char *name;     /* borrowed from the manifest tree */
    const agx_type *type; /* static vocabulary entry */
    const char *callback; /* name in abi.callbacks for "callback", else NULL */
} agx_param;

/* A declared function (abi.symbols[]) or callback (abi.callbacks{}). */
typedef struct agx_signature {
    const char *name;        /* symbol name, or callback name; borrowed */
    const agx_type *returns; /* static vocabulary entry */
    agx_param *params;       /* owned by the manifest; nparams entries */
    size_t nparams;
} agx_signature;

/* A loaded manifest. Every const char * points into `root`. */
typedef struct agx_manifest {
    char *path;           /* the manifest file (absolute when resolvable) */
    char *dir;            /* its directory */
    char *library_path;   /* abi.library resolved against dir */
    cJSON *root;          /* the whole parsed document */
    const char *id;
    const char *version;  /* the extension's version, e.g. "0.1.0" */
    long abi_version;     /* abi.version */
    const char *library;  /* abi.library as written */
    const char *version_symbol;
    const char *free_symbol;
    agx_signature *symbols; /* in manifest order */
    size_t nsymbols;
    agx_signature *callbacks;
    size_t ncallbacks;
} agx_manifest;

/*
 * Reads and validates the manifest at path into *out (zeroed first).
 * Checks: required fields and their types, abi.version a positive integer,
 * every symbol and callback type in the vocabulary (an unknown type is
 * reported with the symbol and parameter that use it), unique symbol names,
 * callbacks referenced by name exist, each "buffer" followed by a "uint32",
 * versionSymbol declared as uint32(void) and freeSymbol as void(pointer).
 * Returns 0, or -1 with a message (naming the file and the offending entry)
 * in err (size errsz) and *out empty. Release with agx_manifest_free.
 * Not thread-safe with respect to *out; otherwise no global state.
 */
int agx_manifest_load(const char *path, agx_manifest *out, char *err,
                      size_t errsz);

/* Frees everything held by m and zeroes it. NULL and zeroed are fine. */
void agx_manifest_free(agx_manifest *m);

/* The declared symbol named name, or NULL. Borrowed from m. */
const agx_signature *agx_manifest_symbol(const agx_manifest *m,
                                         const char *name);

/* The declared callback named name, or NULL. Borrowed from m. */
const agx_signature *agx_manifest_callback(const agx_manifest *m,
                                           const char *name);

#endif
