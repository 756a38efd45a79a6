/*
 * stability_emulator_main.c - the Stability v2beta emulator as a standalone
 * playground: `stability-emulator [--port N] [--key KEY]`. Prints
 * "listening on http://127.0.0.1:PORT" and runs until SIGINT/SIGTERM.
 */
#include "emulators/emu_playground.h"
#include "emulators/stability_emulator.h"

/* Playground hook: starts the emulator. */
static void *start(int port, const char *key)
{
    return stab_emulator_start(port, key);
}

/* Playground hook: the URL to print. */
static const char *base_url(const void *emu)
{
    return stab_emulator_base_url(emu);
}

/* Playground hook: stops the emulator. */
static void stop(void *emu)
{
    stab_emulator_stop(emu);
}

int main(int argc, char **argv)
{
    static const emu_playground p = {"stability-emulator", "sk-stability-emulator", start,
                                     base_url, stop};
    return emu_playground_main(argc, argv, &p);
}
