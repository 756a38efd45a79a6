/* test_calls.h - opening an instance and making tool calls in tests. */
#ifndef IG_TEST_CALLS_H
#define IG_TEST_CALLS_H

#include "core/instance.h"

typedef struct cJSON cJSON;

/* Unsets every provider key and base URL variable (each test is its own
 * process, so this never leaks into another test). */
void tc_clear_provider_env(void);

/* Opens an instance storing images in a fresh temp dir; extra_config is a
 * JSON fragment merged into "imageGeneration" (e.g. "\"allowPrivateUrls\":true")
 * or NULL. Aborts the test on failure. */
ig_instance *tc_open(const char *extra_config);

/* Closes the instance and removes its image directory. */
void tc_close(ig_instance *inst);

/* Runs a synchronous call and returns the parsed result (caller deletes). */
cJSON *tc_call(ig_instance *inst, const char *tool, const char *args_json);

/* tc_call of tool with args_fmt, whose "%s" stands for the path of a fresh
 * w x h PNG written into dir. */
cJSON *tc_call_with_png(ig_instance *inst, const char *dir, const char *tool, int w, int h,
                        const char *args_fmt);

/* Asserts the result failed with code and field ("" = none) and that the
 * message contains every NULL-terminated substring given. */
void tc_expect_error(const cJSON *result, const char *code, const char *field, ...);

/* Number of warnings whose field is `field`. */
int tc_warning_count(const cJSON *result, const char *field);

#endif
