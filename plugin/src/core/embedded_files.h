/*
 * embedded_files.h - files compiled into the library at build time
 * (the tool and config JSON Schemas from manifest/). Generated table; see
 * cmake/EmbedFiles.cmake. Immutable; any thread.
 */
#ifndef IG_EMBEDDED_FILES_H
#define IG_EMBEDDED_FILES_H

#include <stddef.h>

typedef struct ig_embedded_file {
    const char *name; /* file name, e.g. "generate_image.schema.json" */
    const char *data; /* NUL-terminated contents */
    size_t size;      /* bytes, without the NUL */
} ig_embedded_file;

/* Terminated by an entry whose name is NULL. */
extern const ig_embedded_file ig_embedded_files[];

/* Contents of the named file, or NULL. */
const char *ig_embedded_find(const char *name);

#endif
