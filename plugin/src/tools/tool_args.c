/* tool_args.c - see tool_args.h. */
#include "tools/tool_args.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>

const char *ig_arg_string(const cJSON *args, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, key));
}

bool ig_arg_double(const cJSON *args, const char *key, double *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(args, key);
    if (!cJSON_IsNumber(item))
        return false;
    *out = item->valuedouble;
    return true;
}

bool ig_arg_int(const cJSON *args, const char *key, int *out)
{
    double v;
    if (!ig_arg_double(args, key, &v) || v < INT_MIN || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

bool ig_arg_u32(const cJSON *args, const char *key, uint32_t *out)
{
    double v;
    if (!ig_arg_double(args, key, &v) || v < 0 || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

bool ig_arg_has(const cJSON *args, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(args, key) != NULL;
}

/* Reads a positive decimal integer up to `stop`; advances *p past it. */
static bool read_positive(const char **p, char stop, int *out)
{
    char *end;
    long v = strtol(*p, &end, 10);
    if (end == *p || *end != stop || v <= 0 || v > 1000000 || **p == '+' ||
        **p == '-' || **p == ' ')
        return false;
    *out = (int)v;
    *p = end;
    return true;
}

bool ig_parse_size(const char *text, int *width, int *height)
{
    const char *p = text;
    if (!p || !read_positive(&p, 'x', width))
        return false;
    p++;
    return read_positive(&p, '\0', height);
}

bool ig_parse_ratio(const char *text, int *w, int *h)
{
    const char *p = text;
    if (!p || !read_positive(&p, ':', w))
        return false;
    p++;
    return read_positive(&p, '\0', h);
}
