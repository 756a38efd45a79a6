/* json_text.c - see json_text.h. */
#include "core/json_text.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <string.h>

cJSON *ig_json_parse(const char *text, size_t *error_offset)
{
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, strlen(text) + 1, &end, true);
    if (!doc && error_offset)
        *error_offset = end && end >= text ? (size_t)(end - text) : 0;
    return doc;
}
