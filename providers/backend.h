/*
 * backend.h - the interface every provider backend implements.
 *
 * A backend is a static table: its provider id, its models' capabilities
 * (model_caps.h), the default model per operation, and one run function
 * that performs a negotiated request and fills the result. Backends never
 * read the environment or the config themselves: everything they need
 * arrives in ig_backend_ctx, so tests point them at loopback emulators.
 * Backends are stateless; run may be called from any thread concurrently.
 */
#ifndef IG_BACKEND_H
#define IG_BACKEND_H

#include <stdatomic.h>
#include <stddef.h>

#include "core/ig_error.h"
#include "image/image_store.h"
#include "providers/image_request.h"
#include "providers/model_caps.h"
#include "providers/negotiate.h"
#include "providers/transport/http_client.h"
#include "providers/transport/json_b64_sink.h"

typedef struct cJSON cJSON;
struct ig_config;

/* What a backend may use during one run. All borrowed for the run. */
typedef struct ig_backend_ctx {
    ig_http *http;
    ig_image_store *store;
    const char *api_key;      /* never logged nor put in any message */
    const char *base_url;     /* without a trailing slash */
    const atomic_bool *cancel;
    long timeout_ms;          /* the whole run, async waiting included */
    long poll_interval_ms;    /* between status requests of an async job */
    /* Progress of this run, 0..1 within the provider stage. May be NULL. */
    void (*progress)(void *progress_ctx, double fraction, const char *message);
    void *progress_ctx;
    void *state;              /* the backend's per-instance state, or NULL */
} ig_backend_ctx;

typedef struct ig_backend {
    ig_provider_id provider;
    const char *default_base_url;
    const ig_model_caps *models; /* terminated by an entry whose model is NULL */
    /* Default model for an operation, or NULL when the provider cannot do it. */
    const char *(*default_model)(ig_operation op, const ig_request *req);
    /*
     * Performs req as negotiated in applied. On success, appends each stored
     * image to result's "images" (ig_result_add_image), and may set
     * "revisedPrompt" or add warnings; returns 0. On failure returns -1 with
     * err classified (IG_ERR_PROVIDER_*), retryable and http_status set, and
     * a message that never contains the key. Images already stored before a
     * failure stay in the result: nothing a provider returned is lost.
     */
    int (*run)(const ig_backend_ctx *ctx, const ig_request *req,
               const ig_applied *applied, cJSON *result, ig_error *err);
    /*
     * Optional (NULL for stateless backends): state kept for the life of an
     * instance, such as a loaded model. state_new runs when the instance
     * opens and returns NULL only when out of memory; run gets the state as
     * ctx->state, from concurrent calls, so the backend guards it itself;
     * state_free runs when the instance closes, after every run ended.
     */
    void *(*state_new)(const struct ig_config *config);
    void (*state_free)(void *state);
} ig_backend;

/*
 * The sidecar metadata of an image a backend stores: tool, prompt,
 * revisedPrompt, negativePrompt, provider, model, seed, parents (ids of the
 * inputs), mode. Caller deletes.
 */
cJSON *ig_backend_image_meta(const ig_request *req, const char *provider,
                             const char *model, const char *revised_prompt);

/*
 * Commits a finished image (ownership of writer passes here; it is freed
 * either way) with ig_backend_image_meta's sidecar, and appends it to
 * result's "images"; sets "revisedPrompt" from the first revised prompt.
 * Bytes that do not decode become IG_ERR_PROVIDER_BAD_RESPONSE.
 */
int ig_backend_commit_image(ig_store_writer *writer, const ig_request *req,
                            const char *provider, const char *model,
                            const char *revised_prompt, cJSON *result, ig_error *err);

/*
 * As ig_backend_commit_image, with the seed the provider reports it used
 * (has_seed) in the sidecar and in the result's image entry.
 */
int ig_backend_commit_seeded(ig_store_writer *writer, const ig_request *req,
                             const char *provider, const char *model, bool has_seed,
                             double seed, cJSON *result, ig_error *err);

/* FastAPI's error "detail" (a text, or [{"loc": [...], "msg"}]) as one line
 * "field: msg" of the first entry, into out (cap bytes; "" when neither). */
void ig_backend_fastapi_detail(const cJSON *detail, char *out, size_t cap);

/*
 * Commits the image behind a base64-sink placeholder ("ig-image:<i>" in the
 * skeleton) as ig_backend_commit_image does. A ref that names no whole
 * image is IG_ERR_PROVIDER_BAD_RESPONSE.
 */
int ig_backend_commit_ref(ig_json_b64_sink *sink, const char *ref, const ig_request *req,
                          const char *provider, const char *model,
                          const char *revised_prompt, cJSON *result, ig_error *err);

/* After a response broke off, commits every image whose data arrived whole
 * (the provider has charged for them) and says so in a warning. */
void ig_backend_salvage(ig_json_b64_sink *sink, const ig_request *req, const char *provider,
                        const char *model, cJSON *result);

/* An ig_http_sink_fn that appends a raw image body to the ig_store_writer
 * passed as ctx. */
int ig_backend_writer_sink(void *writer, const void *data, size_t size, ig_error *err);

/*
 * Downloads a result image from url (http(s) only) WITHOUT any key (result
 * files live on CDNs and signed URLs, open by URL; at most 3 redirects,
 * 64 MiB) into a new store writer *writer, which is aborted on failure.
 * A refused or expired file is IG_ERR_PROVIDER_ERROR (retryable when 5xx)
 * whose message names source ("its CDN URL") and whose hint is the
 * provider's own. Returns 0 or -1 with err.
 */
int ig_backend_download(const ig_backend_ctx *ctx, const char *url, double deadline,
                        const char *provider, const char *source, const char *hint,
                        ig_store_writer **writer, ig_error *err);

/*
 * Sleeps ms for an async job's next poll, waking every 50 ms to notice
 * the cancel flag. Returns 0, or -1 with IG_ERR_CANCELED.
 */
int ig_backend_sleep(const ig_backend_ctx *ctx, long ms, ig_error *err);

#define IG_BACKEND_POLL_RETRIES 3 /* failed status requests per async job */

/*
 * After a failed status request of an async job: true (err cleared,
 * *failed_polls counted) when it should simply be asked again, that is a
 * network error, timeout, 429 or 5xx, at most IG_BACKEND_POLL_RETRIES
 * times. The job itself is never resubmitted: it is paid for.
 */
bool ig_backend_retry_poll(ig_error *err, int *failed_polls);

/*
 * Whether a URL a provider handed back (a polling URL) may receive the API
 * key: same scheme and host as base_url, or an https host under one of
 * trusted_domains (".bfl.ai"), NULL-terminated.
 */
bool ig_backend_url_trusted(const char *url, const char *base_url,
                            const char *const *trusted_domains);

/*
 * ig_http_perform with the time left until deadline (ig_backend_now_ms
 * clock) as the request's total timeout; when none is left, fails with
 * IG_ERR_PROVIDER_TIMEOUT naming the provider's timeoutMs instead of
 * starting a request. Results as ig_http_perform.
 */
int ig_backend_perform(const ig_backend_ctx *ctx, ig_http_request *hreq, double deadline,
                       ig_http_response *res, ig_error *err);

/* Milliseconds on a monotonic clock (for deadlines and attempt timings). */
double ig_backend_now_ms(void);

/*
 * Adds providerOptions.<provider> to a JSON body: each key replaces what
 * the backend set (the caller's explicit choice wins) with a warning in
 * result, since "applied" then no longer shows what was sent.
 */
void ig_backend_json_options(cJSON *json, const ig_request *req, const char *provider,
                             cJSON *result);

/* first followed by second (NULL = nothing), malloc'd; NULL when out of
 * memory. For prompts a backend prefixes with an instruction. */
char *ig_backend_join(const char *first, const char *second);

/* The capabilities of model in backend, or NULL when it does not list it. */
const ig_model_caps *ig_backend_model(const ig_backend *backend, const char *model);

/*
 * Classifies a provider's HTTP failure from its status: 400/404/413/422 ->
 * invalid request, 401/403 -> auth (the provider's text is not echoed: it
 * quotes part of the key), 402 -> quota, 408 -> timeout, 5xx -> provider
 * error (both retryable), 429 -> rate limited (retryable, retry_after_s kept).
 * Backends call it, then refine with their own error codes (moderation,
 * quota inside a 429, ...). message is the provider's own text (redacted by
 * the caller's redactor before it reaches a result).
 */
void ig_backend_http_error(const char *provider, long status, double retry_after_s,
                           const char *message, ig_error *err);

/*
 * After a create/submit request failed without an answer (ig_http_perform
 * returned -1): when the request had gone out whole (res->request_sent),
 * the provider may have created (and will charge) the job, so err is
 * marked accepted, which keeps the fallback layer from submitting it again
 * anywhere, and its message and hint say so. Otherwise err is unchanged.
 */
void ig_backend_maybe_created(const ig_http_response *res, ig_error *err);

/*
 * After an upscale by a provider named label ("Stability", "fal") whose
 * image was stored (not yet in result): when it is larger than the
 * request's target, a copy shrunk to exactly the target is stored (sidecar
 * resizedFrom = the original's id) and put in result with a warning naming
 * the kept original; otherwise the provider's image itself goes in result
 * (with a warning when it is smaller). 0, or -1 with err when the shrink
 * failed (the provider's image is then in result as it is).
 */
int ig_backend_finish_upscale(ig_image_store *store, const ig_request *req,
                              const ig_applied *applied, const char *provider,
                              const char *label, const ig_stored_image *stored,
                              cJSON *result, ig_error *err);

#endif
