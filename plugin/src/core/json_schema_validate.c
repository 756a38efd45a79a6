/*
 * json_schema_validate.c - checks a cJSON value against a compiled schema
 * (json_schema_internal.h) and words the first violation for an LLM reader:
 * the path of the offending value, what was wrong, what is allowed, and the
 * value that was sent.
 *
 * Order of checks, so that "first violation" is predictable: at each value
 * type, then UTF-8 validity (strings), then const/enum, then the keywords of
 * the value's type. In objects: required (schema order), min/maxProperties,
 * then each member in the instance's order. In arrays: min/maxItems, then
 * each item in order (its schema, then uniqueness against earlier items).
 *
 * Nothing here writes shared state: all scratch space is on the stack.
 */
#include "json_schema_internal.h"
#include "json_schema_text.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LIMIT 80   /* bytes of an odd key quoted in a path */

/* ---- paths and reporting ------------------------------------------------- */

/* Validation state: the path of the value being checked and where errors go. */
typedef struct vctx {
    ig_error *err;
    ig_sbuf path; /* "providerPreferences.blocked[1]"; "" at the root */
} vctx;

/* What messages call the current value: its path, or "value" at the root. */
static const char *subject(const vctx *v)
{
    return v->path.len ? v->path.buf : "value";
}

/* Keys that can be written bare in a dotted path. */
static bool is_identifier(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '$'))
            return false;
    return true;
}

/* Descends into a member: "a.key", or a["odd key"] for unusual names.
 * Returns the old length for path_pop. */
static size_t push_key(vctx *v, const char *key)
{
    size_t old = v->path.len;
    if (is_identifier(key)) {
        if (old)
            ig_sb_puts(&v->path, ".");
        ig_sb_puts(&v->path, key);
    } else {
        ig_sb_puts(&v->path, "[");
        ig_put_quoted_limit(&v->path, key, KEY_LIMIT);
        ig_sb_puts(&v->path, "]");
    }
    return old;
}

static size_t push_index(vctx *v, int index)
{
    size_t old = v->path.len;
    ig_sb_printf(&v->path, "[%d]", index);
    return old;
}

static void path_pop(vctx *v, size_t old)
{
    v->path.len = old;
    v->path.buf[old] = '\0';
}

/* Fills err (the first failure wins) with the current path as field, and
 * sets the hint only if this call wrote the error. Returns -1. */
static int report(vctx *v, const ig_sbuf *msg, const char *hint)
{
    bool fresh = v->err && v->err->code == IG_OK;
    ig_fail(v->err, IG_ERR_INVALID_ARGUMENT, v->path.buf, "%s", msg->buf);
    if (fresh && hint && *hint)
        ig_error_hint(v->err, "%s", hint);
    return -1;
}

/* report() for a member of the current object: field is the member's path. */
static int report_at_key(vctx *v, const char *key, const ig_sbuf *msg,
                         const char *hint)
{
    size_t old = push_key(v, key);
    report(v, msg, hint);
    path_pop(v, old);
    return -1;
}

static int validate_node(vctx *v, const ig_snode *n, const cJSON *x);

/* ---- type ---------------------------------------------------------------- */

/* The IG_T_* bits a value satisfies (whole numbers are also integers). */
static unsigned instance_types(const cJSON *x)
{
    if (cJSON_IsNumber(x)) {
        double d = x->valuedouble;
        return isfinite(d) && floor(d) == d ? IG_T_NUMBER | IG_T_INTEGER
                                            : IG_T_NUMBER;
    }
    if (cJSON_IsString(x))
        return IG_T_STRING;
    if (cJSON_IsBool(x))
        return IG_T_BOOLEAN;
    if (cJSON_IsNull(x))
        return IG_T_NULL;
    if (cJSON_IsArray(x))
        return IG_T_ARRAY;
    if (cJSON_IsObject(x))
        return IG_T_OBJECT;
    return 0;
}

/* Appends "a string, an integer or null". */
static void put_type_list(ig_sbuf *b, unsigned types)
{
    static const struct { unsigned bit; const char *phrase; } names[] = {
        {IG_T_STRING, "a string"}, {IG_T_INTEGER, "an integer"},
        {IG_T_NUMBER, "a number"}, {IG_T_BOOLEAN, "a boolean"},
        {IG_T_OBJECT, "an object"}, {IG_T_ARRAY, "an array"},
        {IG_T_NULL, "null"},
    };
    if (types & IG_T_NUMBER) /* "an integer or a number" says nothing more */
        types &= ~(unsigned)IG_T_INTEGER;
    size_t total = 0, done = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        total += (types & names[i].bit) != 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(types & names[i].bit))
            continue;
        if (done)
            ig_sb_puts(b, done + 1 == total ? " or " : ", ");
        ig_sb_puts(b, names[i].phrase);
        done++;
    }
}

/* A hint for the common near-misses: quoted numbers and booleans. */
static const char *type_hint(unsigned want, const cJSON *x)
{
    if (cJSON_IsString(x) && (want & (IG_T_NUMBER | IG_T_INTEGER))) {
        char *end = NULL;
        strtod(x->valuestring, &end);
        if (*x->valuestring && end && *end == '\0')
            return "Send the number as a JSON number, without quotes.";
    }
    if (cJSON_IsString(x) && (want & IG_T_BOOLEAN) &&
        (strcmp(x->valuestring, "true") == 0 || strcmp(x->valuestring, "false") == 0))
        return "Send true or false without quotes.";
    if (cJSON_IsNumber(x) && want == IG_T_INTEGER)
        return "Use a whole number.";
    return NULL;
}

static int check_type(vctx *v, const ig_snode *n, const cJSON *x)
{
    if (!n->types || (instance_types(x) & n->types))
        return 0;
    ig_sbuf m = {.len = 0};
    ig_sb_printf(&m, "%s must be ", subject(v));
    put_type_list(&m, n->types);
    ig_sb_puts(&m, " (");
    ig_put_got_typed(&m, x);
    ig_sb_puts(&m, ")");
    return report(v, &m, type_hint(n->types, x));
}

/* ---- const and enum ------------------------------------------------------ */

static bool enum_has(const cJSON *values, const cJSON *x)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, values)
        if (cJSON_Compare(it, x, true))
            return true;
    return false;
}

/* The enum string closest to a string value, or NULL. */
static const char *closest_enum(const cJSON *values, const cJSON *x)
{
    if (!cJSON_IsString(x))
        return NULL;
    ig_suggestion s = {.got = x->valuestring};
    const cJSON *it;
    cJSON_ArrayForEach(it, values)
        if (cJSON_IsString(it))
            ig_suggest(&s, it->valuestring);
    return s.best;
}

static int fail_const(vctx *v, const ig_snode *n, const cJSON *x)
{
    ig_sbuf m = {.len = 0};
    ig_sb_printf(&m, "%s must be ", subject(v));
    ig_put_json(&m, n->const_value);
    ig_sb_puts(&m, " (got ");
    ig_put_json(&m, x);
    ig_sb_puts(&m, ")");
    return report(v, &m, NULL);
}

/* "quality must be one of: auto, low (got "hgih"; did you mean "high"?)" */
static int fail_enum(vctx *v, const ig_snode *n, const cJSON *x)
{
    ig_sbuf m = {.len = 0};
    ig_sb_printf(&m, "%s must be one of: ", subject(v));
    ig_put_value_list(&m, n->enum_values);
    ig_sb_puts(&m, " (got ");
    ig_put_json(&m, x);
    const char *near = closest_enum(n->enum_values, x);
    if (near) {
        ig_sb_puts(&m, "; did you mean ");
        ig_put_quoted(&m, near);
        ig_sb_puts(&m, "?");
    }
    ig_sb_puts(&m, ")");
    return report(v, &m, "Use one of the listed values exactly as written.");
}

static int check_const_enum(vctx *v, const ig_snode *n, const cJSON *x)
{
    if (n->const_value && !cJSON_Compare(n->const_value, x, true))
        return fail_const(v, n, x);
    if (n->enum_values && !enum_has(n->enum_values, x))
        return fail_enum(v, n, x);
    return 0;
}

/* ---- numbers ------------------------------------------------------------- */

static bool below(const ig_sbound *lo, double d)
{
    return lo->set && (lo->exclusive ? !(d > lo->value) : !(d >= lo->value));
}

static bool above(const ig_sbound *hi, double d)
{
    return hi->set && (hi->exclusive ? !(d < hi->value) : !(d <= hi->value));
}

/* Appends the allowed range: "between 0 and 1", "at least 0",
 * "greater than 0 and at most 1", ... */
static void put_range(ig_sbuf *b, const ig_sbound *lo, const ig_sbound *hi)
{
    char a[40], z[40];
    ig_fmt_number(lo->value, a);
    ig_fmt_number(hi->value, z);
    if (lo->set && hi->set && !lo->exclusive && !hi->exclusive) {
        ig_sb_printf(b, "between %s and %s", a, z);
        return;
    }
    if (lo->set)
        ig_sb_printf(b, "%s %s", lo->exclusive ? "greater than" : "at least", a);
    if (lo->set && hi->set)
        ig_sb_puts(b, " and ");
    if (hi->set)
        ig_sb_printf(b, "%s %s", hi->exclusive ? "less than" : "at most", z);
}

/* multipleOf with a relative tolerance, so 0.07 is a multiple of 0.01. */
static bool is_multiple(double d, double of)
{
    double q = d / of;
    if (!isfinite(q))
        return false;
    return fabs(q - rint(q)) <= 1e-9 * fmax(1.0, fabs(q));
}

/* Reports a bound or multipleOf violation (multiple == false: a bound). */
static int fail_number(vctx *v, const ig_snode *n, double d, bool multiple)
{
    char got[40], of[40];
    ig_sbuf m = {.len = 0};
    ig_fmt_number(d, got);
    if (multiple) {
        ig_fmt_number(n->multiple_of, of);
        ig_sb_printf(&m, "%s must be a multiple of %s (got %s)", subject(v), of, got);
    } else {
        ig_sb_printf(&m, "%s must be ", subject(v));
        put_range(&m, &n->lower, &n->upper);
        ig_sb_printf(&m, " (got %s)", got);
    }
    return report(v, &m, NULL);
}

static int check_number(vctx *v, const ig_snode *n, const cJSON *x)
{
    double d = x->valuedouble;
    if (below(&n->lower, d) || above(&n->upper, d))
        return fail_number(v, n, d, false);
    if (n->multiple_of > 0 && !is_multiple(d, n->multiple_of))
        return fail_number(v, n, d, true);
    return 0;
}

/* ---- strings ------------------------------------------------------------- */

static int check_utf8(vctx *v, const cJSON *x)
{
    size_t count;
    if (ig_utf8_length(x->valuestring, &count))
        return 0;
    ig_sbuf m = {.len = 0};
    ig_sb_printf(&m, "%s is not valid UTF-8", subject(v));
    return report(v, &m, "Send the text as valid UTF-8.");
}

/* Pattern failures quote the schema's first example when it has one (more
 * useful to a reader than a regex), else the regex itself. */
static int fail_pattern(vctx *v, const ig_snode *n, const cJSON *x)
{
    ig_sbuf m = {.len = 0};
    const cJSON *examples = cJSON_GetObjectItemCaseSensitive(n->src, "examples");
    const cJSON *first = cJSON_IsArray(examples) ? examples->child : NULL;
    if (first) {
        ig_sb_printf(&m, "%s is not in the expected format (e.g. ", subject(v));
        ig_put_json(&m, first);
        ig_sb_puts(&m, "; got ");
    } else {
        ig_sb_printf(&m, "%s must match the pattern %s (got ", subject(v),
                  n->pattern_src);
    }
    ig_put_json(&m, x);
    ig_sb_puts(&m, ")");
    const char *hint =
        cJSON_GetObjectItemCaseSensitive(n->src, "description")
            ? "See this field's description in the schema for the expected format."
            : NULL;
    return report(v, &m, hint);
}

/* Reports a minLength/maxLength violation (count is in code points). */
static int fail_length(vctx *v, const ig_snode *n, size_t count)
{
    ig_sbuf m = {.len = 0};
    if (n->min_length != IG_NO_COUNT && count < (size_t)n->min_length) {
        if (n->min_length == 1)
            ig_sb_printf(&m, "%s must not be empty", subject(v));
        else
            ig_sb_printf(&m, "%s must be at least %lld characters (got %zu)",
                      subject(v), n->min_length, count);
        return report(v, &m, NULL);
    }
    if (n->max_length != IG_NO_COUNT && count > (size_t)n->max_length) {
        ig_sb_printf(&m, "%s must be at most %lld character%s (got %zu)", subject(v),
                  n->max_length, n->max_length == 1 ? "" : "s", count);
        return report(v, &m, "Shorten the text.");
    }
    return 0;
}

static int check_string(vctx *v, const ig_snode *n, const cJSON *x)
{
    size_t count = 0;
    if (n->min_length != IG_NO_COUNT || n->max_length != IG_NO_COUNT) {
        ig_utf8_length(x->valuestring, &count); /* validity was checked already */
        if (fail_length(v, n, count) != 0)
            return -1;
    }
    if (n->has_pattern && regexec(&n->pattern, x->valuestring, 0, NULL, 0) != 0)
        return fail_pattern(v, n, x);
    return 0;
}

/* ---- arrays -------------------------------------------------------------- */

/* Fails when a count is outside [min, max]; `noun` is "item" or "field". */
static int check_count(vctx *v, long long min, long long max, long long got,
                       const char *noun)
{
    bool few = min != IG_NO_COUNT && got < min;
    if (!few && !(max != IG_NO_COUNT && got > max))
        return 0;
    long long limit = few ? min : max;
    ig_sbuf m = {.len = 0};
    ig_sb_printf(&m, "%s must have at %s %lld %s%s (got %lld)", subject(v),
              few ? "least" : "most", limit, noun, limit == 1 ? "" : "s", got);
    return report(v, &m, NULL);
}

/* Index of an earlier item deep-equal to item, or -1. */
static int earlier_duplicate(const cJSON *array, const cJSON *item)
{
    int i = 0;
    for (const cJSON *it = array->child; it && it != item; it = it->next, i++)
        if (cJSON_Compare(it, item, true))
            return i;
    return -1;
}

static int fail_duplicate(vctx *v, int index, int first, const cJSON *item)
{
    ig_sbuf m = {.len = 0};
    ig_sb_printf(&m, "%s must not contain duplicate items (item [%d] repeats "
              "item [%d]: ", subject(v), index, first);
    ig_put_json(&m, item);
    ig_sb_puts(&m, ")");
    size_t old = push_index(v, index);
    report(v, &m, "Remove the duplicate item.");
    path_pop(v, old);
    return -1;
}

static int check_array(vctx *v, const ig_snode *n, const cJSON *x)
{
    if (check_count(v, n->min_items, n->max_items, cJSON_GetArraySize(x),
                    "item") != 0)
        return -1;
    int i = 0;
    for (const cJSON *it = x->child; it; it = it->next, i++) {
        if (n->items) {
            size_t old = push_index(v, i);
            int rc = validate_node(v, n->items, it);
            path_pop(v, old);
            if (rc != 0)
                return -1;
        }
        int first = n->unique_items ? earlier_duplicate(x, it) : -1;
        if (first >= 0)
            return fail_duplicate(v, i, first, it);
    }
    return 0;
}

/* ---- objects ------------------------------------------------------------- */

static const ig_snode *find_prop(const ig_snode *n, const char *key)
{
    for (size_t i = 0; i < n->nprops; i++)
        if (strcmp(n->props[i].name, key) == 0)
            return n->props[i].schema;
    return NULL;
}

/* Appends " in <path>" when not at the root. */
static void put_where(ig_sbuf *b, const vctx *v)
{
    if (v->path.len)
        ig_sb_printf(b, " in %s", v->path.buf);
}

/* A missing required field, reported at the object's path (the field has no
 * value of its own); points out an undeclared key that looks like a
 * misspelling of it ("sizee" for "size"). */
static int fail_missing(vctx *v, const ig_snode *n, const cJSON *x,
                        const char *name)
{
    ig_sbuf m = {.len = 0}, hint = {.len = 0};
    ig_sb_puts(&m, "missing required field ");
    ig_put_quoted(&m, name);
    put_where(&m, v);
    const cJSON *typo = NULL;
    size_t best = 0;
    for (const cJSON *it = x->child; it; it = it->next) {
        if (find_prop(n, it->string))
            continue;
        ig_suggestion s = {.got = it->string};
        ig_suggest(&s, name);
        if (s.best && (!typo || s.dist < best))
            typo = it, best = s.dist;
    }
    if (typo) {
        ig_sb_puts(&m, " (found unknown field ");
        ig_put_quoted(&m, typo->string);
        ig_sb_puts(&m, "; did you mean ");
        ig_put_quoted(&m, name);
        ig_sb_puts(&m, "?)");
    }
    ig_sb_puts(&hint, "Add the ");
    ig_put_quoted(&hint, name);
    ig_sb_puts(&hint, " field.");
    return report(v, &m, hint.buf);
}

static int check_required(vctx *v, const ig_snode *n, const cJSON *x)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, n->required)
        if (!cJSON_GetObjectItemCaseSensitive(x, it->valuestring))
            return fail_missing(v, n, x, it->valuestring);
    return 0;
}

/* A member that "additionalProperties": false does not allow. */
static int fail_unknown_field(vctx *v, const ig_snode *n, const char *key)
{
    ig_sbuf m = {.len = 0};
    ig_sb_puts(&m, "unknown field ");
    ig_put_quoted(&m, key);
    put_where(&m, v);
    if (n->nprops == 0) {
        ig_sb_puts(&m, " (no fields are allowed here)");
        return report_at_key(v, key, &m, "Remove the field.");
    }
    ig_suggestion s = {.got = key};
    for (size_t i = 0; i < n->nprops; i++)
        ig_suggest(&s, n->props[i].name);
    ig_sb_puts(&m, " (");
    if (s.best) {
        ig_sb_puts(&m, "did you mean ");
        ig_put_quoted(&m, s.best);
        ig_sb_puts(&m, "? ");
    }
    ig_sb_puts(&m, "allowed fields: ");
    ig_put_prop_list(&m, n);
    ig_sb_puts(&m, ")");
    return report_at_key(v, key, &m,
                         "Remove the field or rename it; see the tool's inputSchema.");
}

/* A key outside a propertyNames enum: "weights has unknown key "foo" (...)". */
static int fail_unknown_key(vctx *v, const ig_snode *names, const cJSON *key)
{
    ig_sbuf m = {.len = 0};
    ig_sb_printf(&m, "%s has unknown key ", subject(v));
    ig_put_quoted(&m, key->valuestring);
    if (names->reject_all) {
        ig_sb_puts(&m, " (no keys are allowed here)");
        return report_at_key(v, key->valuestring, &m, "Remove the key.");
    }
    ig_sb_puts(&m, " (");
    const char *near = closest_enum(names->enum_values, key);
    if (near) {
        ig_sb_puts(&m, "did you mean ");
        ig_put_quoted(&m, near);
        ig_sb_puts(&m, "? ");
    }
    ig_sb_puts(&m, "allowed: ");
    ig_put_value_list(&m, names->enum_values);
    ig_sb_puts(&m, ")");
    return report_at_key(v, key->valuestring, &m, "Use one of the allowed keys.");
}

/* Checks a key against "propertyNames". An enum gets the unknown-key
 * wording; other constraints are checked with the key as the subject
 * (`key "Foo" in weights must match ...`). */
static int check_key_name(vctx *v, const ig_snode *names, const char *key)
{
    cJSON key_json;
    memset(&key_json, 0, sizeof key_json);
    key_json.type = cJSON_String;
    key_json.valuestring = (char *)key;
    if (names->reject_all || (names->enum_values &&
                              !enum_has(names->enum_values, &key_json)))
        return fail_unknown_key(v, names, &key_json);
    ig_error inner;
    ig_error_clear(&inner);
    vctx sub = {.err = &inner};
    ig_sb_puts(&sub.path, "key ");
    ig_put_quoted(&sub.path, key);
    put_where(&sub.path, v);
    if (validate_node(&sub, names, &key_json) == 0)
        return 0;
    ig_sbuf m = {.len = 0};
    ig_sb_puts(&m, inner.message);
    return report_at_key(v, key, &m, inner.hint);
}

/* A key that is not UTF-8, or that the object repeats (cJSON keeps both
 * copies; which one a reader sees would be arbitrary). */
/* A member's key and its position, for finding repeated keys by sorting. */
typedef struct keyref {
    const char *key;
    int index;
} keyref;

static int compare_keyrefs(const void *pa, const void *pb)
{
    const keyref *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    return c ? c : a->index - b->index;
}

/* Index of the first member whose key already appeared earlier, or -1.
 * Sorting keeps this O(n log n): a linear lookup per member made an object
 * with tens of thousands of keys cost seconds. */
static int first_repeated_key(const cJSON *x)
{
    int n = 0;
    for (const cJSON *it = x->child; it; it = it->next)
        n++;
    keyref *refs = n > 1 ? malloc((size_t)n * sizeof *refs) : NULL;
    if (!refs)
        return -1;
    int i = 0;
    for (const cJSON *it = x->child; it; it = it->next, i++)
        refs[i] = (keyref){it->string ? it->string : "", i};
    qsort(refs, (size_t)n, sizeof *refs, compare_keyrefs);
    int first = -1;
    for (i = 1; i < n; i++)
        if (!strcmp(refs[i].key, refs[i - 1].key) && (first < 0 || refs[i].index < first))
            first = refs[i].index;
    free(refs);
    return first;
}

static int check_key_text(vctx *v, bool repeated, const char *key)
{
    size_t count;
    if (!ig_utf8_length(key, &count)) {
        ig_sbuf m = {.len = 0};
        ig_sb_printf(&m, "%s has a field name that is not valid UTF-8", subject(v));
        return report(v, &m, "Send field names as valid UTF-8.");
    }
    if (repeated) {
        ig_sbuf m = {.len = 0};
        ig_sb_puts(&m, "field ");
        ig_put_quoted(&m, key);
        ig_sb_puts(&m, " appears more than once");
        put_where(&m, v);
        return report_at_key(v, key, &m, "Send each field only once.");
    }
    return 0;
}

/* One member of an object: key checks, then its value against the matching
 * property schema, additionalProperties, or nothing. */
static int check_member(vctx *v, const ig_snode *n, const cJSON *member,
                        bool repeated)
{
    const char *key = member->string ? member->string : "";
    if (check_key_text(v, repeated, key) != 0)
        return -1;
    if (n->property_names && check_key_name(v, n->property_names, key) != 0)
        return -1;
    const ig_snode *schema = find_prop(n, key);
    if (!schema && n->closed)
        return fail_unknown_field(v, n, key);
    if (!schema)
        schema = n->additional;
    if (!schema)
        return 0;
    size_t old = push_key(v, key);
    int rc = validate_node(v, schema, member);
    path_pop(v, old);
    return rc;
}

static int check_object(vctx *v, const ig_snode *n, const cJSON *x)
{
    if (n->required && check_required(v, n, x) != 0)
        return -1;
    if (check_count(v, n->min_props, n->max_props, cJSON_GetArraySize(x),
                    "field") != 0)
        return -1;
    int repeated = first_repeated_key(x), i = 0;
    for (const cJSON *it = x->child; it; it = it->next, i++)
        if (check_member(v, n, it, i == repeated) != 0)
            return -1;
    return 0;
}

/* ---- entry --------------------------------------------------------------- */

/* Validates one value against one schema node, in the order described at
 * the top of this file. */
static int validate_node(vctx *v, const ig_snode *n, const cJSON *x)
{
    if (n->reject_all) {
        ig_sbuf m = {.len = 0};
        ig_sb_printf(&m, "%s is not allowed", subject(v));
        return report(v, &m, "Remove it.");
    }
    if (check_type(v, n, x) != 0)
        return -1;
    if (cJSON_IsString(x) && check_utf8(v, x) != 0)
        return -1;
    if (check_const_enum(v, n, x) != 0)
        return -1;
    if (cJSON_IsNumber(x))
        return check_number(v, n, x);
    if (cJSON_IsString(x))
        return check_string(v, n, x);
    if (cJSON_IsArray(x))
        return check_array(v, n, x);
    if (cJSON_IsObject(x))
        return check_object(v, n, x);
    return 0;
}

int ig_schema_validate(const ig_schema *schema, const cJSON *instance,
                       ig_error *err)
{
    if (!schema || !schema->root)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "no schema to validate against");
    if (!instance)
        return ig_fail(err, IG_ERR_INVALID_ARGUMENT, NULL, "value is missing");
    vctx v = {.err = err};
    return validate_node(&v, schema->root, instance);
}
