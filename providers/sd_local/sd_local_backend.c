/* sd_local_backend.c - the local Stable Diffusion backend: find the server,
 * then hand the request to its client (see sd_local.h). */
#include <cjson/cJSON.h>

#include "core/result.h"
#include "providers/sd_local/sd_local.h"

static int sd_local_run(const ig_backend_ctx *ctx, const ig_request *req,
                        const ig_applied *applied, cJSON *result, ig_error *err)
{
    /* one budget for detection and the job: detection probes never add to it */
    double deadline = ig_backend_now_ms() + (double)ctx->timeout_ms;
    ig_sd_server server = ig_sd_local_detect(ctx, deadline, err);
    if (server == IG_SD_UNKNOWN)
        return -1;
    cJSON *applied_json = ig_result_get(result, "applied");
    if (cJSON_IsObject(applied_json))
        cJSON_AddStringToObject(applied_json, "server", ig_sd_server_name(server));
    int rc = server == IG_SD_A1111
                 ? ig_sd_a1111_run(ctx, req, applied, deadline, result, err)
                 : ig_sd_comfy_run(ctx, req, applied, deadline, result, err);
    if (rc != 0 && err->code == IG_ERR_PROVIDER_NETWORK)
        ig_sd_local_forget(ctx); /* it may come back as the other server */
    return rc;
}

const ig_backend ig_sd_local_backend = {
    .provider = IG_PROVIDER_SD_LOCAL,
    .default_base_url = "http://127.0.0.1:7860",
    .models = ig_sd_local_models,
    .default_model = ig_sd_local_default_model,
    .run = sd_local_run,
    .state_new = ig_sd_local_state_new,
    .state_free = ig_sd_local_state_free,
};
