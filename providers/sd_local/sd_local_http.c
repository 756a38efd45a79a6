/* sd_local_http.c - requests to the local server (see sd_local.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/sd_local/sd_local.h"
#include "providers/transport/base64_stream.h"

bool ig_sd_local_auth_header(const ig_backend_ctx *ctx, char *out, size_t cap)
{
    out[0] = '\0';
    if (!ctx->api_key || !*ctx->api_key)
        return true;
    char *b64 = ig_base64_encode((const unsigned char *)ctx->api_key, strlen(ctx->api_key), "");
    if (!b64)
        return false;
    int n = snprintf(out, cap, "Authorization: Basic %s", b64);
    /* explicit_bzero: a memset of memory about to be freed may be removed */
    explicit_bzero(b64, strlen(b64));
    free(b64);
    if (n < 0 || (size_t)n >= cap) { /* a cut header would fail as a wrong password */
        explicit_bzero(out, cap);
        out[0] = '\0';
        return false;
    }
    return true;
}

int ig_sd_local_url(const ig_backend_ctx *ctx, const char *path, char *out, size_t cap,
                    ig_error *err)
{
    int n = snprintf(out, cap, "%s%s", ctx->base_url, path);
    if (n < 0 || (size_t)n >= cap) /* never send a cut path */
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "stable-diffusion-local: the URL of %.64s "
                       "is longer than %zu bytes", path, cap - 1);
    return 0;
}

int ig_sd_local_auth(const ig_backend_ctx *ctx, char *out, size_t cap, ig_error *err)
{
    if (ig_sd_local_auth_header(ctx, out, cap))
        return 0;
    return ig_fail(err, IG_ERR_INTERNAL, NULL, "stable-diffusion-local: the apiKey "
                   "(user:password) is too long for an Authorization header");
}

int ig_sd_local_json(const ig_backend_ctx *ctx, const char *method, const char *path,
                     const char *body, uint64_t max_bytes, double deadline,
                     ig_http_response *res, ig_error *err)
{
    char url[2048], auth[1024];
    if (ig_sd_local_url(ctx, path, url, sizeof url, err) != 0 ||
        ig_sd_local_auth(ctx, auth, sizeof auth, err) != 0)
        return -1;
    const char *headers[] = {"Content-Type: application/json", "Accept: application/json",
                             auth[0] ? auth : NULL, NULL};
    ig_http_request hreq = {
        .method = method, .url = url, .headers = headers, .body = body,
        .body_size = body ? strlen(body) : 0, .cancel = ctx->cancel,
        .max_response_bytes = max_bytes, .provider = "stable-diffusion-local",
        .no_proxy = true, /* "privacy": local requests go to the base URL directly */
    };
    int rc = ig_backend_perform(ctx, &hreq, deadline, res, err);
    explicit_bzero(auth, sizeof auth);
    return rc;
}
