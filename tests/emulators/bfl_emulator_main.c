/*
 * bfl_emulator_main.c - the BFL FLUX emulator as a standalone playground:
 * `bfl-emulator [--port N] [--key KEY]`. Prints "listening on
 * http://127.0.0.1:PORT" and runs until SIGINT/SIGTERM.
 */
#include "emulators/bfl_emulator.h"
#include "emulators/emu_playground.h"

/* Playground hook: starts the emulator. */
static void *start(int port, const char *key)
{
    return bfl_emulator_start(port, key);
}

/* Playground hook: the URL to print. */
static const char *base_url(const void *emu)
{
    return bfl_emulator_base_url(emu);
}

/* Playground hook: stops the emulator. */
static void stop(void *emu)
{
    bfl_emulator_stop(emu);
}

/* Runs the playground until SIGINT/SIGTERM. */
int main(int argc, char **argv)
{
    static const emu_playground p = {"bfl-emulator", "bfl-emulator-key", start, base_url, stop};
    return emu_playground_main(argc, argv, &p);
}
