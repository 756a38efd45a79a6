/*
 * emu_held.h - a request left hanging on its own thread, for the suites
 * that prove an emulator stops promptly while it holds a request (a
 * "timeout" fault). Used by one test thread.
 */
#ifndef IG_EMU_HELD_H
#define IG_EMU_HELD_H

#include <pthread.h>

#include "emulators/emu_client.h"
#include "emulators/emulator_core.h"

typedef struct emu_held {
    ec_call call;      /* copied; its strings and parts are borrowed */
    ec_result result;
    pthread_t thread;
} emu_held;

/* Sends call on a new thread and waits (up to 60 s) until server has
 * logged a request to path. Returns 0, or -1 when the thread could not
 * start (nothing to finish) or the request never arrived (finish it). */
int emu_held_start(emu_held *held, emu_server *server, const char *path,
                   const ec_call *call);

/* Joins the thread and returns what the request got (caller frees). */
ec_result emu_held_finish(emu_held *held);

/* Monotonic milliseconds, for timing a stop. */
long long emu_now_ms(void);

#endif
