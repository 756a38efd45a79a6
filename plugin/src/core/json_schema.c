/*
 * json_schema.c - compiles the supported JSON Schema subset into an
 * immutable ig_snode tree (see json_schema.h). Validation lives in
 * json_schema_validate.c.
 *
 * Compilation is deliberately strict: an unknown keyword, a keyword value of
 * the wrong type, or a pattern regcomp rejects fails the whole schema, naming
 * the schema path ("properties.size") and the keyword, so that a constraint
 * is never silently ignored.
 */
#include "json_schema_internal.h"
#include "core/json_text.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compilation state: where we are in the schema, for error messages. */
typedef struct cctx {
    ig_error *err;
    char path[256]; /* "properties.size.items"; "" at the root */
    size_t len;
} cctx;

typedef int (*keyword_fn)(cctx *c, ig_snode *n, const char *kw, const cJSON *v);

static ig_snode *compile_node(cctx *c, const cJSON *json);
static void node_free(ig_snode *n);

/* ---- errors and paths ---------------------------------------------------- */

static int cfail(cctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reports a compile error as `schema <path>: <message>`. */
static int cfail(cctx *c, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ig_fail(c->err, IG_ERR_INTERNAL, NULL, "schema%s%s: %s",
                   c->len ? " " : "", c->path, msg);
}

static int oom(cctx *c)
{
    return cfail(c, "out of memory");
}

/* Appends ".seg" (or "seg" at the root) to the schema path; returns the old
 * length for path_pop. Overlong paths are cut, never overflowed. */
static size_t path_push(cctx *c, const char *seg)
{
    size_t old = c->len;
    int n = snprintf(c->path + c->len, sizeof c->path - c->len, "%s%s",
                     c->len ? "." : "", seg);
    if (n > 0)
        c->len += (size_t)n < sizeof c->path - c->len ? (size_t)n
                                                      : sizeof c->path - 1 - c->len;
    return old;
}

static void path_pop(cctx *c, size_t old)
{
    c->len = old;
    c->path[old] = '\0';
}

const char *ig_json_type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "string";
    if (cJSON_IsNumber(v))
        return "number";
    if (cJSON_IsBool(v))
        return "boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "array";
    if (cJSON_IsObject(v))
        return "object";
    return "invalid value";
}

/* Compiles v as the sub-schema at path "<current>.<seg>". */
static ig_snode *compile_child(cctx *c, const char *seg, const cJSON *v)
{
    size_t old = path_push(c, seg);
    ig_snode *child = compile_node(c, v);
    path_pop(c, old);
    return child;
}

/* ---- keyword handlers ---------------------------------------------------- */

static unsigned type_bit(const char *name)
{
    static const struct { const char *name; unsigned bit; } names[] = {
        {"string", IG_T_STRING},   {"integer", IG_T_INTEGER},
        {"number", IG_T_NUMBER},   {"boolean", IG_T_BOOLEAN},
        {"object", IG_T_OBJECT},   {"array", IG_T_ARRAY},
        {"null", IG_T_NULL},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0)
            return names[i].bit;
    return 0;
}

/* Adds one type name to the node's allowed types. */
static int add_type(cctx *c, ig_snode *n, const cJSON *name)
{
    if (!cJSON_IsString(name))
        return cfail(c, "\"type\" entries must be strings (got %s)",
                     ig_json_type_name(name));
    unsigned bit = type_bit(name->valuestring);
    if (!bit)
        return cfail(c, "\"type\" has unknown type name \"%s\" (allowed: string, "
                     "integer, number, boolean, object, array, null)",
                     name->valuestring);
    n->types |= bit;
    return 0;
}

/* "type": one name or a non-empty array of names. */
static int kw_type(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    if (cJSON_IsString(v))
        return add_type(c, n, v);
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return cfail(c, "\"%s\" must be a type name or a non-empty array of "
                     "type names", kw);
    const cJSON *it;
    cJSON_ArrayForEach(it, v)
        if (add_type(c, n, it) != 0)
            return -1;
    return 0;
}

/* "properties": an object whose members are schemas; names must be unique. */
static int kw_properties(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    if (!cJSON_IsObject(v))
        return cfail(c, "\"%s\" must be an object (got %s)", kw, ig_json_type_name(v));
    size_t count = (size_t)cJSON_GetArraySize(v);
    n->props = calloc(count ? count : 1, sizeof *n->props);
    if (!n->props)
        return oom(c);
    size_t old = path_push(c, kw);
    const cJSON *it;
    int rc = 0;
    cJSON_ArrayForEach(it, v) {
        for (size_t i = 0; i < n->nprops; i++)
            if (strcmp(n->props[i].name, it->string) == 0) {
                rc = cfail(c, "property \"%s\" is defined twice", it->string);
                goto out;
            }
        ig_snode *child = compile_child(c, it->string, it);
        if (!child) {
            rc = -1;
            goto out;
        }
        n->props[n->nprops].name = it->string;
        n->props[n->nprops].schema = child;
        n->nprops++;
    }
out:
    path_pop(c, old);
    return rc;
}

/* "required": an array of property names. */
static int kw_required(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    if (!cJSON_IsArray(v))
        return cfail(c, "\"%s\" must be an array of strings (got %s)", kw,
                     ig_json_type_name(v));
    const cJSON *it;
    cJSON_ArrayForEach(it, v)
        if (!cJSON_IsString(it))
            return cfail(c, "\"%s\" must contain only strings (got %s)", kw,
                         ig_json_type_name(it));
    n->required = v;
    return 0;
}

/* "additionalProperties": false closes the object; true is the default; an
 * object is a schema for every member not listed in "properties". */
static int kw_additional(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    if (cJSON_IsBool(v)) {
        n->closed = cJSON_IsFalse(v);
        return 0;
    }
    if (!cJSON_IsObject(v))
        return cfail(c, "\"%s\" must be a boolean or a schema (got %s)", kw,
                     ig_json_type_name(v));
    n->additional = compile_child(c, kw, v);
    return n->additional ? 0 : -1;
}

static int kw_property_names(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    n->property_names = compile_child(c, kw, v);
    return n->property_names ? 0 : -1;
}

/* "items": a single schema for every element (the tuple form is not
 * supported, so an array here is a compile error). */
static int kw_items(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    if (cJSON_IsArray(v))
        return cfail(c, "\"%s\" must be a single schema; the array (tuple) form "
                     "is not supported", kw);
    n->items = compile_child(c, kw, v);
    return n->items ? 0 : -1;
}

static int kw_enum(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return cfail(c, "\"%s\" must be a non-empty array", kw);
    n->enum_values = v;
    return 0;
}

static int kw_const(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    (void)c;
    (void)kw;
    n->const_value = v;
    return 0;
}

/* Checks that a bound keyword's value is a finite number. */
static int need_number(cctx *c, const char *kw, const cJSON *v)
{
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return cfail(c, "\"%s\" must be a number (got %s)", kw, ig_json_type_name(v));
    return 0;
}

/* Tightens a bound: a stricter value wins; at equal values exclusive wins.
 * `above` says whether stricter means larger (lower bounds) or smaller. */
static void tighten(ig_sbound *b, double value, bool exclusive, bool above)
{
    bool stricter = !b->set || (above ? value > b->value : value < b->value) ||
                    (value == b->value && exclusive);
    if (stricter) {
        b->set = true;
        b->value = value;
        b->exclusive = exclusive;
    }
}

/* minimum, maximum, exclusiveMinimum, exclusiveMaximum (numeric form). */
static int kw_bound(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    if (need_number(c, kw, v) != 0)
        return -1;
    bool exclusive = strncmp(kw, "exclusive", 9) == 0;
    bool is_lower = strcmp(kw, "minimum") == 0 || strcmp(kw, "exclusiveMinimum") == 0;
    tighten(is_lower ? &n->lower : &n->upper, v->valuedouble, exclusive, is_lower);
    return 0;
}

static int kw_multiple_of(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    if (need_number(c, kw, v) != 0)
        return -1;
    if (!(v->valuedouble > 0))
        return cfail(c, "\"%s\" must be greater than 0", kw);
    n->multiple_of = v->valuedouble;
    return 0;
}

/* The count keywords: a non-negative integer stored into the field named by
 * the keyword (see count_field). */
static long long *count_field(ig_snode *n, const char *kw)
{
    if (strcmp(kw, "minLength") == 0) return &n->min_length;
    if (strcmp(kw, "maxLength") == 0) return &n->max_length;
    if (strcmp(kw, "minItems") == 0) return &n->min_items;
    if (strcmp(kw, "maxItems") == 0) return &n->max_items;
    if (strcmp(kw, "minProperties") == 0) return &n->min_props;
    return &n->max_props;
}

static int kw_count(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (!(d >= 0 && d <= 9007199254740992.0 && floor(d) == d))
        return cfail(c, "\"%s\" must be a non-negative integer", kw);
    *count_field(n, kw) = (long long)d;
    return 0;
}

static int kw_unique(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    if (!cJSON_IsBool(v))
        return cfail(c, "\"%s\" must be a boolean (got %s)", kw, ig_json_type_name(v));
    n->unique_items = cJSON_IsTrue(v);
    return 0;
}

/* "pattern": a POSIX extended regex, compiled once here and only read by
 * regexec afterwards (glibc allows concurrent regexec on one regex_t). */
static int kw_pattern(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    if (!cJSON_IsString(v))
        return cfail(c, "\"%s\" must be a string (got %s)", kw, ig_json_type_name(v));
    int rc = regcomp(&n->pattern, v->valuestring, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[200];
        regerror(rc, &n->pattern, why, sizeof why);
        return cfail(c, "\"%s\" value \"%s\" is not a valid POSIX extended regex "
                     "(%s)", kw, v->valuestring, why);
    }
    n->has_pattern = true;
    n->pattern_src = v->valuestring;
    return 0;
}

/* $schema, $id, $comment, title, description: must be strings; ignored. */
static int kw_text(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    (void)n;
    if (!cJSON_IsString(v))
        return cfail(c, "\"%s\" must be a string (got %s)", kw, ig_json_type_name(v));
    return 0;
}

/* "default": any value; ignored. */
static int kw_any(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    (void)c;
    (void)n;
    (void)kw;
    (void)v;
    return 0;
}

/* "examples": an array; the validator quotes the first one in messages. */
static int kw_examples(cctx *c, ig_snode *n, const char *kw, const cJSON *v)
{
    (void)n;
    if (!cJSON_IsArray(v))
        return cfail(c, "\"%s\" must be an array (got %s)", kw, ig_json_type_name(v));
    return 0;
}

static const struct {
    const char *name;
    keyword_fn fn;
} keywords[] = {
    {"type", kw_type},
    {"properties", kw_properties},
    {"required", kw_required},
    {"additionalProperties", kw_additional},
    {"propertyNames", kw_property_names},
    {"enum", kw_enum},
    {"const", kw_const},
    {"minimum", kw_bound},
    {"maximum", kw_bound},
    {"exclusiveMinimum", kw_bound},
    {"exclusiveMaximum", kw_bound},
    {"multipleOf", kw_multiple_of},
    {"minLength", kw_count},
    {"maxLength", kw_count},
    {"pattern", kw_pattern},
    {"items", kw_items},
    {"minItems", kw_count},
    {"maxItems", kw_count},
    {"uniqueItems", kw_unique},
    {"minProperties", kw_count},
    {"maxProperties", kw_count},
    {"$schema", kw_text},
    {"$id", kw_text},
    {"$comment", kw_text},
    {"title", kw_text},
    {"description", kw_text},
    {"default", kw_any},
    {"examples", kw_examples},
};

/* Runs the handler for one keyword of a schema object. */
static int compile_keyword(cctx *c, ig_snode *n, const cJSON *member)
{
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strcmp(keywords[i].name, member->string) == 0)
            return keywords[i].fn(c, n, member->string, member);
    return cfail(c, "unsupported keyword \"%s\"", member->string);
}

/* True when an earlier member of the same object has member's name. */
static bool is_repeated(const cJSON *object, const cJSON *member)
{
    for (const cJSON *it = object->child; it && it != member; it = it->next)
        if (strcmp(it->string, member->string) == 0)
            return true;
    return false;
}

static ig_snode *node_new(const cJSON *src)
{
    ig_snode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->src = src;
    n->min_props = n->max_props = IG_NO_COUNT;
    n->min_length = n->max_length = IG_NO_COUNT;
    n->min_items = n->max_items = IG_NO_COUNT;
    return n;
}

/* Compiles one schema (an object or a boolean) into a node. */
static ig_snode *compile_node(cctx *c, const cJSON *json)
{
    if (!cJSON_IsObject(json) && !cJSON_IsBool(json)) {
        cfail(c, "a schema must be an object or a boolean (got %s)",
              ig_json_type_name(json));
        return NULL;
    }
    ig_snode *n = node_new(json);
    if (!n) {
        oom(c);
        return NULL;
    }
    if (cJSON_IsBool(json)) {
        n->reject_all = cJSON_IsFalse(json);
        return n;
    }
    const cJSON *member;
    cJSON_ArrayForEach(member, json) {
        /* A repeated keyword would be ambiguous (and leak a regex). */
        int rc = is_repeated(json, member)
                     ? cfail(c, "keyword \"%s\" appears twice", member->string)
                     : compile_keyword(c, n, member);
        if (rc != 0) {
            node_free(n);
            return NULL;
        }
    }
    return n;
}

static void node_free(ig_snode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nprops; i++)
        node_free(n->props[i].schema);
    free(n->props);
    node_free(n->additional);
    node_free(n->property_names);
    node_free(n->items);
    if (n->has_pattern)
        regfree(&n->pattern);
    free(n);
}

/* Turns a byte offset into 1-based line and column for parse errors. */
static void line_and_column(const char *text, size_t offset, size_t *line,
                            size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* Parses the schema text, reporting where it is broken. */
static cJSON *parse_schema_text(const char *text, ig_error *err)
{
    if (!text) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "schema: no schema text");
        return NULL;
    }
    size_t at = 0;
    cJSON *doc = ig_json_parse(text, &at);
    if (!doc) {
        size_t line, col;
        line_and_column(text, at, &line, &col);
        ig_fail(err, IG_ERR_INTERNAL, NULL,
                "schema: not valid JSON (error near byte %zu, line %zu, column %zu)",
                at, line, col);
    }
    return doc;
}

ig_schema *ig_schema_compile(const char *schema_json, ig_error *err)
{
    cJSON *doc = parse_schema_text(schema_json, err);
    if (!doc)
        return NULL;
    ig_schema *schema = calloc(1, sizeof *schema);
    if (!schema) {
        cJSON_Delete(doc);
        ig_fail(err, IG_ERR_INTERNAL, NULL, "schema: out of memory");
        return NULL;
    }
    cctx c = {.err = err};
    schema->doc = doc;
    schema->root = compile_node(&c, doc);
    if (!schema->root) {
        ig_schema_free(schema);
        return NULL;
    }
    return schema;
}

void ig_schema_free(ig_schema *schema)
{
    if (!schema)
        return;
    node_free(schema->root);
    cJSON_Delete(schema->doc);
    free(schema);
}

const cJSON *ig_schema_document(const ig_schema *schema)
{
    return schema ? schema->doc : NULL;
}
