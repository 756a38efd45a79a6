/* test_fallback_fleet.c - see test_fallback_fleet.h. */
#include "test_fallback_fleet.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/a1111_emulator.h"
#include "emulators/bfl_emulator.h"
#include "emulators/fal_emulator.h"
#include "emulators/openai_emulator.h"
#include "emulators/openrouter_emulator.h"
#include "emulators/replicate_emulator.h"
#include "emulators/stability_emulator.h"
#include "support/test_calls.h"
#include "support/test_util.h"

#define KEY "sk-fleet-test-key-0123456789abcdef"

static oai_emulator *openai;
static stab_emulator *stability;
static bfl_emulator *bfl;
static orr_emulator *openrouter;
static fal_emulator *fal;
static replicate_emulator *replicate;
static a1111_emulator *sd_local;

static const char *const names[FP_ALL] = {"openai",    "stability", "bfl",
                                          "openrouter", "fal",      "replicate",
                                          "stable-diffusion-local"};

const char *fleet_name(fleet_provider p)
{
    return names[p];
}

void fleet_start(void)
{
    tc_clear_provider_env();
    openai = oai_emulator_start(0, KEY);
    stability = stab_emulator_start(0, KEY);
    bfl = bfl_emulator_start(0, KEY);
    openrouter = orr_emulator_start(0, KEY);
    cr_assert(openai && stability && bfl && openrouter, "an emulator did not start");
    setenv("OPENAI_API_KEY", KEY, 1);
    setenv("OPENAI_BASE_URL", oai_emulator_base_url(openai), 1);
    setenv("STABILITY_API_KEY", KEY, 1);
    setenv("STABILITY_BASE_URL", stab_emulator_base_url(stability), 1);
    setenv("BFL_API_KEY", KEY, 1);
    setenv("BFL_BASE_URL", bfl_emulator_base_url(bfl), 1);
    setenv("OPENROUTER_API_KEY", KEY, 1);
    setenv("OPENROUTER_BASE_URL", orr_emulator_base_url(openrouter), 1);
}

void fleet_start_all(void)
{
    fleet_start();
    fal = fal_emulator_start(0, KEY);
    replicate = replicate_emulator_start(0, KEY);
    sd_local = a1111_emulator_start(0, NULL);
    cr_assert(fal && replicate && sd_local, "an emulator did not start");
    setenv("FAL_API_KEY", KEY, 1);
    setenv("FAL_BASE_URL", fal_emulator_base_url(fal), 1);
    setenv("REPLICATE_API_TOKEN", KEY, 1);
    setenv("REPLICATE_BASE_URL", replicate_emulator_base_url(replicate), 1);
    setenv("STABLE_DIFFUSION_LOCAL_BASE_URL", a1111_emulator_base_url(sd_local), 1);
}

void fleet_stop(void)
{
    oai_emulator_stop(openai);
    stab_emulator_stop(stability);
    bfl_emulator_stop(bfl);
    orr_emulator_stop(openrouter);
    fal_emulator_stop(fal);
    replicate_emulator_stop(replicate);
    a1111_emulator_stop(sd_local);
    fal = NULL, replicate = NULL, sd_local = NULL;
}

struct bfl_emulator *fleet_bfl(void)
{
    return bfl;
}

emu_server *fleet_server(fleet_provider p)
{
    switch (p) {
    case FP_OPENAI:
        return oai_emulator_server(openai);
    case FP_STABILITY:
        return stab_emulator_server(stability);
    case FP_BFL:
        return bfl_emulator_server(bfl);
    case FP_OPENROUTER:
        return orr_emulator_server(openrouter);
    case FP_FAL:
        return fal ? fal_emulator_server(fal) : NULL;
    case FP_REPLICATE:
        return replicate ? replicate_emulator_server(replicate) : NULL;
    default:
        return sd_local ? a1111_emulator_server(sd_local) : NULL;
    }
}

ig_instance *fleet_open(const char *image_generation, const char *preferences)
{
    char *dir = tu_make_temp_dir("ig-fleet");
    char *config = NULL;
    bool own_providers = image_generation && strstr(image_generation, "\"providers\"");
    cr_assert(asprintf(&config,
                       "{\"imageGeneration\":{\"imageDir\":\"%s/images\"%s%s%s}%s%s%s}", dir,
                       own_providers ? "" : ",\"providers\":{\"bfl\":{\"pollIntervalMs\":10},"
                                            "\"stability\":{\"pollIntervalMs\":10},"
                                            "\"fal\":{\"pollIntervalMs\":10},"
                                            "\"replicate\":{\"pollIntervalMs\":10},"
                                            "\"stable-diffusion-local\":{\"pollIntervalMs\":10}}",
                       image_generation ? "," : "", image_generation ? image_generation : "",
                       preferences ? ",\"providerPreferences\":{\"image\":" : "",
                       preferences ? preferences : "", preferences ? "}" : "") > 0);
    ig_error err;
    ig_error_clear(&err);
    ig_instance *inst = ig_instance_open(config, NULL, NULL, NULL, NULL, &err);
    cr_assert(inst, "open failed: %s %s (%s)", err.field, err.message, config);
    free(config);
    free(dir);
    return inst;
}

void fleet_fault(fleet_provider p, emu_fault_kind kind, int count, int retry_after)
{
    emu_fault f = {.kind = kind, .path = NULL, .count = count, .retry_after = retry_after};
    cr_assert_eq(emu_fault_push(fleet_server(p), &f), 0);
}

void fleet_reset(void)
{
    for (int p = 0; p < FP_ALL; p++) {
        if (!fleet_server(p))
            continue; /* not started */
        emu_fault_clear(fleet_server(p));
        emu_request_log_clear(fleet_server(p));
    }
}

size_t fleet_requests(fleet_provider p)
{
    return fleet_server(p) ? emu_request_count(fleet_server(p), NULL) : 0;
}

size_t fleet_requests_to_others(fleet_provider p)
{
    size_t n = 0;
    for (int other = 0; other < FP_ALL; other++)
        n += other == (int)p ? 0 : fleet_requests(other);
    return n;
}

const char *fleet_attempt(const cJSON *result, int i, const char *key)
{
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(result, "attempts"), i);
    return cJSON_GetStringValue(cJSON_GetObjectItem(a, key));
}
