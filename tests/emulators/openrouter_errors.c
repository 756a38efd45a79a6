/*
 * openrouter_errors.c - OpenRouter's error bodies: {"error":{"message",
 * "code","metadata"?}} with the HTTP status equal to error.code, the
 * ProviderErrorMetadata {provider_name, raw} of upstream failures, the
 * ModerationErrorMetadata {reasons, flagged_input, provider_name, model_slug}
 * of 403s, and the errors the service sends inside an HTTP 200.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/openrouter_internal.h"

/* What the service adds beside "error" once a key is known (not a secret). */
#define ORR_USER_ID "user_2emulatorAAAAAAAAAAAAAAAA"

void orr_error_set(orr_error *e, int status, const char *fmt, ...)
{
    memset(e, 0, sizeof *e);
    e->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* The upstream provider's display name for a model slug. */
static const char *provider_of(const char *model)
{
    const orr_model *m = orr_model_find(model);
    return m ? m->provider : "Unknown";
}

/* {"error":{"message","code"}} (+ "user_id"); returns the error object. */
static cJSON *error_body(cJSON **root, int code, const char *message, bool authenticated)
{
    *root = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(*root, "error");
    cJSON_AddStringToObject(err, "message", message);
    cJSON_AddNumberToObject(err, "code", code);
    if (authenticated)
        cJSON_AddStringToObject(*root, "user_id", ORR_USER_ID);
    return err;
}

/* Adds ProviderErrorMetadata to an error object. */
static void add_provider_metadata(cJSON *err, const char *provider, const char *raw)
{
    cJSON *md = cJSON_AddObjectToObject(err, "metadata");
    cJSON_AddStringToObject(md, "raw", raw);
    cJSON_AddStringToObject(md, "provider_name", provider);
    cJSON_AddBoolToObject(md, "is_byok", false);
}

void orr_respond_error(emu_response *out, const orr_error *e, bool authenticated)
{
    cJSON *root;
    cJSON *err = error_body(&root, e->status, e->message, authenticated);
    if (e->raw[0])
        add_provider_metadata(err, e->provider[0] ? e->provider : "Unknown", e->raw);
    emu_respond_json(out, e->status, root);
}

/* Copies at most 100 bytes of text the way the docs describe flagged_input:
 * longer text keeps its head and tail around "..." (UTF-8 safe). */
static void flagged_input(const char *text, char *buf, size_t size)
{
    size_t n = strlen(text);
    if (n <= 100) {
        snprintf(buf, size, "%s", text);
        return;
    }
    size_t head = 48, tail = n - 49;
    while (head > 0 && ((unsigned char)text[head] & 0xC0) == 0x80)
        head--;
    while (tail < n && ((unsigned char)text[tail] & 0xC0) == 0x80)
        tail++;
    snprintf(buf, size, "%.*s...%s", (int)head, text, text + tail);
}

void orr_respond_moderation(emu_response *out, const char *model, const char *prompt)
{
    char msg[300], flagged[128];
    const char *provider = provider_of(model);
    snprintf(msg, sizeof msg, "%.120s requires moderation on %s. Your input was flagged for "
             "\"violence\". No credits were charged.", model, provider);
    flagged_input(prompt, flagged, sizeof flagged);
    cJSON *root;
    cJSON *err = error_body(&root, 403, msg, true);
    cJSON *md = cJSON_AddObjectToObject(err, "metadata");
    cJSON *reasons = cJSON_AddArrayToObject(md, "reasons");
    cJSON_AddItemToArray(reasons, cJSON_CreateString("violence"));
    cJSON_AddStringToObject(md, "flagged_input", flagged);
    cJSON_AddStringToObject(md, "provider_name", provider);
    cJSON_AddStringToObject(md, "model_slug", model);
    emu_respond_json(out, 403, root);
}

/* Adds Retry-After: seconds when positive. */
static void retry_after_header(emu_response *out, int seconds)
{
    char v[16];
    if (seconds <= 0)
        return;
    snprintf(v, sizeof v, "%d", seconds);
    emu_response_header(out, "Retry-After", v);
}

void orr_respond_status(emu_response *out, int status, const char *model, const char *prompt,
                        int retry_after)
{
    char raw[400];
    const char *provider = provider_of(model);
    cJSON *root, *err;
    switch (status) {
    case 401:
        error_body(&root, 401, "User not found.", false);
        break;
    case 402:
        err = error_body(&root, 402, "Insufficient credits. Add more using "
                         "https://openrouter.ai/settings/credits", true);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(err, "metadata"), "limit_source",
                                "openrouter_credits");
        break;
    case 403:
        orr_respond_moderation(out, model, prompt);
        return;
    case 408:
        error_body(&root, 408, "Request timed out: the model did not answer in time. Please "
                   "retry.", true);
        break;
    case 429:
        snprintf(raw, sizeof raw, "%.120s is temporarily rate-limited upstream. Please retry "
                 "shortly, or add your own key to accumulate your rate limits: "
                 "https://openrouter.ai/settings/integrations", model);
        add_provider_metadata(error_body(&root, 429, "Provider returned error", true), provider,
                              raw);
        retry_after_header(out, retry_after);
        break;
    case 502:
        snprintf(raw, sizeof raw, "%s: upstream connect error or disconnect/reset before "
                 "headers. reset reason: connection termination", provider);
        add_provider_metadata(error_body(&root, 502, "Provider returned error", true), provider,
                              raw);
        break;
    case 503:
        snprintf(raw, sizeof raw, "No available provider for %.120s meets your routing "
                 "requirements right now. Please retry shortly.", model);
        error_body(&root, 503, raw, true);
        retry_after_header(out, retry_after);
        break;
    case 400:
        add_provider_metadata(error_body(&root, 400, "Provider returned error", true), provider,
                              "Request contains an invalid argument.");
        break;
    default:
        error_body(&root, status, "Internal Server Error", true);
        break;
    }
    emu_respond_json(out, status, root);
}

void orr_respond_error_in_200(emu_response *out, const char *model, int code,
                              const char *message)
{
    cJSON *root;
    cJSON *err = error_body(&root, code, message, true);
    add_provider_metadata(err, provider_of(model), message);
    emu_respond_json(out, 200, root);
}
