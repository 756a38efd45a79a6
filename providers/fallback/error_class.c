/* error_class.c - see error_class.h. */
#include "providers/fallback/error_class.h"

static const char *const class_names[IG_CLASS_COUNT] = {
    [IG_CLASS_NONE] = "none",
    [IG_CLASS_INVALID_REQUEST] = "invalid_request",
    [IG_CLASS_AUTH] = "auth",
    [IG_CLASS_QUOTA] = "quota",
    [IG_CLASS_RATE_LIMITED] = "rate_limited",
    [IG_CLASS_TRANSIENT] = "transient",
    [IG_CLASS_PROMPT_REFUSED] = "prompt_refused",
    [IG_CLASS_OUTPUT_REFUSED] = "output_refused",
    [IG_CLASS_UNSUPPORTED] = "unsupported",
    [IG_CLASS_LOCAL] = "local",
};

const char *ig_error_class_name(ig_error_class cls)
{
    return (unsigned)cls < IG_CLASS_COUNT ? class_names[cls] : "local";
}

/* 404, 405 and 501 say the endpoint or model is not there for this account
 * (a retired model, a region without it), not that the request is wrong. */
static bool means_unsupported(long status)
{
    return status == 404 || status == 405 || status == 501;
}

ig_error_class ig_error_class_of(const ig_error *err)
{
    switch (err->code) {
    case IG_OK:
        return IG_CLASS_NONE;
    case IG_ERR_PROVIDER_AUTH:
        return IG_CLASS_AUTH;
    case IG_ERR_PROVIDER_QUOTA:
        return IG_CLASS_QUOTA;
    case IG_ERR_PROVIDER_RATE_LIMITED:
        return IG_CLASS_RATE_LIMITED;
    case IG_ERR_PROVIDER_TIMEOUT:
    case IG_ERR_PROVIDER_NETWORK:
    case IG_ERR_PROVIDER_BAD_RESPONSE:
    case IG_ERR_PROVIDER_RESPONSE_TOO_LARGE:
        return IG_CLASS_TRANSIENT;
    case IG_ERR_PROVIDER_ERROR:
        return means_unsupported(err->http_status) ? IG_CLASS_UNSUPPORTED : IG_CLASS_TRANSIENT;
    case IG_ERR_PROVIDER_PROMPT_REFUSED:
        return IG_CLASS_PROMPT_REFUSED;
    case IG_ERR_PROVIDER_OUTPUT_REFUSED:
        return IG_CLASS_OUTPUT_REFUSED;
    case IG_ERR_PROVIDER_INVALID_REQUEST:
        return means_unsupported(err->http_status) ? IG_CLASS_UNSUPPORTED
                                                   : IG_CLASS_INVALID_REQUEST;
    case IG_ERR_PROVIDER_UNAVAILABLE:
        return IG_CLASS_UNSUPPORTED;
    default:
        return IG_CLASS_LOCAL;
    }
}

bool ig_error_class_falls_back(ig_error_class cls, bool fallback_on_moderation)
{
    switch (cls) {
    case IG_CLASS_AUTH:
    case IG_CLASS_QUOTA:
    case IG_CLASS_RATE_LIMITED:
    case IG_CLASS_TRANSIENT:
    case IG_CLASS_UNSUPPORTED:
        return true;
    case IG_CLASS_PROMPT_REFUSED:
    case IG_CLASS_OUTPUT_REFUSED:
        return fallback_on_moderation;
    default:
        return false;
    }
}
