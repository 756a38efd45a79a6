/*
 * fal_backend.c - runs fal queue requests: submit every request first (fal
 * runs them in parallel; one request makes up to 4 images), then for each
 * poll its status_url until COMPLETED, GET its response_url and download
 * the image files without the key. A request once accepted is never
 * resubmitted: failed status and result requests are asked again instead.
 * Images fal flagged in has_nsfw_concepts (black images) are not stored.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/result.h"
#include "providers/fal/fal.h"
#include "providers/fal/fal_queue.h"

#define MAX_JOBS 10

/* Tallies over the whole run. */
typedef struct run_tally {
    int stored, flagged;
} run_tally;

/* Polls until COMPLETED. Returns 0, or -1 with err (accepted: it may
 * still run and be charged; a cancelled or timed-out job is cancelled). */
static int await_completion(const ig_backend_ctx *ctx, fal_job *job, double deadline,
                            double fraction, ig_error *err)
{
    int failed_polls = 0;
    for (;;) {
        fal_status st;
        if (ig_backend_sleep(ctx, ctx->poll_interval_ms, err) != 0 ||
            fal_poll(ctx, job, deadline, &st, err) != 0) {
            if (err->code != IG_ERR_CANCELED && deadline > ig_backend_now_ms() &&
                ig_backend_retry_poll(err, &failed_polls))
                continue;
            break;
        }
        if (!strcmp(st.status, "COMPLETED"))
            return 0;
        if (strcmp(st.status, "IN_QUEUE") && strcmp(st.status, "IN_PROGRESS")) {
            ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "fal: request %s has an "
                    "unknown status \"%s\"", job->id, st.status);
            break;
        }
        if (ctx->progress) {
            char message[256];
            if (st.queue_position >= 0)
                snprintf(message, sizeof message, "fal: in queue, position %d",
                         st.queue_position);
            else
                snprintf(message, sizeof message, "fal: %s%s%.200s", st.status,
                         st.log[0] ? ": " : "", st.log);
            ctx->progress(ctx->progress_ctx, fraction, message);
        }
        if (deadline <= ig_backend_now_ms()) {
            ig_fail(err, IG_ERR_PROVIDER_TIMEOUT, NULL, "fal: request %s was still %s "
                    "after %ld s", job->id, st.status, ctx->timeout_ms / 1000);
            ig_error_hint(err, "Raise providers.fal.timeoutMs, or try again later.");
            break;
        }
    }
    /* Given up (cancelled, out of time, status answers that kept failing or
     * made no sense) while fal may still run it and bill it: ask to drop it. */
    fal_cancel(ctx, job);
    err->accepted = true;
    return -1;
}

/* Whether a failed result request is fal's own answer that the job failed
 * (its error, a content-policy refusal, a cancelled request): then nothing
 * was made. A key refused now, a garbled or oversized body, or a network
 * failure say nothing about the job, which completed and was charged. */
static bool job_failed(const ig_error *err)
{
    if (err->http_status < 400)
        return false;
    return err->code == IG_ERR_PROVIDER_INVALID_REQUEST ||
           err->code == IG_ERR_PROVIDER_UNAVAILABLE ||
           err->code == IG_ERR_PROVIDER_PROMPT_REFUSED ||
           err->code == IG_ERR_PROVIDER_OUTPUT_REFUSED;
}

/* GETs the result of a COMPLETED job, asking again after transient
 * failures. Only fal's error answer means the job itself failed; any other
 * failure leaves a charged job whose result was lost (accepted). */
static int fetch_result(const ig_backend_ctx *ctx, const fal_job *job, double deadline,
                        cJSON **answer, ig_error *err)
{
    int failed = 0;
    for (;;) {
        if (fal_result(ctx, job, deadline, answer, err) == 0)
            return 0;
        if (err->code == IG_ERR_CANCELED || deadline <= ig_backend_now_ms())
            break;
        if (!ig_backend_retry_poll(err, &failed)) {
            if (job_failed(err))
                return -1; /* the job failed on fal's side: nothing to pay */
            break;
        }
        if (ig_backend_sleep(ctx, ctx->poll_interval_ms, err) != 0)
            break;
    }
    err->accepted = true;
    return -1;
}

/* The image entries of a result: "images": [...] or "image": {...}. */
static const cJSON *result_images(const cJSON *answer, cJSON **owned)
{
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(answer, "images");
    const cJSON *image = cJSON_GetObjectItemCaseSensitive(answer, "image");
    *owned = NULL;
    if (cJSON_IsArray(images))
        return images;
    if (cJSON_IsObject(image)) { /* single-image models (esrgan) */
        *owned = cJSON_CreateArray();
        cJSON_AddItemReferenceToArray(*owned, (cJSON *)image);
        return *owned;
    }
    return NULL;
}

/* An upscale's image: esrgan scales by 2 or 4 only, so a larger result is
 * shrunk to an exact target size, as every upscaler here does. */
static int keep_upscale(const ig_backend_ctx *ctx, const ig_request *req,
                        const ig_applied *applied, ig_store_writer *writer, cJSON *result,
                        ig_error *err)
{
    cJSON *meta = ig_backend_image_meta(req, "fal", applied->caps->model, NULL);
    ig_stored_image stored;
    int rc = ig_store_writer_commit(writer, meta, &stored, err);
    cJSON_Delete(meta);
    if (rc != 0) {
        if (err->code == IG_ERR_IMAGE_UNREADABLE)
            err->code = IG_ERR_PROVIDER_BAD_RESPONSE;
        return -1;
    }
    return ig_backend_finish_upscale(ctx->store, req, applied, "fal", "fal", &stored, result,
                                     err);
}

/* Stores image i of a result with the request's seed. */
static int keep_image(const ig_backend_ctx *ctx, const ig_request *req,
                      const ig_applied *applied, const cJSON *entry, const cJSON *seed,
                      double deadline, cJSON *result, ig_error *err)
{
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "url"));
    if (!url)
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                       "fal returned an image entry without a url");
    ig_store_writer *writer = NULL;
    /* Result files live on fal's CDN (fal.media), open by URL. */
    if (ig_backend_download(ctx, url, deadline, "fal", "its CDN URL", "The image was made "
                            "(and charged) but its file was refused or has expired; "
                            "generate again.", &writer, err) != 0)
        return -1;
    if (req->op == IG_OP_UPSCALE)
        return keep_upscale(ctx, req, applied, writer, result, err);
    return ig_backend_commit_seeded(writer, req, "fal", applied->caps->model,
                                    cJSON_IsNumber(seed),
                                    cJSON_IsNumber(seed) ? seed->valuedouble : 0, result, err);
}

/* Stores every unflagged image of a result. */
static int keep_images(const ig_backend_ctx *ctx, const ig_request *req,
                       const ig_applied *applied, const fal_job *job, const cJSON *answer,
                       double deadline, cJSON *result, run_tally *tally, ig_error *err)
{
    cJSON *owned;
    const cJSON *images = result_images(answer, &owned);
    const cJSON *nsfw = cJSON_GetObjectItemCaseSensitive(answer, "has_nsfw_concepts");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(answer, "seed");
    int rc = 0, i = 0;
    if (!images || cJSON_GetArraySize(images) == 0) {
        rc = ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                     "fal's result of request %s has no images", job->id);
        err->accepted = true; /* it completed, so it was charged: never run it again */
    }
    const cJSON *entry;
    cJSON_ArrayForEach(entry, images)
    {
        if (cJSON_IsTrue(cJSON_GetArrayItem(nsfw, i++))) {
            tally->flagged++; /* a black placeholder: nothing to keep */
            continue;
        }
        ig_error one;
        ig_error_clear(&one);
        if (keep_image(ctx, req, applied, entry, seed, deadline, result, &one) == 0)
            tally->stored++;
        else if (rc == 0) {
            *err = one;
            err->accepted = true; /* made and charged, but lost */
            rc = -1;
        }
        if (one.code == IG_ERR_CANCELED)
            break;
    }
    cJSON_Delete(owned);
    return rc;
}

/* One accepted job from status to stored images. */
static int finish_job(const ig_backend_ctx *ctx, const ig_request *req,
                      const ig_applied *applied, fal_job *job, double deadline,
                      double fraction, cJSON *result, run_tally *tally, ig_error *err)
{
    if (!fal_job_trusted(ctx, job)) {
        ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL, "fal returned queue URLs on a host "
                "that is not fal's; the key was not sent there");
        err->accepted = true;
        return -1;
    }
    if (await_completion(ctx, job, deadline, fraction, err) != 0)
        return -1;
    cJSON *answer = NULL;
    if (fetch_result(ctx, job, deadline, &answer, err) != 0) {
        if (err->code != IG_ERR_CANCELED) {
            char why[sizeof err->message];
            memcpy(why, err->message, sizeof why);
            snprintf(err->message, sizeof err->message, "fal: request %.64s completed but "
                     "its result %s: %.600s", job->id,
                     err->accepted ? "could not be read" : "is an error", why);
            if (err->accepted)
                ig_error_hint(err, "The job ran and was charged; it was not submitted "
                                   "again. Its result may still be at fal for a while.");
        }
        return -1;
    }
    int rc = keep_images(ctx, req, applied, job, answer, deadline, result, tally, err);
    cJSON_Delete(answer);
    return rc;
}

/* Images request i of count asks for, splitting n by the model's max. */
static int images_in(const ig_applied *applied, int i)
{
    int per = applied->caps->max_n > 0 ? applied->caps->max_n : 1;
    int left = applied->n - i * per;
    return left < per ? left : per;
}

/* The error of a run whose only trouble was flagged images. */
static int refused(const run_tally *tally, cJSON *result, ig_error *err)
{
    if (tally->stored > 0) {
        bool one = tally->flagged == 1;
        ig_result_warn(result, "images", "fal's safety checker flagged %d image%s (sent as "
                       "black images); %s not stored", tally->flagged, one ? "" : "s",
                       one ? "it was" : "they were");
        return 0;
    }
    ig_fail(err, IG_ERR_PROVIDER_OUTPUT_REFUSED, NULL, "fal's safety checker flagged every "
            "image (has_nsfw_concepts); none was stored");
    ig_error_hint(err, "Rephrase the prompt; fal returns black images for flagged content.");
    return -1;
}

static int fal_run(const ig_backend_ctx *ctx, const ig_request *req, const ig_applied *applied,
                   cJSON *result, ig_error *err)
{
    double deadline = ig_backend_now_ms() + (double)ctx->timeout_ms;
    const char *model = applied->caps->model;
    fal_job jobs[MAX_JOBS];
    int want = applied->requests < MAX_JOBS ? applied->requests : MAX_JOBS, submitted = 0;
    ig_error first;
    ig_error_clear(&first);
    /* Every input says the same warnings: keep the first request's only. */
    cJSON *scratch = ig_result_new(req->tool);
    for (; submitted < want; submitted++) {
        char *input = ig_fal_input(req, applied, images_in(applied, submitted),
                                   submitted == 0 ? result : scratch, &first);
        int rc = input ? fal_submit(ctx, model, input, deadline, &jobs[submitted], &first) : -1;
        cJSON_free(input);
        if (rc != 0)
            break;
    }
    cJSON_Delete(scratch);
    run_tally tally = {0};
    /* Every accepted job is awaited, even after a failure: each is paid for. */
    for (int i = 0; i < submitted; i++) {
        ig_error job_err;
        ig_error_clear(&job_err);
        finish_job(ctx, req, applied, &jobs[i], deadline, (double)i / submitted, result, &tally,
                   &job_err);
        if (job_err.code != IG_OK && first.code == IG_OK)
            first = job_err;
        if (job_err.code == IG_ERR_CANCELED) {
            for (int j = i + 1; j < submitted; j++) /* the rest are not wanted either */
                fal_cancel(ctx, &jobs[j]);
            break;
        }
    }
    if (first.code == IG_OK && tally.flagged > 0)
        return refused(&tally, result, err);
    if (first.code == IG_OK)
        return 0;
    *err = first;
    return -1;
}

const ig_backend ig_fal_backend = {
    .provider = IG_PROVIDER_FAL,
    .default_base_url = "https://queue.fal.run",
    .models = ig_fal_models,
    .default_model = ig_fal_default_model,
    .run = fal_run,
};
