/* abi_binding.c - see abi_binding.h. */
#include "support/abi_binding.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* dlsym into a function pointer of any type (memcpy avoids the
 * object-to-function pointer cast ISO C does not define). */
static int bind(void *handle, void *slot, const char *name, char *err, size_t cap)
{
    void *sym = dlsym(handle, name);
    if (!sym) {
        snprintf(err, cap, "symbol %s is missing", name);
        return -1;
    }
    memcpy(slot, &sym, sizeof sym);
    return 0;
}

int ta_abi_load(const char *path, ta_abi *abi, char *err, size_t cap)
{
    memset(abi, 0, sizeof *abi);
    abi->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!abi->handle) {
        snprintf(err, cap, "dlopen %s: %s", path, dlerror());
        return -1;
    }
    struct {
        void *slot;
        const char *name;
    } table[] = {
        {&abi->abi_version, "agentos_ext_abi_version"},
        {&abi->info, "agentos_ext_info"},
        {&abi->open, "agentos_ext_open"},
        {&abi->list_tools, "agentos_ext_list_tools"},
        {&abi->call, "agentos_ext_call"},
        {&abi->submit, "agentos_ext_submit"},
        {&abi->job_poll, "agentos_ext_job_poll"},
        {&abi->job_wait, "agentos_ext_job_wait"},
        {&abi->job_result, "agentos_ext_job_result"},
        {&abi->job_cancel, "agentos_ext_job_cancel"},
        {&abi->free, "agentos_ext_free"},
        {&abi->close, "agentos_ext_close"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (bind(abi->handle, table[i].slot, table[i].name, err, cap) != 0)
            return -1;
    return 0;
}
