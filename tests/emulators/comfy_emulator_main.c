/*
 * comfy_emulator_main.c - the ComfyUI emulator as a standalone playground:
 * `comfyui-emulator [--port N] [--key USER:PASSWORD]`. Without --key it
 * asks for no auth, like ComfyUI itself; with it, HTTP Basic auth as a
 * reverse proxy would. Prints "listening on http://127.0.0.1:PORT" and
 * runs until SIGINT/SIGTERM.
 */
#include "emulators/comfy_emulator.h"
#include "emulators/emu_playground.h"

/* Playground hook: starts the emulator ("" = no auth). */
static void *start(int port, const char *key)
{
    return comfy_emulator_start(port, key && *key ? key : NULL);
}

/* Playground hook: the URL to print. */
static const char *base_url(const void *emu)
{
    return comfy_emulator_base_url(emu);
}

/* Playground hook: stops the emulator. */
static void stop(void *emu)
{
    comfy_emulator_stop(emu);
}

/* Runs the playground until SIGINT/SIGTERM. */
int main(int argc, char **argv)
{
    static const emu_playground p = {"comfyui-emulator", "", start, base_url, stop};
    return emu_playground_main(argc, argv, &p);
}
