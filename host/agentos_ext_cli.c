/*
 * agentos_ext_cli.c - agentos-ext, the reference host: main and the
 * enable / tools / info commands (call lives in cmd_call.c).
 *
 * Extensions are loaded only through their manifest: the library it names,
 * the symbols it declares, called through libffi with the signatures it
 * gives (see ffi_binding.h). agentos_ext.h is included for its constants.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "cli_common.h"
#include "cmd_call.h"
#include "json_parse.h"

/* "Enabled <id> <version> (ABI n): N tools" from the library's info JSON,
 * falling back to the manifest's id and version. */
static void print_enabled(agx_ext *e, int count)
{
    char *info = agx_ext_info(e);
    cJSON *doc = agx_json_parse_str(info);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "id"));
    const char *version =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "version"));
    printf("Enabled %s %s (ABI %u): %d tool%s\n", id ? id : e->manifest.id,
           version ? version : e->manifest.version,
           (unsigned)e->binding.library_abi, count, count == 1 ? "" : "s");
    cJSON_Delete(doc);
    free(info);
}

/* enable NAME and tools [NAME]: open an instance and list its tools. */
static int cmd_tools(const agx_cli *cli, int enable)
{
    const char *name = cli->npositional ? cli->positional[0] : AGX_DEFAULT_EXTENSION;
    agx_ext e;
    int status = agx_cli_load(cli, name, &e);
    if (status != AGX_EXIT_OK)
        return status;
    agx_host_ctx ctx;
    status = agx_cli_open(cli, &e, &ctx);
    char *tools = status == AGX_EXIT_OK ? agx_ext_list_tools(&e) : NULL;
    if (status == AGX_EXIT_OK && !tools) {
        fprintf(stderr, "agentos-ext: %s returned no tool list\n", e.manifest.id);
        status = AGX_EXIT_TOOL_ERROR;
    } else if (tools && cli->json) {
        printf("%s\n", tools);
    } else if (tools) {
        cJSON *doc = agx_json_parse_str(tools);
        int count = cJSON_IsArray(doc) ? cJSON_GetArraySize(doc) : 0;
        cJSON_Delete(doc);
        if (enable)
            print_enabled(&e, count);
        if (agx_cli_print_tools(tools) < 0)
            status = AGX_EXIT_TOOL_ERROR;
    }
    free(tools);
    agx_ext_unload(&e);
    agx_host_ctx_destroy(&ctx);
    return status;
}

/* info [NAME]: where the manifest and library are, and the info JSON. */
static int cmd_info(const agx_cli *cli)
{
    const char *name = cli->npositional ? cli->positional[0] : AGX_DEFAULT_EXTENSION;
    agx_ext e;
    int status = agx_cli_load(cli, name, &e);
    if (status != AGX_EXIT_OK)
        return status;
    char *info = agx_ext_info(&e);
    printf("manifest: %s\n", e.manifest.path);
    printf("library:  %s\n", e.manifest.library_path);
    printf("abi:      %u\n", (unsigned)e.binding.library_abi);
    printf("info:     %s\n", info ? info : "(none)");
    if (!info)
        status = AGX_EXIT_TOOL_ERROR;
    free(info);
    agx_ext_unload(&e);
    return status;
}

int main(int argc, char **argv)
{
    agx_cli cli;
    char err[512];
    if (agx_cli_parse(argc, argv, &cli, err, sizeof err) != 0) {
        fprintf(stderr, "agentos-ext: %s\n\n%s", err, agx_cli_usage());
        return AGX_EXIT_USAGE;
    }
    if (cli.help) {
        fputs(agx_cli_usage(), stdout);
        return AGX_EXIT_OK;
    }
    if (!strcmp(cli.command, "enable"))
        return cmd_tools(&cli, 1);
    if (!strcmp(cli.command, "tools"))
        return cmd_tools(&cli, 0);
    if (!strcmp(cli.command, "call"))
        return agx_cmd_call(&cli);
    if (!strcmp(cli.command, "info"))
        return cmd_info(&cli);
    fprintf(stderr, "agentos-ext: unknown command \"%s\"\n\n%s", cli.command,
            agx_cli_usage());
    return AGX_EXIT_USAGE;
}
