/*
 * test_fallback.c - the fallback layer's rules through the tool-call path
 * against the emulators: preference merge and order, blocked providers
 * never contacted, the weights' draw, Retry-After, accepted jobs never
 * resubmitted, cooldowns (shared, expiring), budgets, feature-keeping
 * order, events, and every tool routed through the layer.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "emulators/bfl_emulator.h"
#include "providers/backend.h"
#include "providers/fallback/error_class.h"
#include "providers/fallback/pricing.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_images.h"
#include "support/test_util.h"
#include "test_fallback_fleet.h"

#define FAST "\"routing\":{\"maxRetries\":1,\"backoffBaseMs\":0"
#define FOX "\"prompt\":\"a red fox\""

TestSuite(fallback, .init = fleet_start, .fini = fleet_stop, .timeout = 240);

static const char *str(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(obj, key));
}

static double num(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItem(obj, key)->valuedouble;
}

static const char *order_at(const cJSON *r, int i)
{
    return cJSON_GetStringValue(
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "routing"), "order"), i));
}

/* Whether routing.skipped names provider with a reason containing text. */
static bool skipped(const cJSON *r, const char *provider, const char *text)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(cJSON_GetObjectItem(r, "routing"), "skipped"))
        if (!strcmp(str(s, "provider"), provider) && strstr(str(s, "reason"), text))
            return true;
    return false;
}

/* --- order: preferences merged key by key, blocked never contacted --- */

Test(fallback, default_order_then_config_preferred_then_request_preferred)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST "}", "{\"preferred\":[\"bfl\"],\"blocked\":[\"openai\"]}");
    cJSON *r = tc_call(inst, "generate_image", "{" FOX "}");
    bc_expect_ok(r, "bfl", 1);
    cr_expect_str_eq(str(cJSON_GetObjectItem(r, "routing"), "rule"), "preferred");
    cr_expect_str_eq(order_at(r, 1), "stability", "unlisted providers follow in default order");
    cJSON_Delete(r);
    /* The request's preferred replaces the config's; its blocked list was
     * not given, so the config's still applies. */
    r = tc_call(inst, "generate_image",
                "{" FOX ",\"providerPreferences\":{\"preferred\":[\"openrouter\"]}}");
    bc_expect_ok(r, "openrouter", 1);
    for (int i = 0; i < 3; i++)
        cr_expect_str_neq(order_at(r, i), "openai", "blocked by the config");
    cJSON_Delete(r);
    cr_expect_eq(fleet_requests(FP_OPENAI), 0);
    tc_close(inst);
}

Test(fallback, blocked_providers_are_never_contacted)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST "}", NULL);
    fleet_fault(FP_BFL, EMU_FAULT_503, 10, -1);
    fleet_fault(FP_OPENROUTER, EMU_FAULT_503, 10, -1);
    cJSON *r = tc_call(inst, "generate_image",
                       "{" FOX ",\"providerPreferences\":{\"blocked\":[\"openai\",\"stability\"]}}");
    tc_expect_error(r, "all_providers_failed", "", "bfl", "openrouter", NULL);
    cr_expect_eq(fleet_requests(FP_OPENAI), 0);
    cr_expect_eq(fleet_requests(FP_STABILITY), 0);
    cJSON_Delete(r);
    /* Naming a blocked provider is an error naming the block. */
    r = tc_call(inst, "generate_image",
                "{" FOX ",\"provider\":\"openai\",\"providerPreferences\":{\"blocked\":[\"openai\"]}}");
    tc_expect_error(r, "invalid_argument", "provider", "blocked", NULL);
    cJSON_Delete(r);
    cr_expect_eq(fleet_requests(FP_OPENAI), 0);
    tc_close(inst);
}

Test(fallback, a_pinned_provider_is_not_fallen_back_from)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST "}", NULL);
    fleet_fault(FP_STABILITY, EMU_FAULT_QUOTA, 1, -1);
    cJSON *r = tc_call(inst, "generate_image", "{" FOX ",\"provider\":\"stability\"}");
    tc_expect_error(r, "provider_quota_exhausted", "", NULL);
    cr_expect_str_eq(str(cJSON_GetObjectItem(r, "routing"), "rule"), "pinned");
    cr_expect_eq(fleet_requests_to_others(FP_STABILITY), 0);
    cJSON_Delete(r);
    tc_close(inst);
}

/* --- weights --- */

Test(fallback, weights_draw_the_primary_in_proportion)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST ",\"drawSeed\":12345}",
                                   "{\"weights\":{\"openai\":3,\"stability\":1,\"bfl\":0}}");
    enum { CALLS = 200 };
    int first[FP_COUNT] = {0};
    for (int i = 0; i < CALLS; i++) {
        cJSON *r = tc_call(inst, "generate_image", "{" FOX ",\"outputFormat\":\"png\"}");
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")));
        cr_expect_str_eq(str(cJSON_GetObjectItem(r, "routing"), "rule"), "weights");
        for (int p = 0; p < FP_COUNT; p++)
            first[p] += !strcmp(order_at(r, 0), fleet_name(p));
        cJSON_Delete(r);
    }
    /* Expected 150 / 50 (binomial sd 6.1): within 4 sd. Weight 0 and
     * unweighted providers are never first. */
    cr_expect(first[FP_OPENAI] >= 126 && first[FP_OPENAI] <= 174, "openai first %d times",
              first[FP_OPENAI]);
    cr_expect_eq(first[FP_OPENAI] + first[FP_STABILITY], CALLS);
    cr_expect_eq(first[FP_BFL], 0);
    cr_expect_eq(first[FP_OPENROUTER], 0);
    tc_close(inst);
}

Test(fallback, a_zero_weight_provider_is_still_a_fallback)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST "}", "{\"weights\":{\"openai\":0,\"stability\":1}}");
    fleet_fault(FP_STABILITY, EMU_FAULT_QUOTA, 1, -1);
    cJSON *r = tc_call(inst, "generate_image", "{" FOX "}");
    bc_expect_ok(r, "openai", 1);
    cr_expect_str_eq(fleet_attempt(r, 0, "provider"), "stability");
    cJSON_Delete(r);
    tc_close(inst);
}

Test(fallback, bad_weights_are_config_errors)
{
    const char *bad[] = {"{\"weights\":{\"openai\":-1}}", "{\"weights\":{\"openai\":\"3\"}}"};
    for (int i = 0; i < 2; i++) {
        char *config = NULL;
        cr_assert(asprintf(&config, "{\"providerPreferences\":{\"image\":%s}}", bad[i]) > 0);
        ig_error err;
        ig_error_clear(&err);
        cr_expect_null(ig_instance_open(config, NULL, NULL, NULL, NULL, &err));
        cr_expect(strstr(err.field, "weights.openai"), "field %s", err.field);
        free(config);
    }
}

/* --- rate limits --- */

Test(fallback, retry_after_is_waited_exactly_once_then_retried)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST ",\"maxRetryAfterSeconds\":5}", NULL);
    fleet_fault(FP_OPENAI, EMU_FAULT_429, 1, 1);
    double started = ig_backend_now_ms();
    cJSON *r = tc_call(inst, "generate_image", "{" FOX "}");
    double took = ig_backend_now_ms() - started;
    bc_expect_ok(r, "openai", 1);
    const cJSON *second = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "attempts"), 1);
    cr_expect_eq(num(second, "waitedMs"), 1000, "the wait is Retry-After, no backoff added");
    cr_expect_geq(took, 1000);
    cr_expect_eq(fleet_requests(FP_OPENAI), 2);
    cr_expect_eq(fleet_requests(FP_STABILITY), 0);
    cJSON_Delete(r);
    tc_close(inst);
}

Test(fallback, a_long_retry_after_falls_back_and_cools_down)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST ",\"maxRetryAfterSeconds\":5}", NULL);
    fleet_fault(FP_OPENAI, EMU_FAULT_429, 1, 30);
    cJSON *r = tc_call(inst, "generate_image", "{" FOX "}");
    bc_expect_ok(r, "stability", 1);
    cr_expect_eq(num(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "attempts"), 0),
                     "retryAfterSeconds"), 30);
    cr_expect_lt(num(r, "durationMs"), 25000, "it did not wait 30 s");
    cJSON_Delete(r);
    /* The next call skips openai while it cools down. */
    r = tc_call(inst, "generate_image", "{" FOX "}");
    bc_expect_ok(r, "stability", 1);
    cr_expect(skipped(r, "openai", "cooling down"));
    cr_expect_eq(fleet_requests(FP_OPENAI), 1);
    cJSON_Delete(r);
    tc_close(inst);
}

/* --- accepted jobs --- */

Test(fallback, an_accepted_job_is_never_submitted_again)
{
    fleet_reset();
    /* BFL accepts the task, then keeps it pending past the provider's time
     * limit: its outcome is unknown and it may be charged. */
    ig_instance *inst = fleet_open(FAST "},\"providers\":{\"bfl\":{\"pollIntervalMs\":10,"
                                   "\"timeoutMs\":1000}}", "{\"preferred\":[\"bfl\"]}");
    bfl_emulator_set_pending_polls(fleet_bfl(), 1000000);
    cJSON *r = tc_call(inst, "generate_image", "{" FOX "}");
    bfl_emulator_set_pending_polls(fleet_bfl(), 0);
    tc_expect_error(r, "provider_timeout", "", NULL);
    const cJSON *attempts = cJSON_GetObjectItem(r, "attempts");
    cr_expect_eq(cJSON_GetArraySize(attempts), 1);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(attempts, 0), "accepted")));
    cr_expect(strstr(str(cJSON_GetObjectItem(r, "error"), "hint"), "not submitted again"));
    cr_expect_eq(emu_request_count(fleet_server(FP_BFL), "/v1/flux-pro-1.1"), 1);
    cr_expect_eq(fleet_requests_to_others(FP_BFL), 0);
    cJSON_Delete(r);
    tc_close(inst);
}

Test(fallback, failed_polls_are_retried_without_resubmitting)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST "}", "{\"preferred\":[\"bfl\"]}");
    emu_fault f = {.kind = EMU_FAULT_503, .path = "/regional/v1/get_result", .count = 2};
    cr_assert_eq(emu_fault_push(fleet_server(FP_BFL), &f), 0);
    cJSON *r = tc_call(inst, "generate_image", "{" FOX "}");
    bc_expect_ok(r, "bfl", 1);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "attempts")), 1);
    cr_expect_eq(emu_request_count(fleet_server(FP_BFL), "/v1/flux-pro-1.1"), 1);
    cJSON_Delete(r);
    tc_close(inst);
}

/* --- cooldowns --- */

Test(fallback, a_cooldown_expires)
{
    fleet_reset();
    /* Long enough that a slow machine still makes the second call inside
     * it (a stability call takes tens of milliseconds). */
    ig_instance *inst = fleet_open(FAST ",\"cooldownSeconds\":{\"quota\":2}}", NULL);
    fleet_fault(FP_OPENAI, EMU_FAULT_QUOTA, 1, -1);
    cJSON *r = tc_call(inst, "generate_image", "{" FOX "}");
    bc_expect_ok(r, "stability", 1);
    cJSON_Delete(r);
    r = tc_call(inst, "generate_image", "{" FOX "}");
    cr_expect(skipped(r, "openai", "after a quota failure"));
    bc_expect_ok(r, "stability", 1);
    cJSON_Delete(r);
    struct timespec pause = {2, 100 * 1000000L}; /* longer than the cooldown */
    nanosleep(&pause, NULL);
    r = tc_call(inst, "generate_image", "{" FOX "}");
    bc_expect_ok(r, "openai", 1);
    cJSON_Delete(r);
    tc_close(inst);
}

typedef struct shared_call {
    ig_instance *inst;
    char provider[32];
} shared_call;

static void *call_from_thread(void *p)
{
    shared_call *c = p;
    cJSON *r = tc_call(c->inst, "generate_image", "{" FOX "}");
    snprintf(c->provider, sizeof c->provider, "%s", str(r, "provider"));
    cJSON_Delete(r);
    return NULL;
}

Test(fallback, cooldowns_are_shared_by_every_thread)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST "}", NULL);
    fleet_fault(FP_OPENAI, EMU_FAULT_QUOTA, 1, -1);
    cJSON_Delete(tc_call(inst, "generate_image", "{" FOX "}"));
    enum { THREADS = 4 };
    pthread_t threads[THREADS];
    shared_call calls[THREADS];
    for (int i = 0; i < THREADS; i++) {
        calls[i] = (shared_call){.inst = inst};
        pthread_create(&threads[i], NULL, call_from_thread, &calls[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        cr_expect_str_eq(calls[i].provider, "stability");
    }
    cr_expect_eq(fleet_requests(FP_OPENAI), 1, "only the call that failed reached openai");
    tc_close(inst);
}

Test(fallback, every_provider_cooling_down_says_when_to_retry)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST "}", "{\"blocked\":[\"stability\",\"bfl\",\"openrouter\"]}");
    fleet_fault(FP_OPENAI, EMU_FAULT_429, 1, 42);
    cJSON_Delete(tc_call(inst, "generate_image", "{" FOX "}"));
    cJSON *r = tc_call(inst, "generate_image", "{" FOX "}");
    tc_expect_error(r, "providers_cooling_down", "", NULL);
    const cJSON *err = cJSON_GetObjectItem(r, "error");
    cr_expect(num(err, "retryAfterSeconds") > 40 && num(err, "retryAfterSeconds") <= 42);
    cr_expect_eq(fleet_requests(FP_OPENAI), 1);
    cJSON_Delete(r);
    tc_close(inst);
}

/* --- budgets and prices --- */

Test(fallback, a_budget_skips_dearer_providers_before_any_request)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST "},\"maxCostUsd\":0.035", NULL);
    cJSON *r = tc_call(inst, "generate_image", "{" FOX "}");
    bc_expect_ok(r, "stability", 1); /* core: $0.03 */
    cr_expect(skipped(r, "openai", "over maxCostUsd"));
    cr_expect_float_eq(num(cJSON_GetObjectItem(r, "cost"), "estimatedUsd"), 0.03, 1e-9);
    cJSON_Delete(r);
    /* The request's own cap replaces the config's. */
    r = tc_call(inst, "generate_image", "{" FOX ",\"maxCostUsd\":0.01}");
    tc_expect_error(r, "budget_exceeded", "maxCostUsd", NULL);
    cr_expect(strstr(str(cJSON_GetObjectItem(r, "error"), "hint"), "$0.03"));
    cJSON_Delete(r);
    cr_expect_eq(fleet_requests(FP_OPENAI), 0);
    cr_expect_eq(fleet_requests(FP_STABILITY), 1);
    tc_close(inst);
}

Test(fallback, config_prices_override_the_table)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST "},\"prices\":[{\"provider\":\"openai\","
                                   "\"model\":\"gpt-image-1\",\"usdPerImage\":0.002}]",
                                   NULL);
    cJSON *r = tc_call(inst, "generate_image", "{" FOX ",\"n\":2,\"maxCostUsd\":0.01}");
    bc_expect_ok(r, "openai", 2);
    const cJSON *cost = cJSON_GetObjectItem(r, "cost");
    cr_expect_float_eq(num(cost, "estimatedUsd"), 0.004, 1e-9);
    cr_expect_str_eq(str(cost, "source"), "imageGeneration.prices");
    cJSON_Delete(r);
    tc_close(inst);
}

Test(fallback, price_lookup)
{
    ig_cost_estimate e;
    ig_price_estimate(NULL, 0, "openai", "gpt-image-1", "high", "1024x1536", 3, &e);
    cr_expect(e.known && !e.upper_bound);
    cr_expect_float_eq(e.usd, 0.75, 1e-9);
    ig_price_estimate(NULL, 0, "openai", "gpt-image-1", "medium", NULL, 1, &e);
    cr_expect(e.upper_bound, "size left open");
    cr_expect_float_eq(e.usd, 0.063, 1e-9);
    ig_price_estimate(NULL, 0, "openai", "gpt-image-2", "high", "1024x1024", 1, &e);
    cr_expect(!e.known);
    ig_price_estimate(NULL, 0, "local", "rdn-psnr-small-x2", NULL, NULL, 1, &e);
    cr_expect(e.known && e.usd == 0);
    const ig_price rows[] = {{"stability", "*", NULL, NULL, 0.5}, {"stability", "core", NULL, NULL, 0.2}};
    ig_price_estimate(rows, 2, "stability", "core", NULL, NULL, 1, &e);
    cr_expect_float_eq(e.usd, 0.2, 1e-9, "the exact model beats \"*\"");
    cr_expect(e.from_config);
}

/* --- features, classes, events --- */

Test(fallback, providers_that_keep_the_reference_image_go_first)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST "}", NULL);
    char *dir = tu_make_temp_dir("ig-fallback");
    char *face = ti_write_png(dir, "face.png", 64, 64);
    char args[600];
    snprintf(args, sizeof args, "{" FOX ",\"referenceImageUrl\":\"%s\"}", face);
    cJSON *r = tc_call(inst, "generate_image", args);
    bc_expect_ok(r, "bfl", 1);
    cr_expect_str_eq(order_at(r, 1), "openrouter");
    cr_expect_eq(tc_warning_count(r, "referenceImageUrl"), 0);
    cJSON_Delete(r);
    /* Without them the reference is dropped, and the result says so. */
    snprintf(args, sizeof args, "{" FOX ",\"referenceImageUrl\":\"%s\","
             "\"providerPreferences\":{\"blocked\":[\"bfl\",\"openrouter\"]}}", face);
    r = tc_call(inst, "generate_image", args);
    bc_expect_ok(r, "openai", 1);
    cr_expect_eq(tc_warning_count(r, "referenceImageUrl"), 1);
    cJSON_Delete(r);
    free(face);
    tu_remove_tree(dir);
    free(dir);
    tc_close(inst);
}

/* sizeMultiple: free sizes become multiples of it and of the model's step. */
Test(fallback, size_multiple_snaps_free_sizes)
{
    fleet_reset();
    const char *args = "{" FOX ",\"size\":\"1000x1000\",\"provider\":\"bfl\"}";
    ig_instance *inst = fleet_open(FAST "}", NULL);
    cJSON *r = tc_call(inst, "generate_image", args);
    bc_expect_ok(r, "bfl", 1); /* flux-pro-1.1 sizes go in steps of 32 */
    cr_expect_str_eq(str(cJSON_GetObjectItem(r, "applied"), "size"), "992x992");
    cJSON_Delete(r);
    tc_close(inst);
    inst = fleet_open(FAST "},\"providers\":{\"bfl\":{\"sizeMultiple\":48,"
                      "\"pollIntervalMs\":10}}", NULL);
    r = tc_call(inst, "generate_image", args); /* lcm(32, 48) = 96 */
    bc_expect_ok(r, "bfl", 1);
    cr_expect_str_eq(str(cJSON_GetObjectItem(r, "applied"), "size"), "960x960");
    cJSON_Delete(r);
    tc_close(inst);
}

Test(fallback, error_classes)
{
    ig_error e = {.code = IG_ERR_PROVIDER_INVALID_REQUEST, .http_status = 404};
    cr_expect_eq(ig_error_class_of(&e), IG_CLASS_UNSUPPORTED);
    e.http_status = 422;
    cr_expect_eq(ig_error_class_of(&e), IG_CLASS_INVALID_REQUEST);
    e = (ig_error){.code = IG_ERR_PROVIDER_ERROR, .http_status = 501};
    cr_expect_eq(ig_error_class_of(&e), IG_CLASS_UNSUPPORTED);
    e.http_status = 500;
    cr_expect_eq(ig_error_class_of(&e), IG_CLASS_TRANSIENT);
    e = (ig_error){.code = IG_ERR_STORE_FAILED};
    cr_expect_eq(ig_error_class_of(&e), IG_CLASS_LOCAL);
    cr_expect(!ig_error_class_falls_back(IG_CLASS_OUTPUT_REFUSED, false));
    cr_expect(ig_error_class_falls_back(IG_CLASS_OUTPUT_REFUSED, true));
    cr_expect(!ig_error_class_falls_back(IG_CLASS_INVALID_REQUEST, true));
}

static char events[4096];

static void capture_event(void *user_data, const char *json)
{
    (void)user_data;
    if (strstr(json, "provider.fallback"))
        snprintf(events + strlen(events), sizeof events - strlen(events), "%s\n", json);
}

Test(fallback, fallbacks_reach_the_host_as_events)
{
    fleet_reset();
    events[0] = '\0';
    ig_instance *inst = fleet_open(FAST "}", NULL);
    inst->event_fn = capture_event;
    fleet_fault(FP_OPENAI, EMU_FAULT_QUOTA, 1, -1);
    cJSON *r = tc_call(inst, "generate_image", "{" FOX "}");
    bc_expect_ok(r, "stability", 1);
    cr_expect(strstr(events, "\"from\":\"openai\",\"to\":\"stability\",\"errorClass\":\"quota\""),
              "%s", events);
    cJSON_Delete(r);
    tc_close(inst);
}

/* --- every tool goes through the layer --- */

Test(fallback, edit_upscale_and_style_transfer_fall_back_too)
{
    fleet_reset();
    ig_instance *inst = fleet_open(FAST "}", NULL);
    char *dir = tu_make_temp_dir("ig-fallback");
    char *photo = ti_write_png(dir, "photo.png", 96, 64);
    char *mask = ti_write_png(dir, "mask.png", 96, 64);
    char args[1200];

    fleet_fault(FP_OPENAI, EMU_FAULT_QUOTA, 1, -1);
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"mask\":\"%s\",\"prompt\":\"a hat\"}",
             photo, mask);
    cJSON *r = tc_call(inst, "edit_image", args);
    bc_expect_ok(r, "stability", 1);
    cJSON_Delete(r);

    fleet_fault(FP_STABILITY, EMU_FAULT_503, 2, -1);
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"method\":\"auto\",\"maxSeconds\":30}",
             photo);
    r = tc_call(inst, "upscale_image", args);
    bc_expect_ok(r, "local", 1);
    cJSON_Delete(r);

    fleet_reset();
    fleet_fault(FP_STABILITY, EMU_FAULT_QUOTA, 1, -1);
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"styleImage\":\"%s\"}", photo, mask);
    r = tc_call(inst, "transfer_style", args);
    bc_expect_ok(r, "bfl", 1);
    cJSON_Delete(r);

    free(photo);
    free(mask);
    tu_remove_tree(dir);
    free(dir);
    tc_close(inst);
}
