/*
 * openai_emulator_main.c - the OpenAI Images emulator as a standalone
 * playground: `openai-emulator [--port N] [--key KEY]`. Prints
 * "listening on http://127.0.0.1:PORT/v1" and runs until SIGINT/SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/openai_emulator.h"

/* Prints the usage line to f. */
static void usage(FILE *f)
{
    fprintf(f, "usage: openai-emulator [--port N (0 = ephemeral)] [--key KEY (default "
               "sk-emulator)]\n");
}

int main(int argc, char **argv)
{
    int port = 0;
    const char *key = "sk-emulator";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 65535) {
                usage(stderr);
                return 2;
            }
            port = (int)v;
        } else if (!strcmp(argv[i], "--key") && i + 1 < argc) {
            key = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    /* Block the signals before the daemon's threads start, then wait for one. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    oai_emulator *emu = oai_emulator_start(port, key);
    if (!emu) {
        fprintf(stderr, "openai-emulator: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    printf("listening on %s\n", oai_emulator_base_url(emu));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    oai_emulator_stop(emu);
    return 0;
}
