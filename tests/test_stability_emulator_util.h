/* test_stability_emulator_util.h - helpers of the Stability emulator suites (Criterion). */
#ifndef IG_TEST_STABILITY_EMULATOR_UTIL_H
#define IG_TEST_STABILITY_EMULATOR_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "emulators/emu_client.h"
#include "emulators/stability_emulator.h"

#define ST_KEY "sk-stab-test-0123456789abcdef"
#define ST_GEN "/v2beta/stable-image/generate/"
#define ST_EDIT "/v2beta/stable-image/edit/"
#define ST_UPSCALE "/v2beta/stable-image/upscale/"
#define ST_CONTROL "/v2beta/stable-image/control/"

/* Starts an emulator with ST_KEY on an ephemeral port (asserts). */
stab_emulator *st_start(void);
/* base_url + path, in a static per-thread buffer. */
const char *st_url(stab_emulator *emu, const char *path);

/* POSTs multipart parts to path with ST_KEY; accept NULL = no accept header
 * at all, else its value (e.g. "application/json"). */
ec_result st_post(stab_emulator *emu, const char *path, const char *accept,
                  const ec_part *parts, size_t count);
/* GETs path with ST_KEY and an accept value (NULL = none). */
ec_result st_get(stab_emulator *emu, const char *path, const char *accept);

/* A file part named name holding bytes (a png/jpeg/webp by its magic). */
ec_part st_file(const char *name, const unsigned char *data, size_t size);

/* A decoded image's facts. */
typedef struct st_image {
    char format[8];
    int width, height, bands;
} st_image;

/* Fully decodes image bytes with libvips (asserts they decode). */
st_image st_decode(const unsigned char *data, size_t size);
/* Asserts a 200 raw image answer of format/size with finish-reason and a
 * numeric seed header; returns its facts. reason NULL = "SUCCESS". */
st_image st_expect_image(const ec_result *r, const char *format, int w, int h,
                         const char *reason);
/* Asserts a 200 JSON image answer {"image","finish_reason","seed"}. */
st_image st_expect_json_image(const ec_result *r, const char *format, int w, int h);
/* The seed header of an answer as a number (-1 when missing). */
long long st_seed_header(const ec_result *r);

/* Asserts Stability's error shape {"id" (32 hex),"name","errors":[...]}
 * with status and name, and (field != NULL) an errors entry starting with
 * "<field>:". */
void st_expect_error(const ec_result *r, long status, const char *name, const char *field,
                     const char *what);

#endif
