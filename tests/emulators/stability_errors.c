/*
 * stability_errors.c - Stability's error shape {"id","name","errors"} for
 * validation errors, faults and the errors the core raises itself, plus the
 * random-looking hex ids the API hands out.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "emulators/stability_internal.h"

static atomic_uint_fast64_t id_serial;

/* splitmix64: spreads a counter into random-looking bits. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void stab_hex_id(char *buf, int digits)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t base = atomic_fetch_add(&id_serial, 1) + 1;
    for (int i = 0; i < digits; i++) {
        uint64_t bits = mix64(base * 131 + (uint64_t)(i / 16));
        buf[i] = hex[(bits >> ((i % 16) * 4)) & 15];
    }
    buf[digits] = 0;
}

void stab_err_add(stab_errors *e, const char *fmt, ...)
{
    if (e->count >= STAB_MAX_ERRORS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg[e->count++], sizeof e->msg[0], fmt, ap);
    va_end(ap);
}

void stab_respond_errors(emu_response *out, int status, const char *name, const stab_errors *e)
{
    char id[33];
    stab_hex_id(id, 32);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "id", id);
    cJSON_AddStringToObject(root, "name", name);
    cJSON *list = cJSON_AddArrayToObject(root, "errors");
    for (int i = 0; i < e->count; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(e->msg[i]));
    emu_respond_json(out, status, root);
    emu_response_header(out, "x-request-id", id);
}

void stab_respond_error(emu_response *out, int status, const char *name, const char *fmt, ...)
{
    stab_errors e = {.count = 1};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg[0], sizeof e.msg[0], fmt, ap);
    va_end(ap);
    stab_respond_errors(out, status, name, &e);
}

void stab_on_fault(void *ctx, const emu_request *req, const emu_fault *f, emu_response *out)
{
    (void)ctx, (void)req;
    switch (f->kind) {
    case EMU_FAULT_429:
        stab_respond_error(out, 429, "rate_limit_exceeded",
                           "You have exceeded the rate limit of 150 requests within a 10 second "
                           "period, and have been timed out for %d seconds.",
                           f->retry_after > 0 ? f->retry_after : 60);
        break;
    case EMU_FAULT_500:
        stab_respond_error(out, 500, "internal_error",
                           "An unexpected server error has occurred, please try again later.");
        break;
    case EMU_FAULT_502:
        stab_respond_error(out, 502, "bad_gateway",
                           "An upstream service answered badly, please try again later.");
        break;
    case EMU_FAULT_503:
        stab_respond_error(out, 503, "service_unavailable",
                           "The service is temporarily overloaded, please try again later.");
        break;
    case EMU_FAULT_MODERATION:
        stab_respond_error(out, 403, "content_moderation",
                           "Your request was flagged by our content moderation system, as a "
                           "result your request was denied and you were not charged.");
        break;
    case EMU_FAULT_QUOTA:
        stab_respond_error(out, 402, "payment_required",
                           "You lack sufficient credits to make this request. Please purchase "
                           "more credits and try again.");
        break;
    case EMU_FAULT_INVALID:
        stab_respond_error(out, 400, "bad_request", "aspect_ratio: must be one of the "
                           "documented ratios");
        break;
    case EMU_FAULT_EXPIRED:
        stab_respond_error(out, 404, "not_found",
                           "id: this generation's result is no longer available; results are "
                           "kept for 24 hours");
        break;
    default:
        stab_respond_error(out, 500, "internal_error", "unexpected fault");
        break;
    }
}

void stab_on_core_error(void *ctx, int status, const char *message, emu_response *out)
{
    (void)ctx, (void)message;
    if (status == 413)
        stab_respond_error(out, 413, "payload_too_large",
                           "body: payloads cannot be larger than 10MiB in size");
    else
        stab_respond_error(out, status, "bad_request",
                           "body: the multipart/form-data body could not be parsed");
}
