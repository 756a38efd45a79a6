/*
 * sd_a1111_backend.c - the AUTOMATIC1111 client (see sd_a1111.h): n images
 * as batches of up to 8 (one job each, seeds running on from the caller's),
 * edits through img2img, upscales through extras. Each answer streams
 * through the base64 sink; the images are committed with the seed A1111
 * really used (info.all_seeds) and the result's "model" names the
 * checkpoint it really used (info.sd_model_name: A1111 silently falls back
 * to its current checkpoint when the one asked for is unknown) or the
 * upscaler.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_text.h"
#include "core/result.h"
#include "providers/sd_local/sd_a1111.h"

/* What one answer's info said. */
typedef struct batch_info {
    cJSON *info;            /* parsed info string, or NULL */
    const cJSON *seeds;     /* info.all_seeds */
    int first;              /* info.index_of_first_image */
    char model[256];        /* info.sd_model_name, or "" */
} batch_info;

/* Parses the info string of a txt2img/img2img answer. */
static void read_info(const cJSON *doc, batch_info *out)
{
    memset(out, 0, sizeof *out);
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "info"));
    out->info = text ? ig_json_parse(text, NULL) : NULL;
    out->seeds = cJSON_GetObjectItemCaseSensitive(out->info, "all_seeds");
    const cJSON *first = cJSON_GetObjectItemCaseSensitive(out->info, "index_of_first_image");
    out->first = cJSON_IsNumber(first) && first->valueint > 0 ? first->valueint : 0;
    const char *model = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(out->info, "sd_model_name"));
    snprintf(out->model, sizeof out->model, "%s", model ? model : "");
}

/* Whether the checkpoint asked for ("name", "name.safetensors", "name.ckpt
 * [hash]") is the one A1111 reports using ("name"). */
static bool same_checkpoint(const char *asked, const char *used)
{
    size_t n = strlen(used);
    return !strcmp(asked, used) ||
           (n && !strncmp(asked, used, n) && (asked[n] == '.' || asked[n] == ' '));
}

/* Commits one image with its real seed (has_seed) and adds it to result. */
static int keep_image(ig_store_writer *writer, const ig_request *req, const char *model,
                      bool has_seed, double seed, cJSON *result, ig_error *err)
{
    return ig_backend_commit_seeded(writer, req, IG_A1111_PROVIDER, model, has_seed, seed,
                                    result, err);
}

/* An answer that is not a success: the error, or what broke off. */
static int failed_answer(ig_a1111_answer *ans, const ig_request *req, const char *model,
                         cJSON *result, int rc, ig_error *err)
{
    if (rc != 0) {
        if (ans->broke_off) /* keep whatever arrived whole */
            ig_backend_salvage(ans->sink, req, IG_A1111_PROVIDER, model, result);
        return -1;
    }
    ig_a1111_error(ans->status, ans->error_body, err);
    return -1;
}

/* Stores the images of one txt2img/img2img answer (at most batch). */
static int store_batch(ig_a1111_answer *ans, const ig_request *req, const char *checkpoint,
                       int batch, cJSON *result, ig_error *err)
{
    cJSON *doc = ig_json_parse(ans->skeleton, NULL);
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(doc, "images");
    batch_info bi;
    read_info(doc, &bi);
    const char *model = bi.model[0] ? bi.model : checkpoint ? checkpoint
                                                            : IG_SD_MODEL_CHECKPOINT;
    if (checkpoint && bi.model[0] && !same_checkpoint(checkpoint, bi.model))
        ig_result_warn(result, "model", "automatic1111 has no checkpoint \"%s\" (GET "
                       "/sdapi/v1/sd-models lists them); it used its current one, %s",
                       checkpoint, bi.model);
    ig_result_put(result, "model", cJSON_CreateString(model));
    int count = cJSON_GetArraySize(images) - bi.first;
    count = count > batch ? batch : count; /* ControlNet may append its maps */
    int rc = 0;
    if (!doc || count <= 0)
        rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "automatic1111 answered "
                     "without images");
    for (int i = 0; doc && i < count; i++) { /* one bad image does not lose the rest */
        const char *ref = cJSON_GetStringValue(cJSON_GetArrayItem(images, bi.first + i));
        ig_store_writer *writer = ig_json_b64_sink_take_ref(ans->sink, ref);
        const cJSON *seed = cJSON_GetArrayItem(bi.seeds, i);
        if (!writer)
            rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "automatic1111 returned "
                         "an image entry without usable base64 data");
        else if (keep_image(writer, req, model, cJSON_IsNumber(seed),
                            cJSON_IsNumber(seed) ? seed->valuedouble : 0, result, err) != 0)
            rc = -1;
    }
    if (rc == 0 && count < batch)
        ig_result_warn(result, "n", "automatic1111 returned %d of the %d images asked for",
                       count, batch);
    cJSON_Delete(bi.info);
    cJSON_Delete(doc);
    return rc;
}

/* txt2img / img2img: batches of up to caps.max_n images. */
static int generate(const ig_backend_ctx *ctx, const ig_request *req,
                    const ig_applied *applied, double deadline, cJSON *result, ig_error *err)
{
    const char *model = applied->caps->model;
    const char *checkpoint = model && strcmp(model, IG_SD_MODEL_CHECKPOINT) ? model : NULL;
    ig_a1111_reference ref = {0};
    if (applied->send_reference && req->images[IG_ROLE_REFERENCE].data &&
        ig_a1111_reference_pick(ctx, req, checkpoint, deadline, &ref, result, err) != 0)
        return -1;
    int max_n = applied->caps->max_n > 0 ? applied->caps->max_n : 1;
    int total = applied->n > 0 ? applied->n : 1;
    for (int done = 0; done < total;) {
        if (ctx->cancel && atomic_load(ctx->cancel))
            return ig_fail(err, IG_ERR_CANCELED, NULL, "the call was cancelled");
        int batch = total - done < max_n ? total - done : max_n;
        long long seed = applied->send_seed ? (long long)req->seed + done : -1;
        int width, height;
        char *body = ig_a1111_generate_body(req, applied, checkpoint, &ref, batch, seed,
                                            &width, &height, result, err);
        if (!body)
            return -1;
        ig_a1111_answer ans;
        int rc = ig_a1111_exchange(ctx, ig_a1111_generate_path(req), body, deadline, &ans,
                                   err);
        cJSON_free(body);
        if (rc != 0 || !ans.skeleton)
            rc = failed_answer(&ans, req, checkpoint ? checkpoint : IG_SD_MODEL_CHECKPOINT,
                               result, rc, err);
        else
            rc = store_batch(&ans, req, checkpoint, batch, result, err);
        ig_a1111_answer_free(&ans);
        if (rc != 0)
            return -1;
        done += batch;
    }
    return 0;
}

/* extras: one image through the chosen upscaler. */
static int upscale(const ig_backend_ctx *ctx, const ig_request *req,
                   const ig_applied *applied, double deadline, cJSON *result, ig_error *err)
{
    char upscaler[256];
    if (ig_a1111_upscaler_pick(ctx, req, applied, deadline, upscaler, sizeof upscaler,
                               result, err) != 0)
        return -1;
    ig_result_put(result, "model", cJSON_CreateString(upscaler));
    char *body = ig_a1111_upscale_body(req, upscaler, result, err);
    if (!body)
        return -1;
    ig_a1111_answer ans;
    int rc = ig_a1111_exchange(ctx, "/sdapi/v1/extra-single-image", body, deadline, &ans,
                               err);
    cJSON_free(body);
    if (rc != 0 || !ans.skeleton) {
        rc = failed_answer(&ans, req, upscaler, result, rc, err);
    } else {
        cJSON *doc = ig_json_parse(ans.skeleton, NULL);
        const char *ref = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "image"));
        ig_store_writer *writer = ig_json_b64_sink_take_ref(ans.sink, ref);
        rc = writer ? keep_image(writer, req, upscaler, false, 0, result, err)
                    : ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "automatic1111 "
                              "answered the upscale without an image");
        cJSON_Delete(doc);
    }
    ig_a1111_answer_free(&ans);
    return rc;
}

int ig_sd_a1111_run(const ig_backend_ctx *ctx, const ig_request *req,
                    const ig_applied *applied, double deadline, cJSON *result,
                    ig_error *err)
{
    /* One call at a time talks to A1111 (see ig_sd_local_a1111_lock): a
     * cancelled call then interrupts its own job, never another call's. */
    if (ig_sd_local_a1111_lock(ctx, deadline, err) != 0)
        return -1;
    int rc = req->op == IG_OP_UPSCALE ? upscale(ctx, req, applied, deadline, result, err)
                                      : generate(ctx, req, applied, deadline, result, err);
    ig_sd_local_a1111_unlock(ctx);
    return rc;
}
