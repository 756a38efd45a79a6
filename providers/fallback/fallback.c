/* fallback.c - see fallback.h. */
#include "providers/fallback/fallback.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/result.h"

/* One provider's final failure, kept for the summary. */
typedef struct failure {
    const ig_candidate *candidate;
    ig_error err;
    ig_error_class cls;
    double cooldown_s;
} failure;

/* The attempt's outcome in result.attempts. */
static void record_attempt(cJSON *result, const ig_candidate *c, const cJSON *attempt_result,
                           const ig_error *err, double offset_ms, double ms, double waited_ms)
{
    const char *model = cJSON_GetStringValue(ig_result_get((cJSON *)attempt_result, "model"));
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "provider", ig_provider(c->provider)->name);
    cJSON_AddStringToObject(a, "model", model ? model : c->caps.model);
    cJSON_AddStringToObject(a, "outcome", err->code == IG_OK ? "succeeded" : "failed");
    if (err->code == IG_OK) {
        cJSON_AddNullToObject(a, "errorClass");
        cJSON_AddNullToObject(a, "code");
    } else {
        cJSON_AddStringToObject(a, "errorClass", ig_error_class_name(ig_error_class_of(err)));
        cJSON_AddStringToObject(a, "code", ig_error_code_name(err->code));
    }
    if (err->http_status)
        cJSON_AddNumberToObject(a, "httpStatus", (double)err->http_status);
    else
        cJSON_AddNullToObject(a, "httpStatus");
    /* offsetMs: when the attempt began, from the first attempt's start. */
    cJSON_AddNumberToObject(a, "offsetMs", round(offset_ms * 100) / 100);
    cJSON_AddNumberToObject(a, "ms", round(ms * 100) / 100);
    cJSON_AddNumberToObject(a, "waitedMs", round(waited_ms));
    if (err->retry_after_s > 0)
        cJSON_AddNumberToObject(a, "retryAfterSeconds", err->retry_after_s);
    if (err->code != IG_OK)
        cJSON_AddStringToObject(a, "message", err->message);
    if (err->accepted)
        cJSON_AddTrueToObject(a, "accepted");
    cJSON_AddItemToArray(ig_result_get(result, "attempts"), a);
}

/* Moves an attempt's outcome into the call's result: what ran, what it
 * cost, its images and warnings. */
static void adopt(cJSON *result, cJSON *attempt_result)
{
    static const char *const keys[] = {"provider", "model", "applied", "revisedPrompt", "cost"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        ig_result_put(result, keys[i],
                      cJSON_DetachItemFromObjectCaseSensitive(attempt_result, keys[i]));
    static const char *const lists[] = {"images", "warnings"};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        cJSON *to = ig_result_get(result, lists[i]), *from = ig_result_get(attempt_result, lists[i]);
        cJSON *item;
        while ((item = cJSON_DetachItemFromArray(from, 0)))
            cJSON_AddItemToArray(to, item);
    }
}

/* Full jitter (a uniform part of the exponential step): retries of many
 * calls spread out instead of arriving together. */
static double backoff_ms(const ig_fallback_env *env, int retry)
{
    double step = env->routing->backoff_base_ms * ldexp(1.0, retry);
    if (step > env->routing->backoff_max_ms)
        step = env->routing->backoff_max_ms;
    return ig_routing_draw(env->state) * step;
}

/* How long to wait before trying the same provider again, or -1 to move on. */
static double retry_wait_ms(const ig_fallback_env *env, ig_error_class cls, const ig_error *err,
                            int retries)
{
    if (retries >= env->routing->max_retries)
        return -1;
    if (cls == IG_CLASS_TRANSIENT)
        return backoff_ms(env, retries);
    if (cls == IG_CLASS_RATE_LIMITED && err->retry_after_s > 0 &&
        err->retry_after_s <= env->routing->max_retry_after_s)
        return err->retry_after_s * 1000.0;
    return -1;
}

/* Cooldown after a provider's final failure (0 = none). */
static double cooldown_s(const ig_fallback_env *env, ig_error_class cls, const ig_error *err)
{
    if (cls == IG_CLASS_RATE_LIMITED && env->routing->cooldown_s[cls] > 0 &&
        err->retry_after_s > 0)
        return err->retry_after_s;
    return env->routing->cooldown_s[cls];
}

/* Whether the call must end with this failure instead of trying elsewhere. */
static bool must_stop(const ig_fallback_env *env, ig_error_class cls, const ig_error *err,
                      const cJSON *attempt_result)
{
    if (err->accepted || cJSON_GetArraySize(ig_result_get((cJSON *)attempt_result, "images")))
        return true; /* paid for: never submitted again */
    return !ig_error_class_falls_back(cls, env->routing->fallback_on_moderation);
}

static void emit_fallback(const ig_fallback_env *env, const failure *f, const ig_candidate *next)
{
    if (!env->event)
        return;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", "provider.fallback");
    cJSON_AddStringToObject(e, "from", ig_provider(f->candidate->provider)->name);
    cJSON_AddStringToObject(e, "to", ig_provider(next->provider)->name);
    cJSON_AddStringToObject(e, "errorClass", ig_error_class_name(f->cls));
    cJSON_AddStringToObject(e, "code", ig_error_code_name(f->err.code));
    if (f->err.http_status)
        cJSON_AddNumberToObject(e, "httpStatus", (double)f->err.http_status);
    cJSON_AddNumberToObject(e, "cooldownSeconds", f->cooldown_s);
    env->event(env->event_ctx, e);
    cJSON_Delete(e);
}

/* Appends printf text to a fixed buffer. */
static void append(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

/* One error out of several providers' failures: each named with its class,
 * and a hint per class saying what fixes it. */
static void summarise(const failure *failures, int n, ig_error *err)
{
    char message[sizeof err->message] = "", hint[sizeof err->hint] = "";
    double wait_s = 0;
    bool retryable = false;
    for (int i = 0; i < n; i++) {
        const failure *f = &failures[i];
        const ig_provider_info *p = ig_provider(f->candidate->provider);
        append(message, sizeof message, "%s%s: %s", i ? "; " : "", p->name,
               ig_error_class_name(f->cls));
        if (f->err.http_status)
            append(message, sizeof message, " (HTTP %ld)", f->err.http_status);
        switch (f->cls) {
        case IG_CLASS_AUTH:
            append(hint, sizeof hint, "Check %s: %s refused it. ",
                   p->key_env ? p->key_env : "its settings", p->name);
            break;
        case IG_CLASS_QUOTA:
            append(hint, sizeof hint, "Add credits to the %s account. ", p->name);
            break;
        case IG_CLASS_RATE_LIMITED:
        case IG_CLASS_TRANSIENT:
            retryable = true;
            if (wait_s == 0 || f->cooldown_s < wait_s)
                wait_s = f->cooldown_s;
            break;
        default:
            break;
        }
    }
    ig_error_clear(err);
    ig_fail(err, IG_ERR_ALL_PROVIDERS_FAILED, NULL, "%d providers were tried and each failed: %s",
            n, message);
    if (retryable)
        append(hint, sizeof hint, "Wait %.0f s and retry: the busy or failing providers are "
               "skipped until then. ", ceil(wait_s));
    ig_error_hint(err, "%s(result.attempts has each attempt.)", hint);
    err->retryable = retryable;
    err->retry_after_s = retryable ? wait_s : 0;
}

/* A failed call's cost: nothing, unless a job was accepted (then the
 * attempt's estimate stands, since it may be charged). */
static void failed_cost(cJSON *result, bool accepted)
{
    cJSON *cost = ig_result_get(result, "cost");
    if (accepted && cJSON_IsObject(cost)) {
        cJSON_AddStringToObject(cost, "note", "the provider accepted the job: it may be "
                                              "charged although no image came back");
        return;
    }
    cJSON *none = cJSON_CreateObject();
    cJSON_AddNumberToObject(none, "estimatedUsd", 0);
    cJSON_AddStringToObject(none, "currency", "USD");
    cJSON_AddStringToObject(none, "note", "no image was made; providers do not charge for "
                                          "refused or failed requests");
    ig_result_put(result, "cost", none);
}

/* Ends the call with the one failure that stopped it. */
static int stop_with(cJSON *result, const ig_error *failed, ig_error *err)
{
    if (!cJSON_GetArraySize(ig_result_get(result, "images")))
        failed_cost(result, failed->accepted);
    *err = *failed;
    if (failed->accepted)
        append(err->hint, sizeof err->hint, " The provider accepted the job, so it may be "
               "charged; it was not submitted again.");
    return -1;
}

int ig_fallback_run(const ig_fallback_env *env, const ig_route_plan *plan, cJSON *result,
                    ig_error *err)
{
    const char *tool = cJSON_GetStringValue(ig_result_get(result, "tool"));
    failure failures[IG_PROVIDER_COUNT];
    int n_failed = 0;
    cJSON *last = NULL;
    double run_started = ig_backend_now_ms();
    for (int ci = 0; ci < plan->count; ci++) {
        const ig_candidate *c = plan->list[ci];
        double waited_ms = 0;
        for (int retries = 0;; retries++) {
            cJSON_Delete(last);
            last = ig_result_new(tool);
            ig_error e;
            ig_error_clear(&e);
            double started = ig_backend_now_ms();
            int rc = env->attempt(env->attempt_ctx, c, last, &e);
            record_attempt(result, c, last, &e, started - run_started,
                           ig_backend_now_ms() - started, waited_ms);
            if (rc == 0) {
                adopt(result, last);
                cJSON_Delete(last);
                if (n_failed)
                    ig_result_warn(result, "provider", "%s was used after %d provider%s "
                                   "failed (see attempts)", ig_provider(c->provider)->name,
                                   n_failed, n_failed == 1 ? "" : "s");
                return 0;
            }
            ig_error_class cls = ig_error_class_of(&e);
            if (must_stop(env, cls, &e, last)) {
                adopt(result, last);
                cJSON_Delete(last);
                return stop_with(result, &e, err);
            }
            double wait = retry_wait_ms(env, cls, &e, retries);
            if (wait < 0) {
                failure *f = &failures[n_failed++];
                *f = (failure){.candidate = c, .err = e, .cls = cls,
                               .cooldown_s = cooldown_s(env, cls, &e)};
                if (f->cooldown_s > 0)
                    ig_cooldown_start(env->state, c->provider,
                                      ig_backend_now_ms() + f->cooldown_s * 1000.0, cls);
                if (ci + 1 < plan->count)
                    emit_fallback(env, f, plan->list[ci + 1]);
                break;
            }
            ig_backend_ctx sleeper = {.cancel = env->cancel};
            ig_error canceled;
            ig_error_clear(&canceled);
            if (ig_backend_sleep(&sleeper, (long)ceil(wait), &canceled) != 0) {
                adopt(result, last);
                cJSON_Delete(last);
                return stop_with(result, &canceled, err);
            }
            waited_ms = wait;
        }
    }
    adopt(result, last);
    cJSON_Delete(last);
    if (n_failed == 1)
        return stop_with(result, &failures[0].err, err);
    failed_cost(result, false);
    summarise(failures, n_failed, err);
    return -1;
}
