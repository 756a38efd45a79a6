/* cli_args.c - see cli_args.h. */
#include "cli_args.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_CONFIG = 1 << 0,
    OPT_JSON = 1 << 1,
    OPT_EXTENSION = 1 << 2,
    OPT_TIMEOUT = 1 << 3,
};

typedef struct command_rule {
    const char *name;
    size_t min_args, max_args;
    unsigned options;
} command_rule;

static const command_rule rules[] = {
    {"enable", 1, 1, OPT_CONFIG},
    {"tools", 0, 1, OPT_CONFIG | OPT_JSON},
    {"call", 2, 2, OPT_EXTENSION | OPT_CONFIG | OPT_TIMEOUT},
    {"info", 0, 1, 0},
};

const char *agx_cli_usage(void)
{
    return "Usage: agentos-ext COMMAND [ARGS] [OPTIONS]\n"
           "\n"
           "Loads AgentOS extensions through their manifest (<name>.ext.json)\n"
           "and libffi, exactly as an FFI host does.\n"
           "\n"
           "Commands:\n"
           "  enable NAME [--config FILE]      open NAME and list the tools it adds\n"
           "  tools [NAME] [--config FILE] [--json]\n"
           "                                   list the tools (--json: the raw array)\n"
           "  call TOOL JSON [--extension NAME] [--config FILE] [--timeout SECONDS]\n"
           "                                   run TOOL as a job and print its result;\n"
           "                                   JSON '-' reads the arguments from stdin\n"
           "  info [NAME]                      show the manifest, library and info JSON\n"
           "  help                             show this help\n"
           "\n"
           "NAME defaults to image-generation; a NAME containing '/' is a manifest path.\n"
           "\n"
           "Options:\n"
           "  --config FILE     agent config document (agent.config.json) for the instance\n"
           "  --extension NAME  extension that provides TOOL (call)\n"
           "  --timeout SECONDS cancel the job after this long (call)\n"
           "  --json            print JSON instead of text (tools)\n"
           "  -v, --verbose     show every extension log line and event\n"
           "  -h, --help        show this help\n"
           "\n"
           "Manifests are searched in each directory of $AGENTOS_EXTENSIONS_PATH,\n"
           "then <dir of agentos-ext>/extensions, then the install directory, as\n"
           "<dir>/NAME.ext.json or <dir>/NAME/NAME.ext.json.\n"
           "\n"
           "Exit status: 0 success, 1 the tool reported an error, 2 usage error\n"
           "(bad arguments, unreadable config, extension not found, ABI mismatch).\n";
}

static const command_rule *find_rule(const char *name)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (!strcmp(rules[i].name, name))
            return &rules[i];
    return NULL;
}

/* Splits "--name=value"; returns the value part or NULL. */
static const char *inline_value(const char *arg, const char *name)
{
    size_t n = strlen(name);
    if (!strncmp(arg, name, n) && arg[n] == '=')
        return arg + n + 1;
    return NULL;
}

/* Matches an option taking a value, in "--opt V" or "--opt=V" form. */
static int take_value(int argc, char **argv, int *i, const char *name,
                      const char **value, char *err, size_t errsz)
{
    const char *arg = argv[*i];
    const char *v = inline_value(arg, name);
    if (v) {
        *value = v;
        return 1;
    }
    if (strcmp(arg, name) != 0)
        return 0;
    if (*i + 1 >= argc) {
        snprintf(err, errsz, "option %s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

static int parse_timeout(const char *text, agx_cli *out, char *err, size_t errsz)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (!end || end == text || *end || !isfinite(v) || v <= 0) {
        snprintf(err, errsz, "--timeout needs a positive number of seconds, "
                 "got \"%s\"", text);
        return -1;
    }
    out->timeout_s = v;
    out->has_timeout = true;
    return 0;
}

/* Handles one option at argv[*i]; sets *seen to the option's bit. */
static int parse_option(int argc, char **argv, int *i, agx_cli *out,
                        unsigned *seen, char *err, size_t errsz)
{
    const char *arg = argv[*i];
    const char *value = NULL;
    int r;
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
        out->help = true;
        return 0;
    }
    if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
        out->verbose = true;
        return 0;
    }
    if (!strcmp(arg, "--json")) {
        out->json = true;
        *seen |= OPT_JSON;
        return 0;
    }
    if ((r = take_value(argc, argv, i, "--config", &value, err, errsz)) != 0) {
        out->config_path = value;
        *seen |= OPT_CONFIG;
        return r < 0 ? -1 : 0;
    }
    if ((r = take_value(argc, argv, i, "--extension", &value, err, errsz)) != 0) {
        out->extension = value;
        *seen |= OPT_EXTENSION;
        return r < 0 ? -1 : 0;
    }
    if ((r = take_value(argc, argv, i, "--timeout", &value, err, errsz)) != 0) {
        *seen |= OPT_TIMEOUT;
        return r < 0 ? -1 : parse_timeout(value, out, err, errsz);
    }
    snprintf(err, errsz, "unknown option %s", arg);
    return -1;
}

/* Checks the command, its argument count and its options. */
static int check_command(const agx_cli *out, unsigned seen, char *err,
                         size_t errsz)
{
    if (!out->command) {
        snprintf(err, errsz, "no command given");
        return -1;
    }
    const command_rule *rule = find_rule(out->command);
    if (!rule) {
        snprintf(err, errsz, "unknown command \"%s\"", out->command);
        return -1;
    }
    if (out->npositional < rule->min_args) {
        snprintf(err, errsz, "%s: missing argument", rule->name);
        return -1;
    }
    if (out->npositional > rule->max_args) {
        snprintf(err, errsz, "%s: unexpected argument \"%s\"", rule->name,
                 out->positional[rule->max_args]);
        return -1;
    }
    static const struct { unsigned bit; const char *name; } names[] = {
        {OPT_CONFIG, "--config"}, {OPT_JSON, "--json"},
        {OPT_EXTENSION, "--extension"}, {OPT_TIMEOUT, "--timeout"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if ((seen & names[i].bit) && !(rule->options & names[i].bit)) {
            snprintf(err, errsz, "%s does not take %s", rule->name, names[i].name);
            return -1;
        }
    }
    return 0;
}

int agx_cli_parse(int argc, char **argv, agx_cli *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    out->argv0 = argc > 0 ? argv[0] : "agentos-ext";
    unsigned seen = 0;
    bool options_done = false;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && !strcmp(arg, "--")) {
            options_done = true;
        } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            if (rc == 0 && parse_option(argc, argv, &i, out, &seen, err, errsz) != 0)
                rc = -1;
        } else if (!out->command) {
            out->command = arg;
        } else if (out->npositional < AGX_CLI_MAX_POSITIONAL) {
            out->positional[out->npositional++] = arg;
        } else if (rc == 0) {
            snprintf(err, errsz, "too many arguments");
            rc = -1;
        }
    }
    if (out->command && !strcmp(out->command, "help"))
        out->help = true;
    if (out->help)
        return 0;
    if (rc != 0)
        return rc;
    return check_command(out, seen, err, errsz);
}
