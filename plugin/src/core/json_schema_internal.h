/*
 * json_schema_internal.h - the compiled schema tree shared by json_schema.c
 * (compilation) and json_schema_validate.c (validation). Not part of the API:
 * include json_schema.h instead.
 *
 * Every node borrows its strings and JSON values from the parsed schema
 * document that the ig_schema owns, so nothing here is copied. After
 * ig_schema_compile returns, the tree is never written again, which is what
 * makes concurrent validation safe.
 */
#ifndef IG_JSON_SCHEMA_INTERNAL_H
#define IG_JSON_SCHEMA_INTERNAL_H

#include "json_schema.h"

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

/* Bits of ig_snode.types. A number with no fractional part has both
 * IG_T_NUMBER and IG_T_INTEGER, so "number" and "integer" both accept it. */
enum {
    IG_T_STRING = 1u << 0,
    IG_T_INTEGER = 1u << 1,
    IG_T_NUMBER = 1u << 2,
    IG_T_BOOLEAN = 1u << 3,
    IG_T_OBJECT = 1u << 4,
    IG_T_ARRAY = 1u << 5,
    IG_T_NULL = 1u << 6,
};

/* "Absent" for the count keywords (minLength, maxItems, ...). */
#define IG_NO_COUNT (-1LL)

typedef struct ig_snode ig_snode;

/* One entry of "properties", in schema order. */
typedef struct ig_sprop {
    const char *name;
    ig_snode *schema;
} ig_sprop;

/* A numeric bound after merging minimum with exclusiveMinimum (or maximum
 * with exclusiveMaximum): the stricter one wins. */
typedef struct ig_sbound {
    bool set;
    bool exclusive;
    double value;
} ig_sbound;

struct ig_snode {
    const cJSON *src;        /* this schema in the document (object or bool) */
    bool reject_all;         /* the `false` schema */
    unsigned types;          /* IG_T_* bits allowed; 0 = any type */

    ig_sprop *props;         /* "properties" */
    size_t nprops;
    const cJSON *required;   /* array of strings, or NULL */
    bool closed;             /* "additionalProperties": false */
    ig_snode *additional;    /* "additionalProperties" as a schema, or NULL */
    ig_snode *property_names;
    long long min_props, max_props;

    const cJSON *enum_values; /* array, or NULL */
    const cJSON *const_value; /* any value, or NULL when absent */

    ig_sbound lower, upper;
    double multiple_of;       /* 0 = absent (compile rejects <= 0) */

    long long min_length, max_length; /* in code points */
    bool has_pattern;
    regex_t pattern;          /* REG_EXTENDED | REG_NOSUB */
    const char *pattern_src;

    ig_snode *items;
    long long min_items, max_items;
    bool unique_items;
};

struct ig_schema {
    cJSON *doc;      /* the parsed schema text */
    ig_snode *root;
};

/* "string", "number", "boolean", "null", "array" or "object" for messages. */
const char *ig_json_type_name(const cJSON *v);

#endif
