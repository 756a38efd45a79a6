/* replicate_test_util.c - see replicate_test_util.h. */
#include "emulators/replicate_test_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_schema.h"
#include "support/test_util.h"

/* The spec beside a main checkout, or beside a worktree under wt/. */
static const char *const spec_paths[] = {
    IG_TEST_SOURCE_DIR "/../shared/specs/replicate.openapi.json",
    IG_TEST_SOURCE_DIR "/../../shared/specs/replicate.openapi.json",
};

replicate_emulator *rt_start(void)
{
    replicate_emulator *emu = replicate_emulator_start(0, RT_TOKEN);
    cr_assert_not_null(emu, "the emulator did not start");
    return emu;
}

const char *rt_url(replicate_emulator *emu, const char *suffix)
{
    static _Thread_local char url[512];
    snprintf(url, sizeof url, "%s%s", replicate_emulator_base_url(emu), suffix);
    return url;
}

ec_result rt_call(const char *method, const char *url, const char *token, const char *prefer,
                  const char *body)
{
    char auth[256], pref[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
    snprintf(pref, sizeof pref, "Prefer: %s", prefer ? prefer : "");
    const char *headers[3] = {NULL, NULL, NULL};
    int n = 0;
    if (token)
        headers[n++] = auth;
    if (prefer)
        headers[n++] = pref;
    ec_call call = {.method = method, .url = url, .headers = headers, .body = body,
                    .timeout_ms = 60000};
    return ec_send(&call);
}

ec_result rt_create(replicate_emulator *emu, const char *model, const char *input_json,
                    const char *prefer)
{
    char path[256];
    snprintf(path, sizeof path, "/models/%s/predictions", model);
    size_t n = strlen(input_json) + 32;
    char *body = malloc(n);
    cr_assert_not_null(body);
    snprintf(body, n, "{\"input\":%s}", input_json);
    ec_result r = rt_call("POST", rt_url(emu, path), RT_TOKEN, prefer, body);
    free(body);
    return r;
}

static cJSON *spec;

const cJSON *rt_spec(void)
{
    static bool tried;
    if (!tried) {
        tried = true;
        for (size_t i = 0; !spec && i < sizeof spec_paths / sizeof *spec_paths; i++) {
            char *text = tu_read_file(spec_paths[i], NULL);
            spec = text ? cJSON_Parse(text) : NULL;
            free(text);
        }
    }
    if (!spec)
        cr_skip_test("replicate.openapi.json not found beside the checkout (shared/specs)");
    return spec;
}

/* Resolves "#/components/..." in the spec. */
static const cJSON *resolve_ref(const char *ref)
{
    cr_assert(!strncmp(ref, "#/", 2), "unsupported $ref %s", ref);
    const cJSON *node = rt_spec();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ref + 2);
    for (char *save = NULL, *part = strtok_r(buf, "/", &save); part;
         part = strtok_r(NULL, "/", &save))
        node = cJSON_GetObjectItemCaseSensitive(node, part);
    cr_assert_not_null(node, "$ref %s does not resolve", ref);
    return node;
}

/* A copy of an OpenAPI schema object in the validator's subset. */
static cJSON *convert(const cJSON *schema)
{
    if (!cJSON_IsObject(schema))
        return cJSON_Duplicate(schema, true);
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(schema, "$ref");
    if (ref)
        return convert(resolve_ref(ref->valuestring));
    cJSON *out = cJSON_CreateObject();
    const cJSON *one_of = cJSON_GetObjectItemCaseSensitive(schema, "oneOf");
    if (one_of) { /* the spec's only oneOf: string alternatives (version) */
        const cJSON *alt;
        cJSON_ArrayForEach(alt, one_of)
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(alt, "type")), "string",
                         "a oneOf this converter cannot express");
        cJSON_AddStringToObject(out, "type", "string");
        return out;
    }
    bool nullable = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(schema, "nullable"));
    const cJSON *item;
    cJSON_ArrayForEach(item, schema)
    {
        const char *k = item->string;
        if (!strcmp(k, "format") || !strcmp(k, "example") || !strcmp(k, "nullable") ||
            !strcmp(k, "deprecated"))
            continue; /* annotations the validator does not take */
        if (!strcmp(k, "properties")) {
            cJSON *props = cJSON_AddObjectToObject(out, "properties");
            const cJSON *p;
            cJSON_ArrayForEach(p, item)
            cJSON_AddItemToObject(props, p->string, convert(p));
        } else if (!strcmp(k, "items") || (!strcmp(k, "additionalProperties") &&
                                           cJSON_IsObject(item))) {
            cJSON_AddItemToObject(out, k, convert(item));
        } else if (!strcmp(k, "type") && nullable) {
            cJSON *types = cJSON_AddArrayToObject(out, "type");
            cJSON_AddItemToArray(types, cJSON_CreateString(item->valuestring));
            cJSON_AddItemToArray(types, cJSON_CreateString("null"));
        } else {
            cJSON_AddItemToObject(out, k, cJSON_Duplicate(item, true));
        }
    }
    return out;
}

/* components.schemas[name], compiled (kept for the process). */
static ig_schema *compiled(const char *name)
{
    static struct {
        char name[96];
        ig_schema *schema;
    } cache[8];
    for (size_t i = 0; i < 8; i++)
        if (cache[i].schema && !strcmp(cache[i].name, name))
            return cache[i].schema;
    char ref[160];
    snprintf(ref, sizeof ref, "#/components/schemas/%s", name);
    cJSON *converted = convert(resolve_ref(ref));
    char *text = cJSON_PrintUnformatted(converted);
    cJSON_Delete(converted);
    ig_error err;
    ig_error_clear(&err);
    ig_schema *schema = ig_schema_compile(text, &err);
    free(text);
    cr_assert_not_null(schema, "%s does not compile: %s", name, err.message);
    for (size_t i = 0; i < 8; i++)
        if (!cache[i].schema) {
            snprintf(cache[i].name, sizeof cache[i].name, "%s", name);
            cache[i].schema = schema;
            break;
        }
    return schema;
}

bool rt_schema_ok(const cJSON *instance, const char *name)
{
    ig_error err;
    ig_error_clear(&err);
    return ig_schema_validate(compiled(name), instance, &err) == 0;
}

void rt_expect_schema(const cJSON *instance, const char *name, const char *what)
{
    ig_error err;
    ig_error_clear(&err);
    int rc = ig_schema_validate(compiled(name), instance, &err);
    char *text = rc ? cJSON_PrintUnformatted(instance) : NULL;
    cr_expect_eq(rc, 0, "%s does not match %s: %s (%s): %.300s", what, name, err.message,
                 err.field, text ? text : "");
    cJSON_free(text);
}

bool rt_prefer_valid(const char *value)
{
    const cJSON *param = resolve_ref("#/components/parameters/parameters_prefer_header");
    cJSON *schema = convert(cJSON_GetObjectItem(param, "schema"));
    char *text = cJSON_PrintUnformatted(schema);
    cJSON_Delete(schema);
    ig_error err;
    ig_error_clear(&err);
    ig_schema *compiled_prefer = ig_schema_compile(text, &err);
    free(text);
    cr_assert_not_null(compiled_prefer, "%s", err.message);
    cJSON *v = cJSON_CreateString(value);
    bool ok = ig_schema_validate(compiled_prefer, v, &err) == 0;
    cJSON_Delete(v);
    ig_schema_free(compiled_prefer);
    return ok;
}
