/* tool_table.c - see tool_table.h. */
#include "tools/tool_table.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded_files.h"
#include "core/json_schema_text.h"

static const ig_tool_def tool_defs[] = {
    {"generate_image", "generate_image.schema.json", IG_OP_GENERATE},
    {"edit_image", "edit_image.schema.json", IG_OP_EDIT},
    {"upscale_image", "upscale_image.schema.json", IG_OP_UPSCALE},
    {"variate_image", "variate_image.schema.json", IG_OP_VARIATE},
    {"transfer_style", "transfer_style.schema.json", IG_OP_TRANSFER_STYLE},
};
#define TOOL_COUNT ((int)(sizeof tool_defs / sizeof tool_defs[0]))

struct ig_tool_table {
    ig_schema *schemas[TOOL_COUNT];
};

ig_tool_table *ig_tool_table_new(ig_error *err)
{
    ig_tool_table *table = calloc(1, sizeof *table);
    if (!table) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    for (int i = 0; i < TOOL_COUNT; i++) {
        const char *text = ig_embedded_find(tool_defs[i].schema_file);
        table->schemas[i] = text ? ig_schema_compile(text, err) : NULL;
        if (!table->schemas[i]) {
            ig_fail(err, IG_ERR_INTERNAL, NULL, "schema %s is missing",
                    tool_defs[i].schema_file);
            ig_tool_table_free(table);
            return NULL;
        }
    }
    return table;
}

void ig_tool_table_free(ig_tool_table *table)
{
    if (!table)
        return;
    for (int i = 0; i < TOOL_COUNT; i++)
        ig_schema_free(table->schemas[i]);
    free(table);
}

int ig_tool_count(void)
{
    return TOOL_COUNT;
}

const ig_tool_def *ig_tool_at(int index)
{
    return index >= 0 && index < TOOL_COUNT ? &tool_defs[index] : NULL;
}

int ig_tool_find(const char *name)
{
    for (int i = 0; name && i < TOOL_COUNT; i++)
        if (!strcmp(tool_defs[i].name, name))
            return i;
    return -1;
}

const ig_schema *ig_tool_schema(const ig_tool_table *table, int index)
{
    return table->schemas[index];
}

char *ig_tool_list_json(const ig_tool_table *table)
{
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; i < TOOL_COUNT; i++) {
        const cJSON *schema = ig_schema_document(table->schemas[i]);
        const char *description = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(schema, "description"));
        cJSON *tool = cJSON_CreateObject();
        cJSON_AddStringToObject(tool, "name", tool_defs[i].name);
        cJSON_AddStringToObject(tool, "description", description ? description : "");
        cJSON_AddItemToObject(tool, "inputSchema", cJSON_Duplicate(schema, true));
        cJSON_AddItemToArray(list, tool);
    }
    char *text = cJSON_PrintUnformatted(list);
    cJSON_Delete(list);
    return text;
}

/* The tool an unknown name most likely meant: the closest by edit distance,
 * else one that starts with the name given ("upscale" -> upscale_image). */
static const char *closest_tool(const char *name)
{
    ig_suggestion s = {.got = name};
    for (int i = 0; i < TOOL_COUNT; i++)
        ig_suggest(&s, tool_defs[i].name);
    for (int i = 0; !s.best && strlen(name) >= 4 && i < TOOL_COUNT; i++)
        if (!strncmp(tool_defs[i].name, name, strlen(name)))
            s.best = tool_defs[i].name;
    return s.best;
}

void ig_tool_unknown_error(const char *name, ig_error *err)
{
    char list[256] = "";
    for (int i = 0; i < TOOL_COUNT; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                 tool_defs[i].name);
    }
    const char *closest = name ? closest_tool(name) : NULL;
    if (closest)
        ig_fail(err, IG_ERR_UNKNOWN_TOOL, "tool",
                "unknown tool \"%.64s\" (did you mean \"%s\"? tools: %s)",
                name, closest, list);
    else
        ig_fail(err, IG_ERR_UNKNOWN_TOOL, "tool", "unknown tool \"%.64s\" (tools: %s)",
                name ? name : "", list);
    ig_error_hint(err, "Call one of the listed tools by its exact name.");
}
