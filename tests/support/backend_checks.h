/*
 * backend_checks.h - assertions the provider backend suites share (Criterion):
 * a successful result, a stored image with its sidecar, and a classified
 * failure that leaves no temp file and no key behind.
 */
#ifndef IG_BACKEND_CHECKS_H
#define IG_BACKEND_CHECKS_H

#include <stdbool.h>

#include "core/instance.h"

typedef struct cJSON cJSON;

/* imageGeneration fragment for tc_open: one attempt per call and no
 * cooldowns, for suites that check how each failure is classified rather
 * than the fallback layer (test_fallback does that). */
#define BC_NO_RETRY                                                            \
    "\"routing\":{\"maxRetries\":0,\"cooldownSeconds\":{\"auth\":0,\"quota\":0,"      \
    "\"rateLimited\":0,\"transient\":0}}"

const cJSON *bc_item(const cJSON *obj, const char *key);
const char *bc_str(const cJSON *obj, const char *key);

/* Asserts success by provider with n_images images, the last attempt (by
 * provider) succeeded; returns the images array. */
const cJSON *bc_expect_ok(const cJSON *result, const char *provider, int n_images);

/* Image i of images exists on disk as w x h of mime, with a sidecar naming
 * provider and a model. */
void bc_expect_stored(const ig_instance *inst, const cJSON *images, int i, int w, int h,
                      const char *mime, const char *provider);

/* Submits jobs generate_image calls on inst at once, odd ones with
 * odd_args and even ones with even_args, asserts each succeeds, and returns
 * how many images they made in all. */
int bc_generate_concurrently(ig_instance *inst, int jobs, const char *odd_args,
                             const char *even_args);

/* Asserts the result failed with code, retryable and (when non-zero) HTTP
 * status; its attempt failed with that class; no temp file is left in the
 * store; key appears nowhere. Deletes result. */
void bc_expect_failure(const ig_instance *inst, cJSON *result, const char *key,
                       const char *code, bool retryable, long status);

#endif
