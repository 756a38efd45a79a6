/* json_parse.c - see json_parse.h. */
#include "json_parse.h"

#include <cjson/cJSON.h>
#include <string.h>

cJSON *agx_json_parse(const char *text, size_t len, long *error_offset)
{
    if (error_offset)
        *error_offset = 0;
    if (!text)
        return NULL;
    const char *nul = memchr(text, '\0', len);
    if (nul) { /* an embedded NUL would hide what follows it */
        if (error_offset)
            *error_offset = (long)(nul - text);
        return NULL;
    }
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
    if (!doc && error_offset && end)
        *error_offset = (long)(end - text);
    return doc;
}

cJSON *agx_json_parse_str(const char *text)
{
    return text ? agx_json_parse(text, strlen(text), NULL) : NULL;
}
