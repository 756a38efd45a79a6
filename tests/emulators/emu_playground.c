/* emu_playground.c - the shared playground main() (see emu_playground.h). */
#include "emulators/emu_playground.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int stop_pipe[2] = {-1, -1};

/* SIGINT/SIGTERM: wake main(). A handler rather than sigwait, because a
 * thread started before main() (AddressSanitizer's) does not block the
 * signals, and the default action there would kill the process mid-stop. */
static void on_stop_signal(int sig)
{
    int saved = errno;
    ssize_t ignored = write(stop_pipe[1], &sig, 1);
    (void)ignored;
    errno = saved;
}

/* Prints the usage line to f. */
static void usage(FILE *f, const emu_playground *p)
{
    fprintf(f, "usage: %s [--port N (0 = ephemeral)] [--key KEY (default %s)]\n", p->name,
            p->default_key);
}

int emu_playground_main(int argc, char **argv, const emu_playground *p)
{
    int port = 0;
    const char *key = p->default_key;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 65535) {
                usage(stderr, p);
                return 2;
            }
            port = (int)v;
        } else if (!strcmp(argv[i], "--key") && i + 1 < argc) {
            key = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout, p);
            return 0;
        } else {
            usage(stderr, p);
            return 2;
        }
    }
    if (pipe(stop_pipe) != 0)
        return 1;
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    void *emu = p->start(port, key);
    if (!emu) {
        fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d\n", p->name, port);
        return 1;
    }
    printf("listening on %s\n", p->base_url(emu));
    fflush(stdout);
    char sig;
    while (read(stop_pipe[0], &sig, 1) < 0 && errno == EINTR)
        ;
    p->stop(emu);
    return 0;
}
