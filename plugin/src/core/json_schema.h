/*
 * json_schema.h - a strict validator for the JSON Schema subset our tool and
 * config schemas use.
 *
 * Supported keywords: type (one name or an array of names), properties,
 * required, additionalProperties (false or a schema), propertyNames, enum,
 * const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf,
 * minLength, maxLength (counted in Unicode code points), pattern (POSIX ERE,
 * anchored as written), items (one schema; not the tuple form), minItems,
 * maxItems, uniqueItems, minProperties, maxProperties, and the annotations
 * $schema, $id, $comment, title, description, default, examples. A schema
 * may also be `true` or `false`. Any other keyword makes ig_schema_compile
 * fail, so a constraint can never be silently ignored.
 *
 * Semantics: "integer" accepts any number without a fractional part (2.0);
 * booleans are never numbers; enum/const/uniqueItems use deep equality;
 * every string must be valid UTF-8; an object may not repeat a key.
 *
 * Errors are written for an LLM: the field path ("outpaint.left",
 * "providerPreferences.blocked[1]", "" for the whole value), what was wrong,
 * and what is allowed, quoting the value sent, e.g.
 * `n must be at most 10 (got 12)`, `unknown field "sizee" (did you mean
 * "size"? allowed fields: prompt, n, size, ...)`. The field is the path of
 * the offending value; for an unknown field or key it is that member's path,
 * for a missing required field it is the object's path.
 *
 * A compiled schema is immutable and may be shared by threads.
 */
#ifndef IG_JSON_SCHEMA_H
#define IG_JSON_SCHEMA_H

#include "ig_error.h"

typedef struct cJSON cJSON;
typedef struct ig_schema ig_schema;

/*
 * Compiles schema_json (borrowed text). Returns the schema (free with
 * ig_schema_free) or NULL with err (IG_ERR_INTERNAL: a bad schema is a bug)
 * naming the schema path and keyword, e.g.
 * `schema properties.size: unsupported keyword "format"`, or the byte offset
 * for text that is not JSON. err may be NULL.
 */
ig_schema *ig_schema_compile(const char *schema_json, ig_error *err);
void ig_schema_free(ig_schema *schema);

/* The parsed schema document (owned by schema; valid while it lives). */
const cJSON *ig_schema_document(const ig_schema *schema);

/*
 * Validates instance (borrowed). Returns 0, or -1 with err filled
 * (IG_ERR_INVALID_ARGUMENT, field = path of the first violation found,
 * message = what is wrong and what is allowed, hint = what to do where one
 * helps). "First" is document order: the value's type, then its own
 * keywords; in an object "required" before the members, members in the
 * instance's order. As with ig_fail, an err already holding an error is left
 * alone. Thread-safe.
 */
int ig_schema_validate(const ig_schema *schema, const cJSON *instance,
                       ig_error *err);

#endif
