/*
 * agentos_ext.h - the AgentOS host extension ABI, version 1.
 *
 * This is the only public header of the image-generation extension. A host
 * (an agent runtime) dlopen()s the extension's shared object, checks
 * agentos_ext_abi_version() against "abi.version" in the extension's
 * manifest (<id>.ext.json) before calling anything else, opens an instance,
 * lists its tools and forwards tool calls to it.
 *
 * FFI rules. Every exported function takes and returns only pointers,
 * fixed-width integers and NUL-terminated UTF-8 strings, never a struct by
 * value, so that Node (koffi), Python (ctypes) and C (libffi) hosts can call
 * it from the signatures listed in the manifest. Structured data crosses the
 * boundary as JSON text.
 *
 * Ownership rules, the same for every function:
 *   - const char * arguments are borrowed for the duration of the call only;
 *     the extension copies what it keeps.
 *   - char * results are owned by the caller and must be released with
 *     agentos_ext_free(), never with the host's own free().
 *   - const char * results are static and live as long as the library stays
 *     loaded.
 *   - Callback arguments are borrowed for the duration of the callback.
 *
 * Threads: once agentos_ext_open() has returned, every function taking an
 * instance may be called from any thread, concurrently, except that
 * agentos_ext_close() must be the last call on that instance and must not
 * run concurrently with other calls on it nor from inside a callback.
 *
 * Unloading: the library is linked with -z nodelete, so dlclose() leaves it
 * mapped (its image libraries register process-wide state). Close every
 * instance before dlclose; loading it again later is fine.
 *
 * Versioning: this header only grows. New functions are added with new
 * names; existing signatures never change within an ABI version. A host
 * that needs a newer function looks it up with dlsym and copes with NULL.
 */
#ifndef AGENTOS_EXT_H
#define AGENTOS_EXT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. Bumped only on incompatible change. */
#define AGENTOS_EXT_ABI_VERSION 1u

#if defined(AGENTOS_EXT_BUILDING) && (defined(__GNUC__) || defined(__clang__))
#define AGENTOS_EXT_API __attribute__((visibility("default")))
#else
#define AGENTOS_EXT_API
#endif

/* Opaque extension instance. */
typedef struct agentos_ext agentos_ext;

/* Return codes of functions returning int32_t. Only grows. */
#define AGENTOS_EXT_OK 0
#define AGENTOS_EXT_E_INVALID (-1)   /* NULL or malformed argument to an ABI call */
#define AGENTOS_EXT_E_NOMEM (-2)     /* out of memory */
#define AGENTOS_EXT_E_NOT_FOUND (-3) /* unknown job id (or already released) */
#define AGENTOS_EXT_E_BUSY (-4)      /* too many unfinished jobs; retry later */
#define AGENTOS_EXT_E_CLOSING (-5)   /* the instance is being closed */
#define AGENTOS_EXT_E_TIMEOUT (-6)   /* agentos_ext_job_wait() timed out */

/* Job states, as returned by agentos_ext_job_wait() and named in poll JSON. */
#define AGENTOS_EXT_JOB_QUEUED 0
#define AGENTOS_EXT_JOB_RUNNING 1
#define AGENTOS_EXT_JOB_SUCCEEDED 2
#define AGENTOS_EXT_JOB_FAILED 3
#define AGENTOS_EXT_JOB_CANCELED 4

/* Log levels passed to the log callback. */
#define AGENTOS_EXT_LOG_ERROR 0
#define AGENTOS_EXT_LOG_WARN 1
#define AGENTOS_EXT_LOG_INFO 2
#define AGENTOS_EXT_LOG_DEBUG 3

/*
 * Host callbacks. Any of them may be NULL. They may be called from any thread
 * the extension runs (the caller's thread for agentos_ext_call(), a worker
 * thread for submitted jobs), concurrently, so they must be thread-safe. They
 * must return quickly and must not call agentos_ext_close(). Strings never
 * contain secrets: API keys are redacted before any text leaves the extension.
 *
 * log:      one human-readable line, no trailing newline.
 * progress: JSON {"jobId":N,"tool":"...","progress":0..1,"stage":"...",
 *           "message":"..."}; jobId is 0 for synchronous calls.
 * event:    JSON {"type":"...", ...}: {"type":"job.finished","jobId",
 *           "tool","status"} and {"type":"provider.fallback","from","to",
 *           "errorClass","code","httpStatus","cooldownSeconds"}.
 */
typedef void (*agentos_ext_log_fn)(void *user_data, int32_t level,
                                   const char *message);
typedef void (*agentos_ext_progress_fn)(void *user_data,
                                        const char *progress_json);
typedef void (*agentos_ext_event_fn)(void *user_data, const char *event_json);

/*
 * The ABI version compiled into the library (AGENTOS_EXT_ABI_VERSION of the
 * header it was built with). Call first; refuse to go on when it differs from
 * what the host and the manifest expect. Any thread; no side effects.
 */
AGENTOS_EXT_API uint32_t agentos_ext_abi_version(void);

/*
 * Static JSON describing the library: {"id","name","version","abiVersion"}.
 * The string is owned by the library and lives while it is loaded.
 * Any thread; no side effects.
 */
AGENTOS_EXT_API const char *agentos_ext_info(void);

/*
 * Opens an instance.
 *   config_json: the host's agent config document (agent.config.json content;
 *                may be NULL or "" for defaults). The extension reads its own
 *                section "imageGeneration" and "providerPreferences.image" and
 *                ignores the host's other keys. Borrowed.
 *   log_fn, progress_fn, event_fn: optional callbacks (see above).
 *   user_data:   passed back verbatim to every callback; never dereferenced.
 *                Must stay valid until agentos_ext_close() returns.
 *   error_buf, error_buf_size: on failure, a NUL-terminated message naming the
 *                offending config key is written there (truncated to fit).
 *                May be NULL/0.
 * Returns the instance, or NULL on failure. Several instances may coexist.
 * Any thread.
 */
AGENTOS_EXT_API agentos_ext *agentos_ext_open(const char *config_json,
                                              agentos_ext_log_fn log_fn,
                                              agentos_ext_progress_fn progress_fn,
                                              agentos_ext_event_fn event_fn,
                                              void *user_data, char *error_buf,
                                              uint32_t error_buf_size);

/*
 * The tools as a JSON array: [{"name","description","inputSchema":{...}}].
 * Returns a caller-owned string (free with agentos_ext_free), NULL only when
 * ext is NULL or memory is exhausted. Any thread.
 */
AGENTOS_EXT_API char *agentos_ext_list_tools(agentos_ext *ext);

/*
 * Runs a tool synchronously on the calling thread and returns its result
 * envelope as JSON (see README "Results"): {"ok":true|false, ...}. A bad
 * call, an unknown tool or a provider failure is reported inside the JSON,
 * never as NULL. Returns NULL only when ext is NULL or memory is exhausted.
 * The result is caller-owned (free with agentos_ext_free). Any thread;
 * concurrent calls are fine. Use agentos_ext_submit() for cancellable work.
 */
AGENTOS_EXT_API char *agentos_ext_call(agentos_ext *ext, const char *tool_name,
                                       const char *args_json);

/*
 * Queues a tool call as a job and returns at once.
 * Returns a job id > 0, or a negative AGENTOS_EXT_E_* code with a message in
 * error_buf (may be NULL/0). Arguments are copied; validation happens in the
 * job, so a bad call still yields a job whose result explains the error.
 * The job lives until its result is taken with agentos_ext_job_result() or
 * the instance is closed. Any thread.
 */
AGENTOS_EXT_API int64_t agentos_ext_submit(agentos_ext *ext,
                                           const char *tool_name,
                                           const char *args_json,
                                           char *error_buf,
                                           uint32_t error_buf_size);

/*
 * A job's state as JSON: {"jobId","tool","status":"queued|running|succeeded|
 * failed|canceled|not_found","done":bool,"progress":0..1,"stage","message"}.
 * Never blocks. Caller-owned (free with agentos_ext_free); NULL only when ext
 * is NULL or memory is exhausted. Any thread.
 */
AGENTOS_EXT_API char *agentos_ext_job_poll(agentos_ext *ext, int64_t job_id);

/*
 * Blocks up to timeout_ms milliseconds for the job to finish. Returns its
 * AGENTOS_EXT_JOB_* state once finished, AGENTOS_EXT_E_TIMEOUT if it is still
 * queued or running, or AGENTOS_EXT_E_NOT_FOUND. timeout_ms 0 = do not wait.
 * Any thread.
 */
AGENTOS_EXT_API int32_t agentos_ext_job_wait(agentos_ext *ext, int64_t job_id,
                                             uint32_t timeout_ms);

/*
 * Takes a finished job's result envelope (the same JSON agentos_ext_call
 * returns) and releases the job: afterwards its id is unknown. Returns NULL
 * while the job is unfinished or when the id is unknown. Caller-owned.
 * Any thread.
 */
AGENTOS_EXT_API char *agentos_ext_job_result(agentos_ext *ext, int64_t job_id);

/*
 * Asks a job to stop. A queued job ends at once; a running one stops at its
 * next cancellation point (provider transfers are interrupted) and ends with
 * status "canceled" and error code "canceled". Images already written to the
 * image store stay there. Returns AGENTOS_EXT_OK (also when the job had
 * already finished) or AGENTOS_EXT_E_NOT_FOUND. Any thread.
 */
AGENTOS_EXT_API int32_t agentos_ext_job_cancel(agentos_ext *ext,
                                               int64_t job_id);

/*
 * Releases a string returned by this library. NULL is ignored. Any thread.
 */
AGENTOS_EXT_API void agentos_ext_free(char *text);

/*
 * Closes the instance: no new calls or jobs are accepted, queued and running
 * jobs are allowed to finish (cancel them first to hurry), results nobody took
 * are discarded, and everything is freed. NULL is ignored. Must be the last
 * call on ext, from one thread, not from inside a callback.
 */
AGENTOS_EXT_API void agentos_ext_close(agentos_ext *ext);

#ifdef __cplusplus
}
#endif

#endif /* AGENTOS_EXT_H */
