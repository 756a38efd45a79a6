/*
 * tool_table.h - the five tools: names, operations and compiled schemas.
 *
 * The schemas are the manifest/ files embedded at build time, so what the
 * library validates is exactly what it advertises. A table is immutable
 * after ig_tool_table_new and may be shared by threads.
 */
#ifndef IG_TOOL_TABLE_H
#define IG_TOOL_TABLE_H

#include "core/ig_error.h"
#include "core/json_schema.h"
#include "providers/catalog.h"

typedef struct ig_tool_table ig_tool_table;

typedef struct ig_tool_def {
    const char *name;        /* "generate_image" */
    const char *schema_file; /* "generate_image.schema.json" (embedded) */
    ig_operation op;
} ig_tool_def;

/* Compiles every tool's schema. NULL with err if one fails to compile. */
ig_tool_table *ig_tool_table_new(ig_error *err);
void ig_tool_table_free(ig_tool_table *table);

/* Number of tools and the i-th definition (static). */
int ig_tool_count(void);
const ig_tool_def *ig_tool_at(int index);

/* Index of the named tool, or -1. */
int ig_tool_find(const char *name);

/* The compiled schema of tool index (borrowed from the table). */
const ig_schema *ig_tool_schema(const ig_tool_table *table, int index);

/*
 * The tool list as JSON text: [{"name","description","inputSchema"}], the
 * description being the schema's top-level "description". malloc'd.
 */
char *ig_tool_list_json(const ig_tool_table *table);

/*
 * Fills err for an unknown tool name: lists the tools and suggests the
 * closest one.
 */
void ig_tool_unknown_error(const char *name, ig_error *err);

#endif
