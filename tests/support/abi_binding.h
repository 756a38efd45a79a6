/*
 * abi_binding.h - the extension's exported ABI as a table of function
 * pointers, filled by dlopen + dlsym exactly as a C host would. Shared by the
 * ABI suite and the stress program (which cannot use Criterion: it runs
 * under ThreadSanitizer), so it depends on nothing but libdl.
 */
#ifndef IG_ABI_BINDING_H
#define IG_ABI_BINDING_H

#include <stddef.h>

#include "agentos_ext.h"

typedef struct ta_abi {
    void *handle;
    uint32_t (*abi_version)(void);
    const char *(*info)(void);
    agentos_ext *(*open)(const char *, agentos_ext_log_fn, agentos_ext_progress_fn,
                         agentos_ext_event_fn, void *, char *, uint32_t);
    char *(*list_tools)(agentos_ext *);
    char *(*call)(agentos_ext *, const char *, const char *);
    int64_t (*submit)(agentos_ext *, const char *, const char *, char *, uint32_t);
    char *(*job_poll)(agentos_ext *, int64_t);
    int32_t (*job_wait)(agentos_ext *, int64_t, uint32_t);
    char *(*job_result)(agentos_ext *, int64_t);
    int32_t (*job_cancel)(agentos_ext *, int64_t);
    void (*free)(char *);
    void (*close)(agentos_ext *);
} ta_abi;

/*
 * dlopens path (RTLD_NOW | RTLD_LOCAL) and binds every ABI function into
 * *abi. Returns 0, or -1 with a message in err (cap bytes) naming the
 * missing symbol or the dlopen error. The library is never dlclosed here.
 */
int ta_abi_load(const char *path, ta_abi *abi, char *err, size_t cap);

#endif
