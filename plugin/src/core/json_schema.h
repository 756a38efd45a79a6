/*
 * json_schema.h - a strict validator for the JSON Schema subset our tool and
 * config schemas use.
 *
 * Supported keywords: type (one name or an array of names), properties,
 * required, additionalProperties (false or a schema), propertyNames, enum,
 * const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf,
 * minLength, maxLength (counted in Unicode code points), pattern (POSIX ERE,
 * anchored as written), items, minItems, maxItems, uniqueItems, minProperties,
 * maxProperties, and the annotations $schema, $id, $comment, title,
 * description, default, examples. Any other keyword makes ig_schema_compile
 * fail, so a constraint can never be silently ignored.
 *
 * Errors are written for an LLM: the field path ("outpaint.left",
 * "providerPreferences.blocked[1]"), what was wrong, and what is allowed,
 * e.g. `n must be at most 10 (got 12)`, `unknown field "sizee" (did you mean
 * "size"? allowed: prompt, n, size, ...)`.
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
 * ig_schema_free) or NULL with err naming the schema path and keyword.
 */
ig_schema *ig_schema_compile(const char *schema_json, ig_error *err);
void ig_schema_free(ig_schema *schema);

/* The parsed schema document (owned by schema; valid while it lives). */
const cJSON *ig_schema_document(const ig_schema *schema);

/*
 * Validates instance (borrowed). Returns 0, or -1 with err filled
 * (IG_ERR_INVALID_ARGUMENT, field = path of the first violation found,
 * message = what is wrong and what is allowed). Thread-safe.
 */
int ig_schema_validate(const ig_schema *schema, const cJSON *instance,
                       ig_error *err);

#endif
