/*
 * replicate_emulator_main.c - the Replicate emulator as a standalone
 * playground: `replicate-emulator [--port N] [--key TOKEN]`. Prints
 * "listening on http://127.0.0.1:PORT/v1" (REPLICATE_BASE_URL) and runs
 * until SIGINT/SIGTERM.
 */
#include "emulators/emu_playground.h"
#include "emulators/replicate_emulator.h"

/* Playground hook: starts the emulator. */
static void *start(int port, const char *key)
{
    return replicate_emulator_start(port, key);
}

/* Playground hook: the URL to print. */
static const char *base_url(const void *emu)
{
    return replicate_emulator_base_url(emu);
}

/* Playground hook: stops the emulator. */
static void stop(void *emu)
{
    replicate_emulator_stop(emu);
}

/* Runs the playground until SIGINT/SIGTERM. */
int main(int argc, char **argv)
{
    static const emu_playground p = {"replicate-emulator", "r8_emulator_token", start,
                                     base_url, stop};
    return emu_playground_main(argc, argv, &p);
}
