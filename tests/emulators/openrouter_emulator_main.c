/*
 * openrouter_emulator_main.c - the OpenRouter emulator as a standalone
 * playground: `openrouter-emulator [--port N] [--key KEY]`. Prints
 * "listening on http://127.0.0.1:PORT/api/v1" and runs until SIGINT/SIGTERM.
 */
#include "emulators/emu_playground.h"
#include "emulators/openrouter_emulator.h"

/* Playground hook: starts the emulator. */
static void *start(int port, const char *key)
{
    return orr_emulator_start(port, key);
}

/* Playground hook: the base URL to print. */
static const char *base_url(const void *emu)
{
    return orr_emulator_base_url(emu);
}

/* Playground hook: stops the emulator. */
static void stop(void *emu)
{
    orr_emulator_stop(emu);
}

int main(int argc, char **argv)
{
    static const emu_playground p = {"openrouter-emulator", "sk-or-emulator", start, base_url,
                                     stop};
    return emu_playground_main(argc, argv, &p);
}
