/* ig_error.c - see ig_error.h. */
#include "ig_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const code_names[IG_ERR__COUNT] = {
    [IG_OK] = "ok",
    [IG_ERR_INVALID_JSON] = "invalid_json",
    [IG_ERR_INVALID_ARGUMENT] = "invalid_argument",
    [IG_ERR_UNKNOWN_TOOL] = "unknown_tool",
    [IG_ERR_IMAGE_NOT_FOUND] = "image_not_found",
    [IG_ERR_IMAGE_UNREADABLE] = "image_unreadable",
    [IG_ERR_IMAGE_TOO_LARGE] = "image_too_large",
    [IG_ERR_URL_REFUSED] = "url_refused",
    [IG_ERR_URL_FETCH_FAILED] = "url_fetch_failed",
    [IG_ERR_NO_PROVIDER] = "no_provider_configured",
    [IG_ERR_PROVIDER_UNAVAILABLE] = "provider_unavailable",
    [IG_ERR_STORE_FAILED] = "image_store_failed",
    [IG_ERR_CANCELED] = "canceled",
    [IG_ERR_INTERNAL] = "internal_error",
    [IG_ERR_PROVIDER_TIMEOUT] = "provider_timeout",
    [IG_ERR_PROVIDER_NETWORK] = "provider_network_error",
    [IG_ERR_PROVIDER_RESPONSE_TOO_LARGE] = "provider_response_too_large",
    [IG_ERR_PROVIDER_BAD_RESPONSE] = "provider_bad_response",
    [IG_ERR_PROVIDER_AUTH] = "provider_auth_failed",
    [IG_ERR_PROVIDER_QUOTA] = "provider_quota_exhausted",
    [IG_ERR_PROVIDER_RATE_LIMITED] = "provider_rate_limited",
    [IG_ERR_PROVIDER_PROMPT_REFUSED] = "prompt_refused",
    [IG_ERR_PROVIDER_OUTPUT_REFUSED] = "output_refused",
    [IG_ERR_PROVIDER_INVALID_REQUEST] = "provider_invalid_request",
    [IG_ERR_PROVIDER_ERROR] = "provider_error",
    [IG_ERR_BUDGET_EXCEEDED] = "budget_exceeded",
    [IG_ERR_NO_PRIVATE_PROVIDER] = "no_private_provider",
    [IG_ERR_COOLING_DOWN] = "providers_cooling_down",
    [IG_ERR_ALL_PROVIDERS_FAILED] = "all_providers_failed",
};

const char *ig_error_code_name(ig_error_code code)
{
    if ((int)code < 0 || code >= IG_ERR__COUNT)
        return "internal_error";
    return code_names[code];
}

void ig_error_clear(ig_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

int ig_fail(ig_error *err, ig_error_code code, const char *field,
            const char *fmt, ...)
{
    if (!err || err->code != IG_OK)
        return -1;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

void ig_error_hint(ig_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}
