/* openai_validate_internal.h - shared by openai_validate.c and openai_validate_files.c. */
#ifndef IG_OPENAI_VALIDATE_INTERNAL_H
#define IG_OPENAI_VALIDATE_INTERNAL_H

#include <cjson/cJSON.h>

#include "emulators/openai_internal.h"

/* Whether s is in the NULL-terminated list. */
bool oai_in(const char *const *list, const char *s);
/* A field's string value, or NULL when absent, null or not a string. */
const char *oai_str(const cJSON *obj, const char *key);
/* Type and value checks of the non-file fields (a JSON object); fills p. */
int oai_validate_fields(const cJSON *obj, oai_endpoint ep, oai_params *p, oai_error *e);

/* The model a request names, or the endpoint's default for its fields. */
const char *oai_model_of(const cJSON *obj, oai_endpoint ep);
/* Whether m is a GPT image model (dall-e-2/3 are not). */
bool oai_is_gpt_model(const char *m);

#endif
