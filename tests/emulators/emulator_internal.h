/* emulator_internal.h - state shared by emulator_core.c and emulator_state.c. */
#ifndef IG_EMULATOR_INTERNAL_H
#define IG_EMULATOR_INTERNAL_H

#include <pthread.h>

#include "emulators/emulator_core.h"

typedef struct emu_fault_slot {
    emu_fault f; /* f.path malloc'd or NULL */
    int remaining;
} emu_fault_slot;

typedef struct emu_log_entry {
    char *method, *path, *content_type, *user_agent, *accept, *idempotency_key;
    emu_auth auth;
    size_t body_size;
    size_t part_count;
    char **part_names, **part_filenames, **part_types;
    size_t *part_sizes;
    int status;
    emu_fault_kind fault;
} emu_log_entry;

struct emu_server {
    struct MHD_Daemon *daemon;
    emu_config cfg; /* strings owned */
    int port;
    char url[64];
    pthread_mutex_t lock;
    pthread_cond_t changed; /* log appended or stopping */
    bool stopping;
    emu_fault_slot *faults;
    size_t fault_count, fault_cap;
    emu_log_entry *log;
    size_t log_count, log_cap;
};

/* Appends a log entry for req (under the lock); returns its index. */
size_t emu_log_append(emu_server *s, const emu_request *req,
                      const char *user_agent, const char *accept,
                      const char *idempotency_key);
/* Records the answer of log entry idx. */
void emu_log_finish(emu_server *s, size_t idx, int status, emu_fault_kind fault);
/* Takes one use of the first fault matching path (out->path is NULL); false when none. */
bool emu_fault_take(emu_server *s, const char *path, emu_fault *out);
/* Serves a control path; false when path is not one. */
bool emu_control(emu_server *s, const emu_request *req, emu_response *out);
/* Frees faults and the log (at stop). */
void emu_state_free(emu_server *s);
/* Aborts on out of memory: the emulators are test code. */
void *emu_xalloc(size_t size);
char *emu_xstrdup(const char *s);

#endif
