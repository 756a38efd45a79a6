// test_header_cxx.cpp - agentos_ext.h must be usable from C++11 as is
// (compiled with -Wall -Wextra -Werror): extern "C" linkage, the types, the
// constants, and the exact prototypes FFI hosts rely on. Nothing is linked
// against the extension: the prototypes are only inspected with decltype.
#include <agentos_ext.h>

#include <cstdint>
#include <cstdio>
#include <type_traits>

#define SAME(fn, type) \
    static_assert(std::is_same<decltype(&fn), type>::value, #fn " has changed")

// The manifest's vocabulary: uint32/int32/int64 are fixed-width, strings are
// const char * (borrowed, static) or char * (owned), the instance an opaque
// pointer, and nothing is passed or returned by value as a struct.
SAME(agentos_ext_abi_version, std::uint32_t (*)());
SAME(agentos_ext_info, const char *(*)());
SAME(agentos_ext_open,
     agentos_ext *(*)(const char *, agentos_ext_log_fn, agentos_ext_progress_fn,
                      agentos_ext_event_fn, void *, char *, std::uint32_t));
SAME(agentos_ext_list_tools, char *(*)(agentos_ext *));
SAME(agentos_ext_call, char *(*)(agentos_ext *, const char *, const char *));
SAME(agentos_ext_submit, std::int64_t (*)(agentos_ext *, const char *, const char *,
                                          char *, std::uint32_t));
SAME(agentos_ext_job_poll, char *(*)(agentos_ext *, std::int64_t));
SAME(agentos_ext_job_wait, std::int32_t (*)(agentos_ext *, std::int64_t, std::uint32_t));
SAME(agentos_ext_job_result, char *(*)(agentos_ext *, std::int64_t));
SAME(agentos_ext_job_cancel, std::int32_t (*)(agentos_ext *, std::int64_t));
SAME(agentos_ext_free, void (*)(char *));
SAME(agentos_ext_close, void (*)(agentos_ext *));

static_assert(std::is_same<agentos_ext_log_fn,
                           void (*)(void *, std::int32_t, const char *)>::value,
              "log callback");
static_assert(std::is_same<agentos_ext_progress_fn, void (*)(void *, const char *)>::value,
              "progress callback");
static_assert(std::is_same<agentos_ext_event_fn, void (*)(void *, const char *)>::value,
              "event callback");

static_assert(AGENTOS_EXT_ABI_VERSION == 1u, "ABI version");
static_assert(AGENTOS_EXT_OK == 0 && AGENTOS_EXT_E_INVALID == -1 &&
                  AGENTOS_EXT_E_NOMEM == -2 && AGENTOS_EXT_E_NOT_FOUND == -3 &&
                  AGENTOS_EXT_E_BUSY == -4 && AGENTOS_EXT_E_CLOSING == -5 &&
                  AGENTOS_EXT_E_TIMEOUT == -6,
              "return codes");
static_assert(AGENTOS_EXT_JOB_QUEUED == 0 && AGENTOS_EXT_JOB_RUNNING == 1 &&
                  AGENTOS_EXT_JOB_SUCCEEDED == 2 && AGENTOS_EXT_JOB_FAILED == 3 &&
                  AGENTOS_EXT_JOB_CANCELED == 4,
              "job states");
static_assert(AGENTOS_EXT_LOG_ERROR == 0 && AGENTOS_EXT_LOG_WARN == 1 &&
                  AGENTOS_EXT_LOG_INFO == 2 && AGENTOS_EXT_LOG_DEBUG == 3,
              "log levels");

namespace {

int calls;

// C++ functions with C-compatible signatures can be handed over as callbacks.
extern "C" void log_cb(void *user_data, std::int32_t level, const char *message)
{
    (void)level;
    (void)message;
    ++*static_cast<int *>(user_data);
}

extern "C" void progress_cb(void *user_data, const char *json)
{
    (void)json;
    ++*static_cast<int *>(user_data);
}

} // namespace

int main()
{
    agentos_ext *ext = nullptr; // opaque: pointers only
    agentos_ext_log_fn log_fn = log_cb;
    agentos_ext_progress_fn progress = progress_cb;
    agentos_ext_event_fn event = progress_cb;
    log_fn(&calls, AGENTOS_EXT_LOG_WARN, "x");
    progress(&calls, "{}");
    event(&calls, "{}");
    if (ext != nullptr || calls != 3) {
        std::puts("header test failed");
        return 1;
    }
    return 0;
}
