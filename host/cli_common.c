/* cli_common.c - see cli_common.h. */
#include "cli_common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest_search.h"
#include "text_util.h"
#include "json_parse.h"

int agx_cli_load(const agx_cli *cli, const char *name, agx_ext *e)
{
    char err[4096];
    char *path = agx_manifest_find(name, cli->argv0, err, sizeof err);
    if (!path) {
        fprintf(stderr, "agentos-ext: %s\n", err);
        return AGX_EXIT_USAGE;
    }
    int rc = agx_ext_load(e, path, err, sizeof err);
    free(path);
    if (rc != AGX_EXT_OK) {
        fprintf(stderr, "agentos-ext: %s\n", err);
        return AGX_EXIT_USAGE;
    }
    return AGX_EXIT_OK;
}

int agx_cli_open(const agx_cli *cli, agx_ext *e, agx_host_ctx *ctx)
{
    agx_host_ctx_init(ctx, e->manifest.id, cli->verbose, isatty(STDERR_FILENO));
    char *config = NULL;
    if (cli->config_path) {
        config = agx_read_file(cli->config_path, NULL);
        if (!config) {
            fprintf(stderr, "agentos-ext: cannot read config file %s: %s\n",
                    cli->config_path, strerror(errno));
            return AGX_EXIT_USAGE;
        }
    }
    char err[1024];
    int rc = agx_ext_open(e, config, ctx, err, sizeof err);
    free(config);
    if (rc != 0) {
        fprintf(stderr, "agentos-ext: cannot open %s%s%s: %s\n",
                e->manifest.id, cli->config_path ? " with config " : "",
                cli->config_path ? cli->config_path : "", err);
        return AGX_EXIT_USAGE;
    }
    return AGX_EXIT_OK;
}

int agx_cli_print_tools(const char *tools_json)
{
    cJSON *tools = agx_json_parse_str(tools_json);
    if (!cJSON_IsArray(tools)) {
        fprintf(stderr, "agentos-ext: the extension's tool list is not a JSON array\n");
        cJSON_Delete(tools);
        return -1;
    }
    int width = 0;
    const cJSON *tool;
    cJSON_ArrayForEach(tool, tools)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tool, "name"));
        int len = name ? (int)strlen(name) : 0;
        if (len > width)
            width = len;
    }
    int count = 0;
    cJSON_ArrayForEach(tool, tools)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tool, "name"));
        char *sentence = agx_first_sentence(cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(tool, "description")));
        printf("  %-*s  - %s\n", width, name ? name : "?", sentence ? sentence : "");
        free(sentence);
        count++;
    }
    cJSON_Delete(tools);
    return count;
}
