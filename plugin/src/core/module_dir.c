/* module_dir.c - see module_dir.h. dladdr is a GNU extension (the build
 * defines _GNU_SOURCE everywhere). */
#include "core/module_dir.h"

#include <dlfcn.h>
#include <string.h>

int ig_module_dir(char *out, size_t cap)
{
    Dl_info info;
    if (!dladdr((void *)&ig_module_dir, &info) || !info.dli_fname)
        return -1;
    const char *slash = strrchr(info.dli_fname, '/');
    if (!slash) /* a bare name: the current directory */
        return cap >= 2 ? (strcpy(out, "."), 0) : -1;
    size_t len = slash == info.dli_fname ? 1 : (size_t)(slash - info.dli_fname);
    if (len + 1 > cap)
        return -1;
    memcpy(out, info.dli_fname, len); /* len 1 keeps the root's "/" */
    out[len] = '\0';
    return 0;
}
