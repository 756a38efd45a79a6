/*
 * ext_api.h - the host's view of an extension: the calls of the AgentOS
 * extension ABI made through the manifest-driven libffi binding.
 *
 * The host knows which functions it wants to call (agentos_ext_open, ...)
 * and what it will pass; the manifest says whether the library has them and
 * with which signatures. agx_ext_load checks, before opening anything, that
 * every function the host needs is declared with a signature compatible with
 * what the host passes, and that each callback the manifest names matches
 * the host's implementation.
 *
 * Strings returned here are copies owned by the caller (release with free());
 * library-owned results are released with the manifest's freeSymbol (for
 * "string_owned") or left alone (for "string_static") as the manifest says.
 *
 * Threads: agx_ext_load, agx_ext_open and agx_ext_unload from one thread;
 * the job calls may be made from any thread between open and unload.
 */
#ifndef AGX_EXT_API_H
#define AGX_EXT_API_H

#include <stddef.h>
#include <stdint.h>

#include "ffi_binding.h"
#include "host_callbacks.h"
#include "manifest_loader.h"

typedef struct agx_ext {
    agx_manifest manifest;
    agx_binding binding;
    void *instance; /* the opaque agentos_ext *, NULL until opened */
} agx_ext;

/* Return codes of agx_ext_load. */
#define AGX_EXT_OK 0
#define AGX_EXT_E_MANIFEST (-1) /* unreadable or invalid manifest */
#define AGX_EXT_E_LOAD (-2)     /* library, ABI version or symbol problem */

/*
 * Loads the manifest at manifest_path and binds its library (see
 * agx_binding_open: ABI version first, then every symbol). Also checks that
 * the manifest declares every function this host calls with a compatible
 * signature and that the host supports the declared ABI version.
 * Returns AGX_EXT_OK, or an AGX_EXT_E_* code with a message in err; on
 * failure *e is empty and needs no unload.
 */
int agx_ext_load(agx_ext *e, const char *manifest_path, char *err,
                 size_t errsz);

/* The library's info JSON (agentos_ext_info), copied; NULL on failure. */
char *agx_ext_info(agx_ext *e);

/*
 * Opens an instance with config_json (borrowed; may be NULL). Callback
 * parameters are filled from the host's implementations by the callback
 * names the manifest gives; ctx is the user_data and must outlive the
 * instance. Returns 0, or -1 with the extension's message in err.
 */
int agx_ext_open(agx_ext *e, const char *config_json, agx_host_ctx *ctx,
                 char *err, size_t errsz);

/* agentos_ext_list_tools: the tools JSON array, copied; NULL on failure. */
char *agx_ext_list_tools(agx_ext *e);

/* agentos_ext_call: the result envelope, copied; NULL on failure. */
char *agx_ext_call(agx_ext *e, const char *tool, const char *args_json);

/* agentos_ext_submit: a job id > 0, or a negative AGENTOS_EXT_E_* code with
 * the extension's message in err. */
int64_t agx_ext_submit(agx_ext *e, const char *tool, const char *args_json,
                       char *err, size_t errsz);

/* agentos_ext_job_wait / _cancel: the extension's int32 result. */
int32_t agx_ext_job_wait(agx_ext *e, int64_t job_id, uint32_t timeout_ms);
int32_t agx_ext_job_cancel(agx_ext *e, int64_t job_id);

/* agentos_ext_job_poll / _result: copied JSON, or NULL. */
char *agx_ext_job_poll(agx_ext *e, int64_t job_id);
char *agx_ext_job_result(agx_ext *e, int64_t job_id);

/*
 * Closes the instance (if open; agentos_ext_close) and releases the
 * binding and the manifest. The library stays mapped. Must be the last call
 * on e, with no other call on it in flight.
 */
void agx_ext_unload(agx_ext *e);

#endif
