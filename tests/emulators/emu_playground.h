/*
 * emu_playground.h - the shared main() of every emulator playground binary:
 * `<name> [--port N] [--key KEY]` prints "listening on <base url>" and runs
 * until SIGINT/SIGTERM. Call it from main() before any thread starts.
 */
#ifndef IG_EMU_PLAYGROUND_H
#define IG_EMU_PLAYGROUND_H

typedef struct emu_playground {
    const char *name;        /* "openai-emulator" */
    const char *default_key; /* accepted when --key is not given */
    void *(*start)(int port, const char *key); /* NULL when it cannot listen */
    const char *(*base_url)(const void *emulator);
    void (*stop)(void *emulator);
} emu_playground;

/* Parses argv, runs the emulator until a signal, returns the exit code. */
int emu_playground_main(int argc, char **argv, const emu_playground *p);

#endif
