/* emu_held.c - see emu_held.h. */
#include "emulators/emu_held.h"

#include <time.h>

/* Thread body: the request, with whatever timeout the call set (none). */
static void *send_held(void *arg)
{
    emu_held *held = arg;
    held->result = ec_send(&held->call);
    return NULL;
}

int emu_held_start(emu_held *held, emu_server *server, const char *path,
                   const ec_call *call)
{
    held->call = *call;
    if (pthread_create(&held->thread, NULL, send_held, held) != 0)
        return -1;
    return emu_wait_requests(server, path, 1, 60000);
}

ec_result emu_held_finish(emu_held *held)
{
    pthread_join(held->thread, NULL);
    return held->result;
}

long long emu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
