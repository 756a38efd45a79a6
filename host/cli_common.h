/*
 * cli_common.h - steps shared by the agentos-ext commands: finding and
 * loading an extension, opening an instance with a config file, printing
 * tool lists. Every function reports its own errors on stderr and returns
 * an exit status. Main thread only.
 */
#ifndef AGX_CLI_COMMON_H
#define AGX_CLI_COMMON_H

#include "cli_args.h"
#include "ext_api.h"
#include "host_callbacks.h"

/* Exit statuses of agentos-ext. */
#define AGX_EXIT_OK 0
#define AGX_EXIT_TOOL_ERROR 1 /* the tool (or the extension) reported an error */
#define AGX_EXIT_USAGE 2      /* bad command line, config, extension or ABI */

/* The extension used when a command's NAME is omitted. */
#define AGX_DEFAULT_EXTENSION "image-generation"

/*
 * Finds name's manifest and loads and binds its library into *e.
 * Returns AGX_EXIT_OK, or AGX_EXIT_USAGE after printing why (not found,
 * invalid manifest, ABI mismatch, missing symbol). On success the caller
 * releases *e with agx_ext_unload.
 */
int agx_cli_load(const agx_cli *cli, const char *name, agx_ext *e);

/*
 * Initialises ctx (log prefix = the manifest id; progress line when stderr
 * is a terminal) and opens an instance with the text of cli->config_path
 * (NULL config when none). Returns AGX_EXIT_OK, or AGX_EXIT_USAGE after
 * printing why (unreadable config file, config refused by the extension);
 * ctx is initialised in both cases and must be destroyed by the caller
 * after agx_ext_unload.
 */
int agx_cli_open(const agx_cli *cli, agx_ext *e, agx_host_ctx *ctx);

/*
 * Prints one line per tool of the JSON array text: "  NAME  - first
 * sentence of its description", names padded to a common width. Returns
 * the number of tools, or -1 (after a message) when text is not an array.
 */
int agx_cli_print_tools(const char *tools_json);

#endif
