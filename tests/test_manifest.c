/*
 * test_manifest.c - image-generation.ext.json against the built module:
 * the tools the module reports at run time are the manifest's tools with the
 * schema files it names, the declared symbols are exactly the version
 * script's and exactly what the module exports, and the environment list is
 * complete. The module is reached through dlopen/dlsym only.
 */
#include <agentos_ext.h>
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/test_util.h"

#define SO_PATH IG_TEST_STAGE_DIR "/libimage-generation.so"
#define MANIFEST_SRC IG_TEST_SOURCE_DIR "/image-generation.ext.json"
#define MANIFEST_STAGED IG_TEST_STAGE_DIR "/image-generation.ext.json"
#define EXPORTS_MAP IG_TEST_SOURCE_DIR "/plugin/exports.map"

/* A list of names (malloc'd strings). */
typedef struct names {
    char *item[64];
    size_t count;
} names;

static void names_add(names *n, const char *s)
{
    cr_assert_lt(n->count, 64u);
    n->item[n->count++] = strdup(s);
}

static int names_has(const names *n, const char *s)
{
    for (size_t i = 0; i < n->count; i++)
        if (!strcmp(n->item[i], s))
            return 1;
    return 0;
}

static void names_free(names *n)
{
    for (size_t i = 0; i < n->count; i++)
        free(n->item[i]);
    n->count = 0;
}

/* Both lists hold the same names (each once); reports the differences. */
static void expect_same_set(const names *a, const char *a_what, const names *b,
                            const char *b_what)
{
    for (size_t i = 0; i < a->count; i++)
        cr_expect(names_has(b, a->item[i]), "%s is in %s but not in %s",
                  a->item[i], a_what, b_what);
    for (size_t i = 0; i < b->count; i++)
        cr_expect(names_has(a, b->item[i]), "%s is in %s but not in %s",
                  b->item[i], b_what, a_what);
    for (size_t i = 0; i < a->count; i++)
        for (size_t j = i + 1; j < a->count; j++)
            cr_expect_str_neq(a->item[i], a->item[j], "%s listed twice in %s",
                              a->item[i], a_what);
}

static cJSON *read_json(const char *path)
{
    char *text = tu_read_file(path, NULL);
    cr_assert(text != NULL, "cannot read %s", path);
    cJSON *doc = cJSON_Parse(text);
    cr_assert(doc != NULL, "%s is not valid JSON", path);
    free(text);
    return doc;
}

static const char *str_at(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static cJSON *manifest_abi(const cJSON *manifest)
{
    return cJSON_GetObjectItemCaseSensitive(manifest, "abi");
}

static void manifest_symbols(const cJSON *manifest, names *out)
{
    const cJSON *symbols =
        cJSON_GetObjectItemCaseSensitive(manifest_abi(manifest), "symbols");
    cr_assert(cJSON_IsArray(symbols));
    const cJSON *sym;
    cJSON_ArrayForEach(sym, symbols)
    {
        const char *name = str_at(sym, "name");
        cr_assert(name != NULL, "abi.symbols entry without a name");
        names_add(out, name);
    }
}

/* The tool list from the module, through dlopen/dlsym. */
static cJSON *runtime_tools(void)
{
    void *h = dlopen(SO_PATH, RTLD_NOW | RTLD_LOCAL);
    cr_assert(h != NULL, "dlopen: %s", dlerror());
    agentos_ext *(*open_fn)(const char *, agentos_ext_log_fn, agentos_ext_progress_fn,
                            agentos_ext_event_fn, void *, char *, uint32_t);
    char *(*list_fn)(agentos_ext *);
    void (*free_fn)(char *);
    void (*close_fn)(agentos_ext *);
    void *p;
    cr_assert((p = dlsym(h, "agentos_ext_open")) != NULL);
    memcpy(&open_fn, &p, sizeof p);
    cr_assert((p = dlsym(h, "agentos_ext_list_tools")) != NULL);
    memcpy(&list_fn, &p, sizeof p);
    cr_assert((p = dlsym(h, "agentos_ext_free")) != NULL);
    memcpy(&free_fn, &p, sizeof p);
    cr_assert((p = dlsym(h, "agentos_ext_close")) != NULL);
    memcpy(&close_fn, &p, sizeof p);

    char *dir = tu_make_temp_dir("ig-manifest");
    setenv("AGENTOS_IMAGE_DIR", dir, 1);
    char err[512] = "";
    agentos_ext *ext = open_fn(NULL, NULL, NULL, NULL, NULL, err, sizeof err);
    cr_assert(ext != NULL, "open failed: %s", err);
    char *text = list_fn(ext);
    cr_assert(text != NULL);
    cJSON *tools = cJSON_Parse(text);
    cr_assert(cJSON_IsArray(tools), "list_tools is not a JSON array");
    free_fn(text);
    close_fn(ext);
    tu_remove_tree(dir);
    free(dir);
    return tools;
}

Test(manifest, runtime_tools_are_the_manifest_tools_with_their_schemas)
{
    cJSON *manifest = read_json(MANIFEST_SRC);
    cJSON *tools = runtime_tools();
    const cJSON *declared = cJSON_GetObjectItemCaseSensitive(manifest, "tools");
    cr_assert(cJSON_IsArray(declared));
    cr_assert_eq(cJSON_GetArraySize(tools), cJSON_GetArraySize(declared),
                 "the module reports %d tools, the manifest declares %d",
                 cJSON_GetArraySize(tools), cJSON_GetArraySize(declared));
    for (int i = 0; i < cJSON_GetArraySize(declared); i++) {
        const cJSON *want = cJSON_GetArrayItem(declared, i);
        const cJSON *got = cJSON_GetArrayItem(tools, i);
        const char *name = str_at(want, "name");
        const char *schema_rel = str_at(want, "schema");
        cr_assert(name && schema_rel, "manifest tools[%d] needs name and schema", i);
        cr_expect_str_eq(str_at(got, "name"), name, "tool %d", i);

        char path[4096];
        snprintf(path, sizeof path, "%s/%s", IG_TEST_SOURCE_DIR, schema_rel);
        cJSON *schema = read_json(path);
        const cJSON *input = cJSON_GetObjectItemCaseSensitive(got, "inputSchema");
        cr_expect(cJSON_Compare(input, schema, 1),
                  "%s: inputSchema differs from %s", name, schema_rel);
        const char *want_desc = str_at(schema, "description");
        cr_expect(want_desc != NULL, "%s has no top-level description", schema_rel);
        if (want_desc)
            cr_expect_str_eq(str_at(got, "description"), want_desc,
                             "%s: description differs from %s", name, schema_rel);
        cJSON_Delete(schema);
    }
    cJSON_Delete(tools);
    cJSON_Delete(manifest);
}

/* Names in the global: section of a version script. */
static void exports_map_names(names *out)
{
    char *text = tu_read_file(EXPORTS_MAP, NULL);
    cr_assert(text != NULL, "cannot read %s", EXPORTS_MAP);
    /* Drop C comments. */
    for (char *c = strstr(text, "/*"); c; c = strstr(c, "/*")) {
        char *end = strstr(c + 2, "*/");
        cr_assert(end != NULL, "unterminated comment in exports.map");
        memset(c, ' ', (size_t)(end + 2 - c));
    }
    char *global = strstr(text, "global:");
    cr_assert(global != NULL, "no global: section in exports.map");
    char *local = strstr(global, "local:");
    cr_assert(local != NULL, "no local: section in exports.map");
    *local = '\0';
    char *save = NULL;
    for (char *tok = strtok_r(global + strlen("global:"), " \t\r\n;", &save); tok;
         tok = strtok_r(NULL, " \t\r\n;", &save))
        names_add(out, tok);
    free(text);
}

Test(manifest, symbols_match_the_version_script)
{
    cJSON *manifest = read_json(MANIFEST_SRC);
    names declared = {0}, mapped = {0};
    manifest_symbols(manifest, &declared);
    exports_map_names(&mapped);
    cr_expect_eq(declared.count, 12u, "ABI v1 has 12 functions");
    expect_same_set(&declared, "the manifest", &mapped, "plugin/exports.map");
    names_free(&declared);
    names_free(&mapped);
    cJSON_Delete(manifest);
}

Test(manifest, module_exports_exactly_the_declared_functions)
{
    cJSON *manifest = read_json(MANIFEST_SRC);
    names declared = {0}, exported = {0};
    manifest_symbols(manifest, &declared);

    FILE *nm = popen("nm -D --defined-only '" SO_PATH "' 2>&1", "r");
    cr_assert(nm != NULL, "cannot run nm");
    char line[1024];
    int lines = 0;
    while (fgets(line, sizeof line, nm)) {
        char addr[64], type[8], name[512];
        if (sscanf(line, "%63s %7s %511s", addr, type, name) != 3)
            continue;
        lines++;
        /* T/t: code; W/i: weak or indirect functions would be exports too.
         * Other kinds (the version node "A", data) are not functions. */
        if (!strchr("TtWi", type[0]) || type[1] != '\0')
            continue;
        char *at = strchr(name, '@'); /* nm >= 2.35 prints name@@VERSION */
        if (at)
            *at = '\0';
        names_add(&exported, name);
    }
    int status = pclose(nm);
    cr_assert_eq(status, 0, "nm failed on %s", SO_PATH);
    cr_assert_gt(lines, 0, "nm listed no dynamic symbols");
    expect_same_set(&declared, "the manifest", &exported, "the module's dynamic symbols");
    names_free(&declared);
    names_free(&exported);
    cJSON_Delete(manifest);
}

Test(manifest, abi_block_is_consistent)
{
    cJSON *manifest = read_json(MANIFEST_SRC);
    const cJSON *abi = manifest_abi(manifest);
    cr_assert(cJSON_IsObject(abi));
    cr_expect_str_eq(str_at(abi, "library"), "libimage-generation.so");
    names declared = {0};
    manifest_symbols(manifest, &declared);
    cr_expect(names_has(&declared, str_at(abi, "versionSymbol")));
    cr_expect(names_has(&declared, str_at(abi, "freeSymbol")));
    names_free(&declared);

    /* Every type used is in typeNotes; every callback named is declared. */
    const cJSON *notes = cJSON_GetObjectItemCaseSensitive(abi, "typeNotes");
    const cJSON *callbacks = cJSON_GetObjectItemCaseSensitive(abi, "callbacks");
    const cJSON *sym;
    cJSON_ArrayForEach(sym, cJSON_GetObjectItemCaseSensitive(abi, "symbols"))
    {
        cr_expect(cJSON_HasObjectItem(notes, str_at(sym, "returns")),
                  "%s returns an undocumented type", str_at(sym, "name"));
        const cJSON *param;
        cJSON_ArrayForEach(param, cJSON_GetObjectItemCaseSensitive(sym, "params"))
        {
            const char *type = str_at(param, "type");
            cr_expect(type && cJSON_HasObjectItem(notes, type), "%s.%s: type %s",
                      str_at(sym, "name"), str_at(param, "name"), type ? type : "?");
            if (type && !strcmp(type, "callback"))
                cr_expect(cJSON_HasObjectItem(callbacks, str_at(param, "callback")),
                          "%s.%s names an undeclared callback", str_at(sym, "name"),
                          str_at(param, "name"));
        }
    }
    cJSON_Delete(manifest);
}

Test(manifest, staged_copy_is_complete)
{
    cJSON *src = read_json(MANIFEST_SRC);
    cJSON *staged = read_json(MANIFEST_STAGED);
    cr_expect(cJSON_Compare(src, staged, 1), "the staged manifest is stale");
    /* Every file the manifest names exists relative to the staged copy. */
    const char *files[16];
    size_t nfiles = 0;
    const cJSON *tool;
    cJSON_ArrayForEach(tool, cJSON_GetObjectItemCaseSensitive(src, "tools"))
        files[nfiles++] = str_at(tool, "schema");
    files[nfiles++] = str_at(src, "skill");
    files[nfiles++] = str_at(cJSON_GetObjectItemCaseSensitive(src, "config"), "schema");
    files[nfiles++] = str_at(manifest_abi(src), "library");
    const cJSON *data;
    cJSON_ArrayForEach(data, cJSON_GetObjectItemCaseSensitive(src, "dataFiles"))
        files[nfiles++] = str_at(data, "path");
    for (size_t i = 0; i < nfiles; i++) {
        cr_assert(files[i] != NULL, "a file entry of the manifest is missing");
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", IG_TEST_STAGE_DIR, files[i]);
        struct stat st;
        cr_expect(stat(path, &st) == 0 && S_ISREG(st.st_mode), "%s is not staged", path);
    }
    cJSON_Delete(src);
    cJSON_Delete(staged);
}

Test(manifest, environment_entries_are_documented)
{
    cJSON *manifest = read_json(MANIFEST_SRC);
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(manifest, "environment");
    cr_assert(cJSON_IsArray(env) && cJSON_GetArraySize(env) > 0);
    names seen = {0};
    const cJSON *entry;
    cJSON_ArrayForEach(entry, env)
    {
        const char *name = str_at(entry, "name");
        cr_assert(name && *name, "environment entry without a name");
        for (const char *c = name; *c; c++)
            cr_expect(isupper((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_',
                      "%s is not an environment variable name", name);
        cr_expect(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(entry, "secret")),
                  "%s: secret must be a boolean", name);
        const char *description = str_at(entry, "description");
        cr_expect(description && *description, "%s has no description", name);
        cr_expect(!names_has(&seen, name), "%s listed twice", name);
        names_add(&seen, name);
    }
    names_free(&seen);
    cJSON_Delete(manifest);
}
