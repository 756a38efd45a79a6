/*
 * a1111_emulator_main.c - the AUTOMATIC1111 emulator as a standalone
 * playground: `a1111-emulator [--port N] [--auth user:password]`. Prints
 * "listening on http://127.0.0.1:PORT" and runs until SIGINT/SIGTERM.
 * Without --auth the API is open, as A1111 without --api-auth.
 */
#include <stdio.h>
#include <string.h>

#include "emulators/a1111_emulator.h"
#include "emulators/emu_playground.h"

/* Playground hook: starts the emulator ("" = no auth). */
static void *start(int port, const char *auth)
{
    return a1111_emulator_start(port, auth);
}

/* Playground hook: the URL to print. */
static const char *base_url(const void *emu)
{
    return a1111_emulator_base_url(emu);
}

/* Playground hook: stops the emulator. */
static void stop(void *emu)
{
    a1111_emulator_stop(emu);
}

/* Runs the playground; --auth is the shared main's --key (which also works). */
int main(int argc, char **argv)
{
    static const emu_playground p = {"a1111-emulator", "", start, base_url, stop};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--auth"))
            argv[i] = "--key";
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: a1111-emulator [--port N (0 = ephemeral)] "
                   "[--auth user:password (default: none; --key is the same)]\n");
            return 0;
        }
    }
    return emu_playground_main(argc, argv, &p);
}
