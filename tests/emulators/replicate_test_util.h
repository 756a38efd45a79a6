/*
 * replicate_test_util.h - helpers of the Replicate suites (Criterion): raw
 * calls to the emulator, and checks against Replicate's own OpenAPI spec
 * (../shared/specs/replicate.openapi.json) with the project's JSON Schema
 * validator, after the spec's schema objects are resolved into the subset
 * it takes ($ref inlined, nullable -> a type list, oneOf of strings ->
 * string, format/example dropped). Used by one test thread.
 */
#ifndef IG_REPLICATE_TEST_UTIL_H
#define IG_REPLICATE_TEST_UTIL_H

#include <stdbool.h>

#include "emulators/emu_client.h"
#include "emulators/replicate_emulator.h"

#define RT_TOKEN "r8_test_token_0123456789abcdef"
#define RT_FLUX "black-forest-labs/flux-schnell"
#define RT_ESRGAN_VERSION "42fed1c4974146d4d2414e2be2c5277c7fcf05fcc3a73abf41610695738c1d7b"

/* Starts an emulator with RT_TOKEN on an ephemeral port (asserts). */
replicate_emulator *rt_start(void);
/* base_url (".../v1") + suffix, in a static per-thread buffer. */
const char *rt_url(replicate_emulator *emu, const char *suffix);
/* A request with "Authorization: Bearer token" (NULL = none) and a Prefer
 * header (NULL = none). */
ec_result rt_call(const char *method, const char *url, const char *token, const char *prefer,
                  const char *body);
/* POSTs input_json as {"input": ...} for an official model, with the token. */
ec_result rt_create(replicate_emulator *emu, const char *model, const char *input_json,
                    const char *prefer);

/* The spec (skips the test when it is not beside the checkout). */
const cJSON *rt_spec(void);
/* Asserts instance is valid against components.schemas[name]. */
void rt_expect_schema(const cJSON *instance, const char *name, const char *what);
/* Whether instance is valid against components.schemas[name]. */
bool rt_schema_ok(const cJSON *instance, const char *name);
/* Whether value matches the spec's Prefer header pattern. */
bool rt_prefer_valid(const char *value);

#endif
