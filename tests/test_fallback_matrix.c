/*
 * test_fallback_matrix.c - every hosted provider x every fault class, through
 * the ABI's tool-call path against the four emulators: which failures are
 * retried, which fall back to the next provider (and which one), which stop
 * the call with nothing sent elsewhere, and how many requests each provider
 * received.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "test_fallback_fleet.h"

/* One retry of transient failures, no waiting between tries. */
#define ROUTING "\"routing\":{\"maxRetries\":1,\"backoffBaseMs\":0}"

TestSuite(matrix, .init = fleet_start, .fini = fleet_stop, .timeout = 240);

/* The provider tried after `primary` when the request prefers it: the
 * first of the default order that is not primary. */
static fleet_provider next_after(fleet_provider primary)
{
    return primary == FP_OPENAI ? FP_STABILITY : FP_OPENAI;
}

/* Runs generate_image preferring primary; returns the result. */
static cJSON *generate_preferring(ig_instance *inst, fleet_provider primary)
{
    char args[200];
    snprintf(args, sizeof args,
             "{\"prompt\":\"a red fox\",\"providerPreferences\":{\"preferred\":[\"%s\"]}}",
             fleet_name(primary));
    return tc_call(inst, "generate_image", args);
}

/* A fault the next provider can fix: the call succeeds there, primary p got
 * `primary_requests` requests, and the first attempt has errorClass cls. */
static void expect_fallback_from(fleet_provider p, emu_fault_kind kind, int faults,
                                 int retry_after, const char *cls, size_t primary_requests)
{
    fleet_reset();
    ig_instance *inst = fleet_open(ROUTING, NULL);
    fleet_fault(p, kind, faults, retry_after);
    cJSON *r = generate_preferring(inst, p);
    fleet_provider next = next_after(p);
    bc_expect_ok(r, fleet_name(next), 1);
    cr_expect_str_eq(fleet_attempt(r, 0, "provider"), fleet_name(p));
    cr_expect_str_eq(fleet_attempt(r, 0, "errorClass"), cls, "%s", fleet_name(p));
    cr_expect_eq(fleet_requests(p), primary_requests, "%s: %zu requests", fleet_name(p),
                 fleet_requests(p));
    for (int other = 0; other < FP_COUNT; other++)
        if (other != (int)p && other != (int)next)
            cr_expect_eq(fleet_requests(other), 0, "%s was contacted", fleet_name(other));
    cr_expect_eq(tc_warning_count(r, "provider"), 1, "the fallback is reported");
    cJSON_Delete(r);
    tc_close(inst);
}

/* expect_fallback_from for every provider. */
static void expect_fallback(emu_fault_kind kind, int faults, int retry_after, const char *cls,
                            size_t primary_requests)
{
    for (int p = 0; p < FP_COUNT; p++)
        expect_fallback_from(p, kind, faults, retry_after, cls, primary_requests);
}

/* A fault no other provider can fix: the call fails with code, and no
 * other provider receives a single request. */
static void expect_stop(emu_fault_kind kind, const char *code, const char *cls)
{
    for (int p = 0; p < FP_COUNT; p++) {
        fleet_reset();
        ig_instance *inst = fleet_open(ROUTING, NULL);
        fleet_fault(p, kind, 5, -1);
        cJSON *r = generate_preferring(inst, p);
        tc_expect_error(r, code, "", NULL);
        cr_expect_str_eq(fleet_attempt(r, 0, "errorClass"), cls, "%s", fleet_name(p));
        cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "attempts")), 1,
                     "%s: not retried", fleet_name(p));
        cr_expect_eq(fleet_requests_to_others(p), 0, "another provider was contacted after "
                     "%s's %s", fleet_name(p), cls);
        cJSON_Delete(r);
        tc_close(inst);
    }
}

Test(matrix, server_errors_are_retried_then_fall_back)
{
    expect_fallback(EMU_FAULT_503, 2, -1, "transient", 2);
}

Test(matrix, one_server_error_is_retried_on_the_same_provider)
{
    for (int p = 0; p < FP_COUNT; p++) {
        fleet_reset();
        ig_instance *inst = fleet_open(ROUTING, NULL);
        fleet_fault(p, EMU_FAULT_500, 1, -1);
        cJSON *r = generate_preferring(inst, p);
        bc_expect_ok(r, fleet_name(p), 1);
        cr_expect_str_eq(fleet_attempt(r, 0, "errorClass"), "transient");
        cr_expect_str_eq(fleet_attempt(r, 1, "outcome"), "succeeded");
        cJSON_Delete(r);
        tc_close(inst);
    }
}

/* A reset answer to a synchronous request is transient: retried, then the
 * next provider. BFL's submit is reset after the request went out whole: the
 * task may exist and be charged, so the attempt is accepted and the task is
 * never submitted again, to BFL or any other provider. */
Test(matrix, connection_resets_are_transient_unless_a_job_may_exist)
{
    for (int p = 0; p < FP_COUNT; p++)
        if (p != FP_BFL)
            expect_fallback_from(p, EMU_FAULT_RESET, 2, -1, "transient", 2);
    fleet_reset();
    ig_instance *inst = fleet_open(ROUTING, NULL);
    fleet_fault(FP_BFL, EMU_FAULT_RESET, 2, -1);
    cJSON *r = generate_preferring(inst, FP_BFL);
    tc_expect_error(r, "provider_network_error", "", "may have been created", NULL);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "attempts")), 1, "retried");
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(
                  cJSON_GetObjectItem(r, "attempts"), 0), "accepted")));
    cr_expect_eq(fleet_requests(FP_BFL), 1);
    cr_expect_eq(fleet_requests_to_others(FP_BFL), 0, "the task was sent elsewhere");
    cJSON_Delete(r);
    tc_close(inst);
}

Test(matrix, rate_limits_without_retry_after_fall_back_at_once)
{
    expect_fallback(EMU_FAULT_429, 1, -1, "rate_limited", 1);
}

Test(matrix, exhausted_quota_falls_back_at_once)
{
    expect_fallback(EMU_FAULT_QUOTA, 1, -1, "quota", 1);
}

Test(matrix, refused_keys_fall_back_at_once)
{
    for (int p = 0; p < FP_COUNT; p++) {
        fleet_reset();
        char config[300];
        snprintf(config, sizeof config,
                 ROUTING ",\"providers\":{\"%s\":{\"apiKey\":\"sk-wrong-key-000000000000\"}}",
                 fleet_name(p));
        ig_instance *inst = fleet_open(config, NULL);
        cJSON *r = generate_preferring(inst, p);
        bc_expect_ok(r, fleet_name(next_after(p)), 1);
        cr_expect_str_eq(fleet_attempt(r, 0, "errorClass"), "auth", "%s", fleet_name(p));
        cr_expect_eq(fleet_requests(p), 1);
        cJSON_Delete(r);
        tc_close(inst);
    }
}

Test(matrix, invalid_requests_stop)
{
    expect_stop(EMU_FAULT_INVALID, "provider_invalid_request", "invalid_request");
}

Test(matrix, moderation_stops_by_default)
{
    expect_stop(EMU_FAULT_MODERATION, "prompt_refused", "prompt_refused");
}

Test(matrix, moderation_falls_back_when_configured)
{
    for (int p = 0; p < FP_COUNT; p++) {
        fleet_reset();
        ig_instance *inst = fleet_open("\"routing\":{\"maxRetries\":1,\"backoffBaseMs\":0,"
                                       "\"fallbackOnModeration\":true}", NULL);
        fleet_fault(p, EMU_FAULT_MODERATION, 1, -1);
        cJSON *r = generate_preferring(inst, p);
        bc_expect_ok(r, fleet_name(next_after(p)), 1);
        cr_expect_str_eq(fleet_attempt(r, 0, "errorClass"), "prompt_refused");
        cJSON_Delete(r);
        tc_close(inst);
    }
}

Test(matrix, every_provider_failing_is_summarised)
{
    fleet_reset();
    ig_instance *inst = fleet_open("\"routing\":{\"maxRetries\":0}", NULL);
    fleet_fault(FP_OPENAI, EMU_FAULT_503, 1, -1);
    fleet_fault(FP_STABILITY, EMU_FAULT_QUOTA, 1, -1);
    fleet_fault(FP_BFL, EMU_FAULT_429, 1, -1);
    fleet_fault(FP_OPENROUTER, EMU_FAULT_502, 1, -1);
    cJSON *r = tc_call(inst, "generate_image", "{\"prompt\":\"a red fox\"}");
    tc_expect_error(r, "all_providers_failed", "", "openai: transient (HTTP 503)",
                    "stability: quota", "bfl: rate_limited (HTTP 429)", "openrouter: transient",
                    NULL);
    const cJSON *err = cJSON_GetObjectItem(r, "error");
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(err, "retryable")));
    cr_expect(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(err, "hint")),
                     "Add credits to the stability account"));
    cr_expect(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(err, "hint")), "Wait 10 s"));
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "attempts")), 4);
    cr_expect_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "cost"), "estimatedUsd")->valuedouble,
                 0);
    cJSON_Delete(r);
    tc_close(inst);
}
