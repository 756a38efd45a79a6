/* test_openrouter_emulator_util.h - helpers of the OpenRouter emulator suites (Criterion). */
#ifndef IG_TEST_OPENROUTER_EMULATOR_UTIL_H
#define IG_TEST_OPENROUTER_EMULATOR_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "emulators/emu_client.h"
#include "emulators/emu_test_util.h"
#include "emulators/openrouter_emulator.h"

#define OT_KEY "sk-or-v1-test0123456789abcdef"
#define OT_COMPLETIONS "/api/v1/chat/completions"

/* Starts an emulator with OT_KEY on an ephemeral port (asserts). */
orr_emulator *ot_start(void);
/* base_url + suffix, in a static per-thread buffer. */
const char *ot_url(orr_emulator *emu, const char *suffix);
/* POSTs a JSON text to /chat/completions with the right key. */
ec_result ot_post(orr_emulator *emu, const char *json);
/* A {"model","modalities","messages":[user: prompt]} body plus extra
 * top-level members ("" or ",\"k\":v..."); malloc'd. modalities is a JSON
 * array text or NULL to leave it out. */
char *ot_body(const char *model, const char *modalities, const char *prompt, const char *extra);
/* A data URL of a real test image (ti_encode); malloc'd. */
char *ot_data_url(const char *format, int width, int height);

/* choices[0].message of an answer (asserts). */
const cJSON *ot_message(const ec_result *r);
/* Decodes message.images[i].image_url.url, asserting the data URL names
 * mime image/<format> and holds a full image of that format. */
et_image ot_image(const ec_result *r, int i, const char *format);
/* Asserts a 200 chat.completion for model with one w x h image of format
 * and usage.cost == cost. */
void ot_expect_image(const ec_result *r, const char *model, int w, int h, const char *format,
                     double cost);
/* Asserts an OpenRouter error answer: HTTP status, {"error":{"code":status,
 * "message":...}} whose message contains `contains` (NULL = any). */
void ot_expect_error(const ec_result *r, long status, const char *contains, const char *what);
/* error.metadata of an answer (NULL when absent). */
const cJSON *ot_err_metadata(const ec_result *r);

#endif
