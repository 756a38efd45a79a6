/* backend.c - helpers shared by every backend (see backend.h). */
#include "providers/backend.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/result.h"
#include "image/image_ops.h"
#include "providers/form.h"

const ig_model_caps *ig_backend_model(const ig_backend *backend, const char *model)
{
    for (const ig_model_caps *m = backend->models; model && m->model; m++)
        if (!strcmp(m->model, model))
            return m;
    return NULL;
}

void ig_backend_http_error(const char *provider, long status, double retry_after_s,
                           const char *message, ig_error *err)
{
    ig_error_code code;
    bool retryable = false;
    const char *hint;
    if (status == 401 || status == 403) {
        code = IG_ERR_PROVIDER_AUTH;
        hint = "Check the provider's API key and that it has access to this model.";
    } else if (status == 402) {
        code = IG_ERR_PROVIDER_QUOTA;
        hint = "The account has no credits left; top it up or use another provider.";
    } else if (status == 429) {
        code = IG_ERR_PROVIDER_RATE_LIMITED;
        retryable = true;
        hint = "Wait before retrying (see retryAfterSeconds), or use another provider.";
    } else if (status == 408) {
        code = IG_ERR_PROVIDER_TIMEOUT;
        retryable = true;
        hint = "The provider timed out; retry shortly or use another provider.";
    } else if (status >= 500) {
        code = IG_ERR_PROVIDER_ERROR;
        retryable = true;
        hint = "The provider failed on its side; retry shortly or use another provider.";
    } else {
        code = IG_ERR_PROVIDER_INVALID_REQUEST;
        hint = "The provider rejected the request; fix what its message names.";
    }
    /* Auth failures echo (part of) the key back, e.g. "sk-*****3456": keep
     * the provider's words out of the result for those. */
    if (code == IG_ERR_PROVIDER_AUTH)
        ig_fail(err, code, NULL, "%s answered HTTP %ld: the API key was refused",
                provider, status);
    else
        ig_fail(err, code, NULL, "%s answered HTTP %ld: %s", provider, status,
                message && *message ? message : "(no message)");
    ig_error_hint(err, "%s", hint);
    err->retryable = retryable;
    err->http_status = status;
    err->retry_after_s = retry_after_s > 0 ? retry_after_s : 0;
}

cJSON *ig_backend_image_meta(const ig_request *req, const char *provider,
                             const char *model, const char *revised_prompt)
{
    static const char *const modes[] = {NULL, "img2img", "inpaint", "outpaint"};
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "tool", req->tool);
    if (req->prompt)
        cJSON_AddStringToObject(meta, "prompt", req->prompt);
    if (revised_prompt)
        cJSON_AddStringToObject(meta, "revisedPrompt", revised_prompt);
    if (req->negative_prompt)
        cJSON_AddStringToObject(meta, "negativePrompt", req->negative_prompt);
    cJSON_AddStringToObject(meta, "provider", provider);
    cJSON_AddStringToObject(meta, "model", model);
    if (req->has_seed)
        cJSON_AddNumberToObject(meta, "seed", req->seed);
    if (req->op == IG_OP_EDIT && modes[req->mode])
        cJSON_AddStringToObject(meta, "mode", modes[req->mode]);
    cJSON *parents = cJSON_AddArrayToObject(meta, "parents");
    for (int role = 0; role < IG_ROLE_COUNT; role++)
        if (req->images[role].data)
            cJSON_AddItemToArray(parents, cJSON_CreateString(req->images[role].id));
    return meta;
}

/* Commits with meta (deleted here) and appends the image to result. */
static int commit_with(ig_store_writer *writer, cJSON *meta, cJSON *result, ig_error *err)
{
    ig_stored_image stored;
    int rc = ig_store_writer_commit(writer, meta, &stored, err);
    cJSON_Delete(meta);
    if (rc == 0)
        ig_result_add_image(result, &stored);
    else if (err->code == IG_ERR_IMAGE_UNREADABLE)
        err->code = IG_ERR_PROVIDER_BAD_RESPONSE;
    return rc;
}

int ig_backend_commit_image(ig_store_writer *writer, const ig_request *req,
                            const char *provider, const char *model,
                            const char *revised_prompt, cJSON *result, ig_error *err)
{
    cJSON *meta = ig_backend_image_meta(req, provider, model, revised_prompt);
    int rc = commit_with(writer, meta, result, err);
    if (rc == 0 && revised_prompt && cJSON_IsNull(ig_result_get(result, "revisedPrompt")))
        ig_result_put(result, "revisedPrompt", cJSON_CreateString(revised_prompt));
    return rc;
}

int ig_backend_commit_seeded(ig_store_writer *writer, const ig_request *req,
                             const char *provider, const char *model, bool has_seed,
                             double seed, cJSON *result, ig_error *err)
{
    cJSON *meta = ig_backend_image_meta(req, provider, model, NULL);
    if (has_seed) { /* the seed the provider used, given or drawn */
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "seed");
        cJSON_AddNumberToObject(meta, "seed", seed);
    }
    if (commit_with(writer, meta, result, err) != 0)
        return -1;
    cJSON *images = ig_result_get(result, "images");
    cJSON *last = cJSON_GetArrayItem(images, cJSON_GetArraySize(images) - 1);
    if (has_seed && last)
        cJSON_AddNumberToObject(last, "seed", seed);
    return 0;
}

void ig_backend_fastapi_detail(const cJSON *detail, char *out, size_t cap)
{
    out[0] = '\0';
    if (cJSON_IsString(detail)) {
        snprintf(out, cap, "%s", detail->valuestring);
        return;
    }
    const cJSON *first = cJSON_GetArrayItem(detail, 0);
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "msg"));
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(first, "loc");
    const cJSON *last = cJSON_GetArrayItem(loc, cJSON_GetArraySize(loc) - 1);
    char field[64] = "";
    if (cJSON_IsString(last))
        snprintf(field, sizeof field, "%s: ", last->valuestring);
    else if (cJSON_IsNumber(last))
        snprintf(field, sizeof field, "%d: ", last->valueint);
    if (msg)
        snprintf(out, cap, "%s%s", field, msg);
}

int ig_backend_commit_ref(ig_json_b64_sink *sink, const char *ref, const ig_request *req,
                          const char *provider, const char *model,
                          const char *revised_prompt, cJSON *result, ig_error *err)
{
    ig_store_writer *writer = ig_json_b64_sink_take_ref(sink, ref);
    if (!writer)
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                       "%s returned an image entry without usable base64 data", provider);
    return ig_backend_commit_image(writer, req, provider, model, revised_prompt, result, err);
}

void ig_backend_salvage(ig_json_b64_sink *sink, const ig_request *req, const char *provider,
                        const char *model, cJSON *result)
{
    int kept = 0;
    for (size_t i = 0; i < ig_json_b64_sink_count(sink); i++) {
        ig_store_writer *writer = ig_json_b64_sink_take(sink, i);
        ig_error ignored;
        ig_error_clear(&ignored);
        if (writer &&
            ig_backend_commit_image(writer, req, provider, model, NULL, result, &ignored) == 0)
            kept++;
    }
    if (kept)
        ig_result_warn(result, "images", "the response broke off; %d image%s that "
                       "arrived whole %s kept", kept, kept == 1 ? "" : "s",
                       kept == 1 ? "was" : "were");
}

int ig_backend_writer_sink(void *writer, const void *data, size_t size, ig_error *err)
{
    return ig_store_writer_append(writer, data, size, err);
}

int ig_backend_download(const ig_backend_ctx *ctx, const char *url, double deadline,
                        const char *provider, const char *source, const char *hint,
                        ig_store_writer **writer, ig_error *err)
{
    *writer = NULL;
    if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
        return ig_fail(err, IG_ERR_PROVIDER_BAD_RESPONSE, NULL,
                       "%s returned an image URL that is not http(s)", provider);
    *writer = ig_store_writer_begin(ctx->store, err);
    if (!*writer)
        return -1;
    /* No key, so redirects may be followed: nothing secret travels along. */
    ig_http_request hreq = {
        .url = url, .max_redirects = 3, .cancel = ctx->cancel, .sink = ig_backend_writer_sink,
        .sink_ctx = *writer, .provider = provider, .max_response_bytes = 64u << 20,
    };
    ig_http_response res = {0};
    int rc = ig_backend_perform(ctx, &hreq, deadline, &res, err);
    if (rc == 0 && (res.status < 200 || res.status > 299)) {
        ig_fail(err, IG_ERR_PROVIDER_ERROR, NULL, "%s: a result image could not be "
                "downloaded (HTTP %ld from %s)", provider, res.status, source);
        ig_error_hint(err, "%s", hint);
        err->http_status = res.status;
        err->retryable = res.status >= 500;
        rc = -1;
    }
    if (rc != 0) {
        ig_store_writer_abort(*writer);
        *writer = NULL;
    }
    ig_http_response_free(&res);
    return rc;
}

double ig_backend_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int ig_backend_perform(const ig_backend_ctx *ctx, ig_http_request *hreq, double deadline,
                       ig_http_response *res, ig_error *err)
{
    double left = deadline - ig_backend_now_ms();
    if (left < 1) /* 0 would mean the client's default, not "none left" */
        return ig_fail(err, IG_ERR_PROVIDER_TIMEOUT, NULL, "%s: out of time (timeoutMs %ld)",
                       hreq->provider, ctx->timeout_ms);
    hreq->timeout_ms = (long)left;
    return ig_http_perform(ctx->http, hreq, res, err);
}

int ig_backend_sleep(const ig_backend_ctx *ctx, long ms, ig_error *err)
{
    for (long left = ms; left > 0; left -= 50) {
        if (ctx->cancel && atomic_load(ctx->cancel))
            break;
        long step = left < 50 ? left : 50;
        struct timespec ts = {step / 1000, (step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (ctx->cancel && atomic_load(ctx->cancel))
        return ig_fail(err, IG_ERR_CANCELED, NULL, "the call was cancelled");
    return 0;
}

void ig_backend_json_options(cJSON *json, const ig_request *req, const char *provider,
                             cJSON *result)
{
    const cJSON *options = cJSON_GetObjectItemCaseSensitive(req->provider_options, provider);
    const cJSON *opt;
    cJSON_ArrayForEach(opt, options)
    {
        if (cJSON_HasObjectItem(json, opt->string))
            ig_options_warn_replaced(result, provider, opt->string);
        cJSON_DeleteItemFromObjectCaseSensitive(json, opt->string);
        cJSON_AddItemToObject(json, opt->string, cJSON_Duplicate(opt, true));
    }
}

bool ig_backend_retry_poll(ig_error *err, int *failed_polls)
{
    bool transient = err->code == IG_ERR_PROVIDER_NETWORK ||
                     err->code == IG_ERR_PROVIDER_TIMEOUT ||
                     err->code == IG_ERR_PROVIDER_RATE_LIMITED ||
                     err->code == IG_ERR_PROVIDER_ERROR;
    if (!transient || ++*failed_polls > IG_BACKEND_POLL_RETRIES)
        return false;
    ig_error_clear(err);
    return true;
}

/* The scheme and host of url (malloc'd, lowercased by libcurl), or -1. */
static int url_parts(const char *url, char **scheme, char **host, char **port)
{
    CURLU *u = curl_url();
    *scheme = *host = *port = NULL;
    int rc = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
                     curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
                     curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
                     curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK
                 ? 0
                 : -1;
    curl_url_cleanup(u);
    return rc;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

bool ig_backend_url_trusted(const char *url, const char *base_url,
                            const char *const *trusted_domains)
{
    char *s1, *h1, *p1, *s2, *h2, *p2;
    int rc1 = url_parts(url, &s1, &h1, &p1), rc2 = url_parts(base_url, &s2, &h2, &p2);
    bool trusted = false;
    if (rc1 == 0 && rc2 == 0) {
        trusted = !strcmp(s1, s2) && !strcmp(h1, h2) && !strcmp(p1, p2);
        for (int i = 0; !trusted && trusted_domains && trusted_domains[i]; i++)
            trusted = !strcmp(s1, "https") && has_suffix(h1, trusted_domains[i]);
    }
    curl_free(s1), curl_free(h1), curl_free(p1);
    curl_free(s2), curl_free(h2), curl_free(p2);
    return trusted;
}

char *ig_backend_join(const char *first, const char *second)
{
    size_t a = strlen(first), b = second ? strlen(second) : 0;
    char *text = malloc(a + b + 1);
    if (!text)
        return NULL;
    memcpy(text, first, a);
    memcpy(text + a, second ? second : "", b + 1);
    return text;
}

void ig_backend_maybe_created(const ig_http_response *res, ig_error *err)
{
    if (!res->request_sent)
        return; /* it never reached the provider whole: nothing can exist */
    err->accepted = true;
    size_t len = strlen(err->message);
    snprintf(err->message + len, sizeof err->message - len, "; the request had gone out, so "
             "the job may have been created and charged; it was not submitted again");
    ig_error_hint(err, "Look for the job in the provider's dashboard before generating "
                       "again: submitting it anew could pay for it twice.");
}

int ig_backend_finish_upscale(ig_image_store *store, const ig_request *req,
                              const ig_applied *applied, const char *provider,
                              const char *label, const ig_stored_image *stored,
                              cJSON *result, ig_error *err)
{
    const char *model = applied->caps->model;
    int want_w = req->target_width, want_h = req->target_height;
    if (stored->width == want_w && stored->height == want_h) {
        ig_result_add_image(result, stored);
        return 0;
    }
    if (stored->width < want_w || stored->height < want_h) {
        ig_result_add_image(result, stored);
        ig_result_warn(result, "scale", "%s's %s upscaler returned %dx%d, less than the "
                       "%dx%d asked for; the image is as the provider made it", label, model,
                       stored->width, stored->height, want_w, want_h);
        return 0;
    }
    /* Providers upscale by fixed factors only: shrinking the larger result
     * locally is what makes an exact target size possible. */
    ig_png shrunk;
    ig_stored_image out;
    int rc = ig_ops_shrink_file(stored->path, want_w, want_h, applied->output_format,
                                &shrunk, err);
    if (rc == 0) {
        cJSON *meta = ig_backend_image_meta(req, provider, model, NULL);
        cJSON_AddStringToObject(meta, "resizedFrom", stored->id);
        rc = ig_store_put(store, shrunk.data, shrunk.size, meta, &out, err);
        cJSON_Delete(meta);
        ig_png_clear(&shrunk);
    }
    if (rc != 0) {
        ig_result_add_image(result, stored); /* paid for: never lost, even unshrunk */
        return -1;
    }
    ig_result_add_image(result, &out);
    ig_result_warn(result, "scale", "%s's %s upscaler made %dx%d; it was shrunk locally to "
                   "the %dx%d asked for. The provider's image is kept as %s (%s)", label,
                   model, stored->width, stored->height, want_w, want_h, stored->id,
                   stored->path);
    return 0;
}
