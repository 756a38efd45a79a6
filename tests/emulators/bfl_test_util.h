/* bfl_test_util.h - helpers of the BFL emulator suites (Criterion). */
#ifndef IG_BFL_TEST_UTIL_H
#define IG_BFL_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "emulators/bfl_emulator.h"
#include "emulators/emu_test_util.h"
#include "emulators/emu_client.h"

#define BFL_TEST_KEY "bfl-test-key-0123456789abcdef"

/* Starts an emulator with BFL_TEST_KEY on an ephemeral port (asserts). */
bfl_emulator *bfl_test_start(void);
/* base_url + suffix, in a static per-thread buffer. */
const char *bfl_test_url(bfl_emulator *emu, const char *suffix);

/* Any request with `x-key: key` (key NULL = no header) and a JSON body (may be NULL). */
ec_result bfl_test_call(const char *method, const char *url, const char *key, const char *body);
/* POST /v1/<endpoint> with BFL_TEST_KEY. */
ec_result bfl_test_submit(bfl_emulator *emu, const char *endpoint, const char *json);
/* GET a polling URL with BFL_TEST_KEY. */
ec_result bfl_test_poll(const char *polling_url);

/* Submits (asserting 200 and the AsyncResponse shape), then polls the
 * returned polling_url, asserting exactly `pending` Pending answers with a
 * rising progress before a final status. Returns the final answer (free it). */
cJSON *bfl_test_run(bfl_emulator *emu, const char *endpoint, const char *json, int pending);

/* A cheap flux-dev body (256x256). */
#define BFL_TEST_CHEAP "{\"prompt\":\"p\",\"width\":256,\"height\":256}"

/* Queues a fault through the C API (Retry-After 3). */
void bfl_test_push(bfl_emulator *emu, emu_fault_kind kind, const char *path, int count);
/* Submits BFL_TEST_CHEAP to flux-dev (asserting 200); returns the malloc'd polling_url. */
char *bfl_test_submit_cheap(bfl_emulator *emu);
/* Polls once (asserting 200 and the ResultResponse shape); returns the malloc'd status. */
char *bfl_test_poll_status(const char *url);
/* Asserts a {"detail": "<text>"} answer with a status (text NULL = any string). */
void bfl_test_expect_detail(const ec_result *r, long status, const char *text);

/* GETs a Ready answer's result.sample without a key and decodes it (asserts). */
et_image bfl_test_download(const cJSON *ready);

/* base64 of a test image (png|jpeg|webp, bands 1..4); malloc'd. */
char *bfl_test_b64_image(const char *format, int width, int height, int bands);
/* base64 of a white-on-black mask PNG; malloc'd. */
char *bfl_test_b64_mask(int width, int height);

/* Asserts a 422 {"detail":[...]} whose items all match ValidationError and
 * one of which has loc ["body", field] (NULL = ["body"]) and type. */
void bfl_test_expect_422(const ec_result *r, const char *field, const char *type, const char *what);

/* The spec (loaded once; skips the test when the file is absent). */
const cJSON *bfl_test_spec(void);
/* components.schemas.<name> of the spec (asserts it exists). */
const cJSON *bfl_test_schema(const char *name);
/* Asserts obj has the schema's required properties and only its properties. */
void bfl_test_expect_schema(const cJSON *obj, const char *schema, const char *what);

#endif
