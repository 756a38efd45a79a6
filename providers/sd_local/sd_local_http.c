/* sd_local_http.c - requests to the local server (see sd_local.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/sd_local/sd_local.h"
#include "providers/transport/base64_stream.h"

void ig_sd_local_auth_header(const ig_backend_ctx *ctx, char *out, size_t cap)
{
    out[0] = '\0';
    if (!ctx->api_key || !*ctx->api_key)
        return;
    char *b64 = ig_base64_encode((const unsigned char *)ctx->api_key, strlen(ctx->api_key), "");
    if (b64)
        snprintf(out, cap, "Authorization: Basic %s", b64);
    if (b64)
        memset(b64, 0, strlen(b64));
    free(b64);
}

int ig_sd_local_json(const ig_backend_ctx *ctx, const char *method, const char *path,
                     const char *body, uint64_t max_bytes, double deadline,
                     ig_http_response *res, ig_error *err)
{
    char url[2048], auth[1024];
    snprintf(url, sizeof url, "%s%s", ctx->base_url, path);
    ig_sd_local_auth_header(ctx, auth, sizeof auth);
    const char *headers[] = {"Content-Type: application/json", "Accept: application/json",
                             auth[0] ? auth : NULL, NULL};
    ig_http_request hreq = {
        .method = method, .url = url, .headers = headers, .body = body,
        .body_size = body ? strlen(body) : 0, .cancel = ctx->cancel,
        .max_response_bytes = max_bytes, .provider = "stable-diffusion-local",
    };
    int rc = ig_backend_perform(ctx, &hreq, deadline, res, err);
    memset(auth, 0, sizeof auth);
    return rc;
}
