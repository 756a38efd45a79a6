/* embedded_files.c - lookup over the generated table (see embedded_files.h). */
#include "core/embedded_files.h"

#include <string.h>

const char *ig_embedded_find(const char *name)
{
    for (const ig_embedded_file *f = ig_embedded_files; f->name; f++)
        if (!strcmp(f->name, name))
            return f->data;
    return NULL;
}
