/* emu_test_util.h - helpers of the OpenAI emulator suite (Criterion). */
#ifndef IG_EMU_TEST_UTIL_H
#define IG_EMU_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "emulators/emu_client.h"
#include "emulators/openai_emulator.h"

#define ET_KEY "sk-test-0123456789abcdef"

/* Starts an emulator with ET_KEY on an ephemeral port (asserts). */
oai_emulator *et_start(void);
/* base_url + suffix, in a static per-thread buffer. */
const char *et_url(oai_emulator *emu, const char *suffix);

/* A decoded image's facts. */
typedef struct et_image {
    char format[8];
    int width, height, bands;
} et_image;

/* Fully decodes image bytes with libvips; false when they do not decode. */
bool et_decode(const unsigned char *data, size_t size, et_image *out);
/* Decodes a b64_json item (asserts it is valid base64 and a full image). */
et_image et_decode_b64(const char *b64);

/* error.param of an OpenAI error answer ("" for null; NULL when missing). */
const char *et_err_param(const ec_result *r);
const char *et_err_code(const ec_result *r);
/* Asserts status 400 with error.param (NULL = null) and, if given, code. */
void et_expect_400(const ec_result *r, const char *param, const char *code, const char *what);

/* The spec's components.schemas object (loaded once per process). */
const cJSON *et_schema(const char *name);
/* Whether schema `name` lists key in its properties. */
bool et_spec_has(const char *schema, const char *key);

#endif
