/*
 * tool_args.h - reading schema-checked tool arguments.
 *
 * The schema already guaranteed types and ranges, so these accessors only
 * answer "given or not" and convert. Strings returned are borrowed from the
 * argument object. Pure functions; any thread.
 */
#ifndef IG_TOOL_ARGS_H
#define IG_TOOL_ARGS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cJSON cJSON;

/* The string value of key, or NULL when absent. */
const char *ig_arg_string(const cJSON *args, const char *key);

/* True and *out set when key is present as a number. */
bool ig_arg_int(const cJSON *args, const char *key, int *out);
bool ig_arg_double(const cJSON *args, const char *key, double *out);
bool ig_arg_u32(const cJSON *args, const char *key, uint32_t *out);

/* True when key is present (any type). */
bool ig_arg_has(const cJSON *args, const char *key);

/* Parses "WxH" into positive integers; false when malformed. */
bool ig_parse_size(const char *text, int *width, int *height);

/* Parses "W:H" into positive integers; false when malformed. */
bool ig_parse_ratio(const char *text, int *w, int *h);

#endif
