/*
 * cli_args.h - command-line parsing for agentos-ext.
 *
 * Options may appear anywhere after the command; "--" ends them; "-" alone
 * is an ordinary argument (the call command reads its JSON from stdin).
 * Each command accepts only its own options. No global state.
 */
#ifndef AGX_CLI_ARGS_H
#define AGX_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#define AGX_CLI_MAX_POSITIONAL 4

typedef struct agx_cli {
    const char *argv0;
    const char *command;   /* "enable", "tools", "call", "info"; NULL = none */
    const char *positional[AGX_CLI_MAX_POSITIONAL]; /* after the command */
    size_t npositional;
    const char *config_path; /* --config */
    const char *extension;   /* --extension */
    double timeout_s;        /* --timeout, > 0 when given */
    bool has_timeout;
    bool json;               /* --json */
    bool verbose;            /* --verbose / -v */
    bool help;               /* -h / --help anywhere */
} agx_cli;

/*
 * Parses argv into *out (argument strings are borrowed from argv).
 * Returns 0, or -1 with a one-line message in err for a usage error
 * (unknown command or option, missing or extra arguments, an option the
 * command does not take, a bad --timeout). With -h/--help it returns 0 and
 * sets out->help, whatever else is on the line.
 */
int agx_cli_parse(int argc, char **argv, agx_cli *out, char *err, size_t errsz);

/* The usage text (static). */
const char *agx_cli_usage(void);

#endif
