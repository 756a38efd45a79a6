/*
 * test_header_c11.c - agentos_ext.h must compile as strict ISO C11
 * (-std=c11 -pedantic-errors -Wall -Wextra -Werror) and declare exactly the
 * prototypes FFI hosts rely on. Nothing is linked against the extension:
 * the prototypes are only inspected with _Generic, which never evaluates.
 */
#include <agentos_ext.h>

#include <stdint.h>
#include <stdio.h>

#define SAME(fn, type) _Static_assert(_Generic(&fn, type: 1, default: 0), #fn " has changed")

SAME(agentos_ext_abi_version, uint32_t (*)(void));
SAME(agentos_ext_info, const char *(*)(void));
SAME(agentos_ext_open, agentos_ext *(*)(const char *, agentos_ext_log_fn,
                                        agentos_ext_progress_fn, agentos_ext_event_fn,
                                        void *, char *, uint32_t));
SAME(agentos_ext_list_tools, char *(*)(agentos_ext *));
SAME(agentos_ext_call, char *(*)(agentos_ext *, const char *, const char *));
SAME(agentos_ext_submit, int64_t (*)(agentos_ext *, const char *, const char *, char *,
                                     uint32_t));
SAME(agentos_ext_job_poll, char *(*)(agentos_ext *, int64_t));
SAME(agentos_ext_job_wait, int32_t (*)(agentos_ext *, int64_t, uint32_t));
SAME(agentos_ext_job_result, char *(*)(agentos_ext *, int64_t));
SAME(agentos_ext_job_cancel, int32_t (*)(agentos_ext *, int64_t));
SAME(agentos_ext_free, void (*)(char *));
SAME(agentos_ext_close, void (*)(agentos_ext *));

_Static_assert(AGENTOS_EXT_ABI_VERSION == 1u, "ABI version");
_Static_assert(AGENTOS_EXT_E_TIMEOUT == -6 && AGENTOS_EXT_JOB_CANCELED == 4,
               "constants");

static int calls;

static void log_cb(void *user_data, int32_t level, const char *message)
{
    (void)level;
    (void)message;
    ++*(int *)user_data;
}

static void json_cb(void *user_data, const char *json)
{
    (void)json;
    ++*(int *)user_data;
}

int main(void)
{
    agentos_ext *ext = NULL;
    agentos_ext_log_fn log_fn = log_cb;
    agentos_ext_progress_fn progress = json_cb;
    agentos_ext_event_fn event = json_cb;
    log_fn(&calls, AGENTOS_EXT_LOG_ERROR, "x");
    progress(&calls, "{}");
    event(&calls, "{}");
    if (ext != NULL || calls != 3) {
        puts("header test failed");
        return 1;
    }
    return 0;
}
