/*
 * fal_emulator_main.c - the fal queue emulator as a standalone playground:
 * `fal-emulator [--port N] [--key KEY]`. Prints "listening on
 * http://127.0.0.1:PORT" and runs until SIGINT/SIGTERM.
 */
#include "emulators/emu_playground.h"
#include "emulators/fal_emulator.h"

/* Playground hook: starts the emulator. */
static void *start(int port, const char *key)
{
    return fal_emulator_start(port, key);
}

/* Playground hook: the URL to print. */
static const char *base_url(const void *emu)
{
    return fal_emulator_base_url(emu);
}

/* Playground hook: stops the emulator. */
static void stop(void *emu)
{
    fal_emulator_stop(emu);
}

/* Runs the playground until SIGINT/SIGTERM. */
int main(int argc, char **argv)
{
    static const emu_playground p = {"fal-emulator", "fal-emulator-key", start, base_url, stop};
    return emu_playground_main(argc, argv, &p);
}
