/*
 * config_internal.h - readers shared by config.c and config_routing.c for
 * settings the schema already type- and range-checked. Any thread.
 */
#ifndef IG_CONFIG_INTERNAL_H
#define IG_CONFIG_INTERNAL_H

typedef struct cJSON cJSON;

/* obj.key as a number, or fallback when absent (obj may be NULL). */
double ig_config_number_or(const cJSON *obj, const char *key, double fallback);

/* A malloc'd copy of the string obj.key, or NULL when absent. */
char *ig_config_strdup_or_null(const cJSON *obj, const char *key);

#endif
