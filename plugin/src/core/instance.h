/*
 * instance.h - one opened extension instance (the agentos_ext handle).
 *
 * Holds what every call shares: the config, the redactor, the image store,
 * the compiled tools, the job table, the routing state and the host's
 * callbacks. Immutable after ig_instance_open except the job table, the
 * routing state and the backends' states, which are thread-safe, so any
 * number of threads may run calls on one instance at once.
 */
#ifndef IG_INSTANCE_H
#define IG_INSTANCE_H

#include "agentos_ext.h"
#include "core/config.h"
#include "core/ig_error.h"
#include "core/jobs.h"
#include "core/redact.h"
#include "image/image_store.h"
#include "providers/fallback/routing_state.h"
#include "providers/transport/http_client.h"
#include "tools/tool_table.h"

typedef struct cJSON cJSON;

struct agentos_ext {
    ig_config config;
    ig_redactor *redactor;
    ig_image_store *store;
    ig_http *http;            /* provider connections, shared by all calls */
    ig_routing_state *routing; /* cooldowns and draws, shared by all calls */
    ig_tool_table *tools;
    ig_jobs *jobs;
    ig_job_ops job_ops;
    void *backend_state[IG_PROVIDER_COUNT]; /* see ig_backend.state_new */
    agentos_ext_log_fn log_fn;
    agentos_ext_progress_fn progress_fn;
    agentos_ext_event_fn event_fn;
    void *user_data;
};
typedef struct agentos_ext ig_instance;

/*
 * Opens an instance from the host config text (borrowed, may be NULL).
 * Creates the image directory. Returns NULL with err on failure. Callbacks
 * and user_data are kept until ig_instance_close.
 */
ig_instance *ig_instance_open(const char *config_json, agentos_ext_log_fn log_fn,
                              agentos_ext_progress_fn progress_fn,
                              agentos_ext_event_fn event_fn, void *user_data,
                              ig_error *err);

/* Waits for jobs, then frees everything. NULL is ignored. */
void ig_instance_close(ig_instance *inst);

/*
 * Queues a tool call as a job (see agentos_ext_submit); NULL args = {}.
 * The tool name is redacted before the job keeps it, since polls show it.
 * Returns the job id or a negative AGENTOS_EXT_E_* code. Any thread.
 */
int64_t ig_instance_submit(ig_instance *inst, const char *tool, const char *args);

/* Sends one redacted log line to the host (if it gave a log callback). */
void ig_instance_log(const ig_instance *inst, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sends a redacted progress or event payload (borrowed) to the host. */
void ig_instance_progress(const ig_instance *inst, const cJSON *payload);
void ig_instance_event(const ig_instance *inst, const cJSON *payload);

#endif
