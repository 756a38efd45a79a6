/*
 * test_fallback_fleet.h - the providers' emulators at once, for the routing
 * suites: every key and base URL set, instances opened with chosen routing
 * settings, faults queued per provider, requests counted. fleet_start runs
 * the first four hosted ones (the fallback suites' fleet); fleet_start_all
 * adds fal, Replicate and local Stable Diffusion (AUTOMATIC1111).
 */
#ifndef IG_TEST_FALLBACK_FLEET_H
#define IG_TEST_FALLBACK_FLEET_H

#include <stddef.h>

#include "core/instance.h"
#include "emulators/emulator_core.h"

typedef struct cJSON cJSON;

/* The emulated providers: the four of fleet_start (FP_COUNT), then the
 * ones fleet_start_all adds (FP_ALL in all). */
typedef enum fleet_provider {
    FP_OPENAI, FP_STABILITY, FP_BFL, FP_OPENROUTER, FP_COUNT,
    FP_FAL = FP_COUNT, FP_REPLICATE, FP_SD_LOCAL, FP_ALL
} fleet_provider;

/* "openai", "stability", "bfl", "openrouter", "fal", "replicate",
 * "stable-diffusion-local". */
const char *fleet_name(fleet_provider p);

/* Starts the four emulators and points the environment at them. */
void fleet_start(void);
/* Starts all seven. */
void fleet_start_all(void);
void fleet_stop(void);

/* Opens an instance; image_generation is a fragment merged into
 * "imageGeneration" (NULL = none), preferences the JSON of
 * providerPreferences.image (NULL = none). Async providers poll every
 * 10 ms unless the fragment gives its own "providers". */
ig_instance *fleet_open(const char *image_generation, const char *preferences);

emu_server *fleet_server(fleet_provider p);

/* The BFL emulator itself (pending polls, credits). */
struct bfl_emulator *fleet_bfl(void);

/* Queues count faults of kind on every path of p (retry_after < 0 = no
 * Retry-After header). */
void fleet_fault(fleet_provider p, emu_fault_kind kind, int count, int retry_after);

/* Clears every emulator's request log and queued faults. */
void fleet_reset(void);

/* Requests p's emulator received since the last reset. */
size_t fleet_requests(fleet_provider p);

/* Requests every running emulator but p's received since the last reset
 * (p = FP_ALL: every one's). */
size_t fleet_requests_to_others(fleet_provider p);

/* The provider of attempt i of a result, its errorClass, its outcome. */
const char *fleet_attempt(const cJSON *result, int i, const char *key);

#endif
