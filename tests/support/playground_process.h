/*
 * playground_process.h - runs an emulator playground binary as a child
 * process for the emulator suites (Criterion): start it on an ephemeral
 * port, read the base URL it prints, stop it with SIGTERM and check it
 * exits cleanly.
 */
#ifndef IG_PLAYGROUND_PROCESS_H
#define IG_PLAYGROUND_PROCESS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct playground_process {
    pid_t pid;
    char base_url[256]; /* what it printed after "listening on " */
    int port;
} playground_process;

/* Starts binary --port 0 --key key and waits for its "listening on" line
 * (asserts). */
playground_process pp_start(const char *binary, const char *key);

/* Sends SIGTERM, waits, and expects exit status 0. */
void pp_stop(playground_process *p);

#endif
