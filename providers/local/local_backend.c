/* local_backend.c - the embedded provider's run: decode, choose the
 * method, enlarge, encode, store (see local.h). */
#include "providers/local/local.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/result.h"
#include "image/image_ops.h"
#include "providers/local/lanczos3.h"

/* The method a call asks for: its method argument, else the model it names
 * (model "lanczos3" or "rdn-psnr-small-x2"), else auto. */
static ig_upscale_method wanted_method(const ig_request *req, const char *model)
{
    if (req->method != IG_METHOD_AUTO)
        return req->method;
    if (!strcmp(model, IG_LOCAL_MODEL_LANCZOS3))
        return IG_METHOD_LANCZOS3;
    if (!strcmp(model, IG_LOCAL_MODEL_NEURAL))
        return IG_METHOD_NEURAL;
    return IG_METHOD_AUTO;
}

/* Method auto: neural when the network is there and its estimate fits the
 * budget; *why says what decided, for the result. */
static ig_upscale_method choose(const ig_backend_ctx *ctx, const ig_request *req,
                                const ig_rdn **net, char *why, size_t cap)
{
    double budget = req->max_seconds > 0 ? req->max_seconds : IG_LOCAL_DEFAULT_BUDGET_S;
    if (budget > ctx->timeout_ms / 1000.0)
        budget = ctx->timeout_ms / 1000.0;
    ig_error load_err;
    ig_error_clear(&load_err);
    *net = ig_local_network(ctx->state, &load_err);
    if (!*net) {
        snprintf(why, cap, "auto: lanczos3, since %s", load_err.message);
        return IG_METHOD_LANCZOS3;
    }
    const ig_image *src = &req->images[IG_ROLE_IMAGE];
    double estimate = ig_local_estimate_seconds(
        ctx->state, ig_local_neural_macs(*net, src->info.width, src->info.height, req->scale));
    bool fits = estimate <= budget;
    snprintf(why, cap, "auto: %s, the neural upscale was estimated at %.1f s, %s the %g s "
             "budget%s", fits ? "neural" : "lanczos3", estimate, fits ? "within" : "over",
             budget, req->max_seconds > 0 ? " (maxSeconds)" : "");
    return fits ? IG_METHOD_NEURAL : IG_METHOD_LANCZOS3;
}

/* Stops the network at the host's cancel or at the call's deadline. The
 * engine reports progress from the calling thread, which checks both. */
typedef struct neural_watch {
    const ig_backend_ctx *ctx;
    double deadline;
    atomic_bool stop;
    bool timed_out;
} neural_watch;

static void on_progress(void *opaque, double fraction)
{
    neural_watch *watch = opaque;
    if (watch->ctx->cancel && atomic_load(watch->ctx->cancel))
        atomic_store(&watch->stop, true);
    if (ig_backend_now_ms() > watch->deadline) {
        watch->timed_out = true;
        atomic_store(&watch->stop, true);
    }
    if (watch->ctx->progress)
        watch->ctx->progress(watch->ctx->progress_ctx, fraction, "neural upscale");
}

static int run_neural(const ig_backend_ctx *ctx, const ig_request *req, const ig_rdn *net,
                      const ig_pixels *in, ig_pixels *out, ig_error *err)
{
    double started = ig_backend_now_ms();
    neural_watch watch = {.ctx = ctx, .deadline = started + (double)ctx->timeout_ms};
    atomic_init(&watch.stop, ctx->cancel && atomic_load(ctx->cancel));
    ig_rdn_run run = {.cancel = &watch.stop, .progress = on_progress,
                      .progress_ctx = &watch};
    int rc = ig_local_neural_upscale(net, in, req->scale, req->target_width,
                                     req->target_height, &run, out, err);
    if (rc == 0) {
        ig_local_observe(ctx->state, ig_local_neural_macs(net, in->width, in->height,
                                                          req->scale),
                         (ig_backend_now_ms() - started) / 1000.0);
    } else if (watch.timed_out) {
        ig_error_clear(err);
        ig_fail(err, IG_ERR_PROVIDER_TIMEOUT, "maxSeconds",
                "the neural upscale did not finish within %.0f s and was stopped",
                ctx->timeout_ms / 1000.0);
        ig_error_hint(err, "Use method \"lanczos3\" (well under a second), or allow more "
                           "time with maxSeconds or providers.local.timeoutMs.");
    }
    return rc;
}

static int run_lanczos3(const ig_request *req, const ig_pixels *in, ig_pixels *out,
                        ig_error *err)
{
    if (ig_pixels_alloc(out, req->target_width, req->target_height, in->bands, err) != 0)
        return -1;
    if (ig_lanczos3_resize(in->data, in->width, in->height, in->bands, out->data,
                           out->width, out->height) == 0)
        return 0;
    ig_pixels_clear(out);
    return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory for a %dx%d image",
                   req->target_width, req->target_height);
}

/* Encodes, stores and reports the enlarged image. */
static int store(const ig_backend_ctx *ctx, const ig_request *req, const ig_applied *applied,
                 const char *model, const ig_pixels *px, cJSON *result, ig_error *err)
{
    ig_png encoded;
    if (ig_pixels_encode(px, applied->output_format, &encoded, err) != 0)
        return -1;
    cJSON *meta = ig_backend_image_meta(req, "local", model, NULL);
    ig_stored_image stored;
    int rc = ig_store_put(ctx->store, encoded.data, encoded.size, meta, &stored, err);
    cJSON_Delete(meta);
    ig_png_clear(&encoded);
    if (rc == 0)
        ig_result_add_image(result, &stored);
    return rc;
}

/* What ran, and that nothing is charged: computed here. */
static void report(cJSON *result, const ig_request *req, const char *model,
                   ig_upscale_method method, const char *why)
{
    ig_result_put(result, "model", cJSON_CreateString(model));
    cJSON *applied = ig_result_get(result, "applied");
    cJSON_ReplaceItemInObjectCaseSensitive(applied, "model", cJSON_CreateString(model));
    char size[32];
    snprintf(size, sizeof size, "%dx%d", req->target_width, req->target_height);
    cJSON_AddStringToObject(applied, "size", size);
    cJSON_AddNumberToObject(applied, "scale", req->scale);
    cJSON_AddStringToObject(applied, "method", ig_upscale_method_name(method));
    if (why[0])
        cJSON_AddStringToObject(applied, "methodChoice", why);
    cJSON *cost = cJSON_CreateObject();
    cJSON_AddNumberToObject(cost, "estimatedUsd", 0);
    cJSON_AddStringToObject(cost, "currency", "USD");
    cJSON_AddStringToObject(cost, "note", "computed on this machine's CPU: no charge");
    ig_result_put(result, "cost", cost);
}

static int local_run(const ig_backend_ctx *ctx, const ig_request *req,
                     const ig_applied *applied, cJSON *result, ig_error *err)
{
    const ig_image *src = &req->images[IG_ROLE_IMAGE];
    ig_upscale_method method = wanted_method(req, applied->caps->model);
    const ig_rdn *net = NULL;
    char why[1024] = ""; /* holds a load error message and more */
    if (method == IG_METHOD_AUTO)
        method = choose(ctx, req, &net, why, sizeof why);
    else if (method == IG_METHOD_NEURAL && !(net = ig_local_network(ctx->state, err)))
        return -1;
    const char *model = method == IG_METHOD_NEURAL ? IG_LOCAL_MODEL_NEURAL
                                                   : IG_LOCAL_MODEL_LANCZOS3;
    report(result, req, model, method, why);

    ig_pixels in = {0}, out = {0};
    if (ig_pixels_decode(src->data, src->size, &in, err) != 0)
        return -1;
    int rc = method == IG_METHOD_NEURAL ? run_neural(ctx, req, net, &in, &out, err)
                                        : run_lanczos3(req, &in, &out, err);
    ig_pixels_clear(&in);
    if (rc == 0)
        rc = store(ctx, req, applied, model, &out, result, err);
    ig_pixels_clear(&out);
    return rc;
}

const ig_backend ig_local_backend = {
    .provider = IG_PROVIDER_LOCAL,
    .default_base_url = "",
    .models = ig_local_models,
    .default_model = ig_local_default_model,
    .run = local_run,
    .state_new = ig_local_state_new,
    .state_free = ig_local_state_free,
};
