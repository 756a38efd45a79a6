/* PLACEHOLDER on branch issue4-sd only: the a1111 client replaces this file. */
#include "providers/sd_local/sd_local.h"

int ig_sd_a1111_run(const ig_backend_ctx *ctx, const ig_request *req,
                   const ig_applied *applied, cJSON *result, ig_error *err)
{
    (void)ctx, (void)req, (void)applied, (void)result;
    return ig_fail(err, IG_ERR_PROVIDER_UNAVAILABLE, NULL, "a1111 client not written yet");
}
