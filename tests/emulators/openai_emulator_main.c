/*
 * openai_emulator_main.c - the OpenAI Images emulator as a standalone
 * playground: `openai-emulator [--port N] [--key KEY]`. Prints
 * "listening on http://127.0.0.1:PORT/v1" and runs until SIGINT/SIGTERM.
 */
#include "emulators/emu_playground.h"
#include "emulators/openai_emulator.h"

static void *start(int port, const char *key)
{
    return oai_emulator_start(port, key);
}

static const char *base_url(const void *emu)
{
    return oai_emulator_base_url(emu);
}

static void stop(void *emu)
{
    oai_emulator_stop(emu);
}

int main(int argc, char **argv)
{
    static const emu_playground p = {"openai-emulator", "sk-emulator", start, base_url, stop};
    return emu_playground_main(argc, argv, &p);
}
