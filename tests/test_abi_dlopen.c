/*
 * test_abi_dlopen.c - the exported ABI, exercised as a separate host would:
 * the built module is dlopen()ed from the stage directory and every entry
 * point is reached through dlsym only (agentos_ext.h supplies the types and
 * constants). Nothing of ig_core is called directly.
 */
#include <agentos_ext.h>
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <glib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "support/abi_binding.h"
#include "support/test_util.h"

#define SO_PATH IG_TEST_STAGE_DIR "/libimage-generation.so"
#define MANIFEST_PATH IG_TEST_STAGE_DIR "/image-generation.ext.json"

/* The ABI, as function pointers filled by dlsym. */
static ta_abi abi;

static char *image_dir;

static const char *const provider_env[] = {
    "OPENAI_API_KEY", "STABILITY_API_KEY", "BFL_API_KEY", "FAL_API_KEY",
    "REPLICATE_API_TOKEN", "OPENROUTER_API_KEY", "STABLE_DIFFUSION_LOCAL_BASE_URL",
    "OPENAI_BASE_URL", "STABILITY_BASE_URL", "BFL_BASE_URL", "FAL_BASE_URL",
    "REPLICATE_BASE_URL", "OPENROUTER_BASE_URL"};

static void setup(void)
{
    for (size_t i = 0; i < sizeof provider_env / sizeof provider_env[0]; i++)
        unsetenv(provider_env[i]);
    image_dir = tu_make_temp_dir("ig-abi");
    setenv("AGENTOS_IMAGE_DIR", image_dir, 1);
    char err[512];
    cr_assert_eq(ta_abi_load(SO_PATH, &abi, err, sizeof err), 0, "%s", err);
}

static void teardown(void)
{
    /* The module is left loaded: it may own library thread pools. */
    tu_remove_tree(image_dir);
    free(image_dir);
}

TestSuite(abi, .init = setup, .fini = teardown, .timeout = 60);

/* ---- helpers ---- */

static cJSON *parse_owned(char *text)
{
    cr_assert(text != NULL, "the ABI returned NULL");
    cJSON *doc = cJSON_Parse(text);
    cr_assert(doc != NULL, "not JSON: %s", text);
    abi.free(text);
    return doc;
}

static const char *str_at(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static const char *error_code(const cJSON *envelope)
{
    return str_at(cJSON_GetObjectItemCaseSensitive(envelope, "error"), "code");
}

static agentos_ext *open_or_die(const char *config)
{
    char err[512] = "";
    agentos_ext *ext = abi.open(config, NULL, NULL, NULL, NULL, err, sizeof err);
    cr_assert(ext != NULL, "open(%s) failed: %s", config ? config : "NULL", err);
    return ext;
}

/* A call result: checks ok:false and the error code. */
static void expect_error(char *result, const char *code)
{
    cJSON *doc = parse_owned(result);
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "ok")),
              "expected ok:false");
    const char *got = error_code(doc);
    cr_expect(got && !strcmp(got, code), "error.code %s, expected %s",
              got ? got : "(none)", code);
    cJSON_Delete(doc);
}

static char *poll_status(agentos_ext *ext, int64_t id)
{
    cJSON *doc = parse_owned(abi.job_poll(ext, id));
    const char *s = str_at(doc, "status");
    char *copy = strdup(s ? s : "(none)");
    cJSON_Delete(doc);
    return copy;
}


static const char *hang_config =
    "{\"imageGeneration\":{\"allowPrivateUrls\":true,\"fetchTimeoutMs\":60000,"
    "\"maxConcurrentJobs\":1}}";

static char *hang_args(int port)
{
    char *args = NULL;
    cr_assert(asprintf(&args, "{\"image\":\"http://127.0.0.1:%d/never.png\"}", port) > 0);
    return args;
}

/* Polls until the job reports status, up to ~10 s. */
static void await_status(agentos_ext *ext, int64_t id, const char *status)
{
    for (int i = 0; i < 1000; i++) {
        char *s = poll_status(ext, id);
        int match = !strcmp(s, status);
        free(s);
        if (match)
            return;
        usleep(10000);
    }
    cr_assert_fail("job %lld never reached status %s", (long long)id, status);
}

/* ---- version and info ---- */

Test(abi, version_matches_header_and_manifest)
{
    cr_assert_eq(abi.abi_version(), 1u);
    cr_assert_eq(abi.abi_version(), AGENTOS_EXT_ABI_VERSION);
    char *text = tu_read_file(MANIFEST_PATH, NULL);
    cr_assert(text != NULL);
    cJSON *manifest = cJSON_Parse(text);
    free(text);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(manifest, "abi"), "version");
    cr_assert(cJSON_IsNumber(v));
    cr_assert_eq((uint32_t)v->valuedouble, abi.abi_version());
    cJSON_Delete(manifest);
}

Test(abi, info_describes_the_library)
{
    const char *info = abi.info();
    cr_assert(info != NULL);
    cr_assert_eq(abi.info(), info, "info() must return the same static string");
    cJSON *doc = cJSON_Parse(info);
    cr_assert(doc != NULL, "info is not JSON: %s", info);
    char *text = tu_read_file(MANIFEST_PATH, NULL);
    cJSON *manifest = cJSON_Parse(text);
    free(text);
    cr_assert(manifest != NULL);
    cr_expect_str_eq(str_at(doc, "id"), str_at(manifest, "id"));
    cr_expect_str_eq(str_at(doc, "version"), str_at(manifest, "version"));
    const char *name = str_at(doc, "name");
    cr_expect(name && *name, "info.name must be a non-empty string");
    const cJSON *abi_v = cJSON_GetObjectItemCaseSensitive(doc, "abiVersion");
    cr_expect(cJSON_IsNumber(abi_v) && abi_v->valuedouble == 1.0,
              "info.abiVersion must be 1");
    cJSON_Delete(manifest);
    cJSON_Delete(doc);
}

/* ---- open ---- */

Test(abi, open_with_null_empty_and_empty_object_config)
{
    const char *configs[] = {NULL, "", "{}"};
    for (size_t i = 0; i < 3; i++)
        abi.close(open_or_die(configs[i]));
}

Test(abi, open_ignores_unrelated_host_keys)
{
    abi.close(open_or_die(
        "{\"model\":\"some-llm\",\"agents\":[{\"name\":\"a\"}],\"tools\":{\"x\":1},"
        "\"providerPreferences\":{\"text\":{\"order\":[\"anything\"]},\"image\":{}},"
        "\"imageGeneration\":{}}"));
}

Test(abi, several_instances_coexist)
{
    agentos_ext *a = open_or_die(NULL);
    agentos_ext *b = open_or_die("{}");
    cJSON *ta = parse_owned(abi.list_tools(a));
    cJSON *tb = parse_owned(abi.list_tools(b));
    cr_expect(cJSON_Compare(ta, tb, 1));
    cJSON_Delete(ta);
    cJSON_Delete(tb);
    abi.close(a);
    abi.close(b);
}

Test(abi, bad_config_fails_naming_the_key)
{
    char err[512];
    memset(err, 'X', sizeof err);
    agentos_ext *ext = abi.open("{\"imageGeneration\":{\"imageDirr\":\"x\"}}", NULL,
                                NULL, NULL, NULL, err, sizeof err);
    cr_assert_null(ext);
    cr_assert(memchr(err, '\0', sizeof err) != NULL, "error_buf not terminated");
    cr_expect(strstr(err, "imageDirr") != NULL, "message does not name the key: %s", err);
}

Test(abi, invalid_config_json_fails)
{
    char err[256] = "";
    cr_assert_null(abi.open("{not json", NULL, NULL, NULL, NULL, err, sizeof err));
    cr_expect(err[0] != '\0', "no message for an unparsable config");
    cr_assert_null(abi.open("[1,2]", NULL, NULL, NULL, NULL, err, sizeof err));
}

Test(abi, error_buf_truncates_and_stays_terminated)
{
    const char *bad = "{\"imageGeneration\":{\"imageDirr\":\"x\"}}";
    char buf[16];
    memset(buf, 'Z', sizeof buf);
    cr_assert_null(abi.open(bad, NULL, NULL, NULL, NULL, buf, 8));
    cr_expect(strlen(buf) == 7, "expected 7 chars of a longer message, got %zu",
              strlen(buf));
    for (size_t i = 8; i < sizeof buf; i++)
        cr_expect_eq(buf[i], 'Z', "byte %zu beyond error_buf_size was written", i);

    char one = 'Z';
    cr_assert_null(abi.open(bad, NULL, NULL, NULL, NULL, &one, 1));
    cr_expect_eq(one, '\0');

    char untouched = 'Z';
    cr_assert_null(abi.open(bad, NULL, NULL, NULL, NULL, &untouched, 0));
    cr_expect_eq(untouched, 'Z', "a zero-sized error_buf was written");
    cr_assert_null(abi.open(bad, NULL, NULL, NULL, NULL, NULL, 0));
    cr_assert_null(abi.open(bad, NULL, NULL, NULL, NULL, NULL, 64));
}

/* ---- tools ---- */

Test(abi, list_tools_is_the_five_tools)
{
    static const char *const names[] = {"generate_image", "edit_image",
                                        "upscale_image", "variate_image",
                                        "transfer_style"};
    agentos_ext *ext = open_or_die(NULL);
    cJSON *tools = parse_owned(abi.list_tools(ext));
    cr_assert(cJSON_IsArray(tools));
    cr_assert_eq(cJSON_GetArraySize(tools), 5);
    for (int i = 0; i < 5; i++) {
        const cJSON *tool = cJSON_GetArrayItem(tools, i);
        cr_assert(cJSON_IsObject(tool));
        const char *name = str_at(tool, "name");
        int known = 0;
        for (int k = 0; k < 5; k++)
            known |= name && !strcmp(name, names[k]);
        cr_expect(known, "unexpected tool %s", name ? name : "(no name)");
        const char *description = str_at(tool, "description");
        cr_expect(description && *description, "%s has no description", name);
        cr_expect(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(tool, "inputSchema")),
                  "%s has no inputSchema object", name);
        for (int j = 0; j < i; j++)
            cr_expect_str_neq(str_at(cJSON_GetArrayItem(tools, j), "name"), name);
    }
    cJSON_Delete(tools);
    cr_expect_null(abi.list_tools(NULL));
    abi.close(ext);
}

/* ---- synchronous calls ---- */

Test(abi, call_unknown_tool)
{
    agentos_ext *ext = open_or_die(NULL);
    expect_error(abi.call(ext, "no_such_tool", "{}"), "unknown_tool");
    abi.close(ext);
}

Test(abi, call_bad_arguments_are_reported_in_json)
{
    agentos_ext *ext = open_or_die(NULL);
    expect_error(abi.call(ext, "generate_image", "not json"), "invalid_json");
    expect_error(abi.call(ext, "generate_image", "[1]"), "invalid_json");

    cJSON *doc = parse_owned(abi.call(ext, "generate_image", "{\"prompt\":\"a cat\",\"n\":99}"));
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "ok")));
    cr_expect_str_eq(error_code(doc), "invalid_argument");
    cr_expect_str_eq(str_at(cJSON_GetObjectItemCaseSensitive(doc, "error"), "field"), "n");
    cJSON_Delete(doc);

    /* NULL strings are bad calls, reported inside the JSON, never as NULL. */
    char *r = abi.call(ext, "generate_image", NULL);
    cr_assert(r != NULL, "call with NULL args returned NULL");
    doc = parse_owned(r);
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "ok")));
    cJSON_Delete(doc);
    r = abi.call(ext, NULL, "{}");
    cr_assert(r != NULL, "call with a NULL tool name returned NULL");
    doc = parse_owned(r);
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "ok")));
    cJSON_Delete(doc);

    cr_expect_null(abi.call(NULL, "generate_image", "{}"));
    abi.close(ext);
}

Test(abi, call_without_providers_says_so)
{
    agentos_ext *ext = open_or_die(NULL);
    expect_error(abi.call(ext, "generate_image", "{\"prompt\":\"a cat\"}"),
                 "no_provider_configured");
    abi.close(ext);
}

/* ---- jobs ---- */

Test(abi, job_lifecycle_submit_poll_wait_result)
{
    agentos_ext *ext = open_or_die(NULL);
    char err[256] = "";
    int64_t id = abi.submit(ext, "generate_image", "{\"prompt\":\"a cat\"}", err, sizeof err);
    cr_assert_gt(id, 0, "submit failed: %lld %s", (long long)id, err);

    cJSON *poll = parse_owned(abi.job_poll(ext, id));
    const cJSON *job_id = cJSON_GetObjectItemCaseSensitive(poll, "jobId");
    cr_expect(cJSON_IsNumber(job_id) && (int64_t)job_id->valuedouble == id);
    cr_expect_str_eq(str_at(poll, "tool"), "generate_image");
    const char *status = str_at(poll, "status");
    cr_assert(status != NULL);
    cr_expect(!strcmp(status, "queued") || !strcmp(status, "running") ||
                  !strcmp(status, "succeeded") || !strcmp(status, "failed"),
              "status %s", status);
    cr_expect(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(poll, "done")));
    const cJSON *progress = cJSON_GetObjectItemCaseSensitive(poll, "progress");
    cr_expect(cJSON_IsNumber(progress) && progress->valuedouble >= 0 &&
              progress->valuedouble <= 1);
    cJSON_Delete(poll);

    int32_t state = abi.job_wait(ext, id, 20000);
    cr_assert_eq(state, AGENTOS_EXT_JOB_FAILED, "wait returned %d", state);
    cr_expect_eq(abi.job_wait(ext, id, 0), AGENTOS_EXT_JOB_FAILED,
                 "a finished job must report its state without waiting");

    poll = parse_owned(abi.job_poll(ext, id));
    cr_expect_str_eq(str_at(poll, "status"), "failed");
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(poll, "done")));
    cJSON_Delete(poll);

    cr_expect_eq(abi.job_cancel(ext, id), AGENTOS_EXT_OK,
                 "cancel of a finished job is OK");
    expect_error(abi.job_result(ext, id), "no_provider_configured");
    cr_expect_null(abi.job_result(ext, id), "result taken twice");

    char *s = poll_status(ext, id);
    cr_expect_str_eq(s, "not_found");
    free(s);
    cr_expect_eq(abi.job_wait(ext, id, 0), AGENTOS_EXT_E_NOT_FOUND);
    cr_expect_eq(abi.job_cancel(ext, id), AGENTOS_EXT_E_NOT_FOUND);
    abi.close(ext);
}

Test(abi, submit_validates_in_the_job)
{
    agentos_ext *ext = open_or_die(NULL);
    int64_t bad_json = abi.submit(ext, "generate_image", "not json", NULL, 0);
    int64_t bad_tool = abi.submit(ext, "no_such_tool", "{}", NULL, 0);
    cr_assert_gt(bad_json, 0);
    cr_assert_gt(bad_tool, 0);
    cr_expect_neq(bad_json, bad_tool);
    cr_assert_eq(abi.job_wait(ext, bad_json, 20000), AGENTOS_EXT_JOB_FAILED);
    cr_assert_eq(abi.job_wait(ext, bad_tool, 20000), AGENTOS_EXT_JOB_FAILED);
    expect_error(abi.job_result(ext, bad_json), "invalid_json");
    expect_error(abi.job_result(ext, bad_tool), "unknown_tool");
    abi.close(ext);
}

Test(abi, submit_with_null_instance_is_invalid)
{
    char err[128] = "";
    cr_expect_eq(abi.submit(NULL, "generate_image", "{}", err, sizeof err),
                 AGENTOS_EXT_E_INVALID);
}

Test(abi, unknown_job_ids)
{
    agentos_ext *ext = open_or_die(NULL);
    const int64_t ids[] = {12345, 0, -1};
    for (size_t i = 0; i < 3; i++) {
        char *s = poll_status(ext, ids[i]);
        cr_expect_str_eq(s, "not_found", "poll(%lld)", (long long)ids[i]);
        free(s);
        cr_expect_eq(abi.job_wait(ext, ids[i], 0), AGENTOS_EXT_E_NOT_FOUND);
        cr_expect_eq(abi.job_wait(ext, ids[i], 50), AGENTOS_EXT_E_NOT_FOUND);
        cr_expect_null(abi.job_result(ext, ids[i]));
        cr_expect_eq(abi.job_cancel(ext, ids[i]), AGENTOS_EXT_E_NOT_FOUND);
    }
    abi.close(ext);
}

Test(abi, cancel_a_running_job)
{
    int port = 0;
    int listener = tu_hang_endpoint(&port);
    agentos_ext *ext = open_or_die(hang_config);
    char *args = hang_args(port);
    int64_t id = abi.submit(ext, "upscale_image", args, NULL, 0);
    cr_assert_gt(id, 0);
    await_status(ext, id, "running");
    cr_expect_eq(abi.job_wait(ext, id, 300), AGENTOS_EXT_E_TIMEOUT);
    cr_expect_null(abi.job_result(ext, id), "result of an unfinished job");

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(abi.job_cancel(ext, id), AGENTOS_EXT_OK);
    cr_assert_eq(abi.job_wait(ext, id, 20000), AGENTOS_EXT_JOB_CANCELED);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_expect(took < 15.0, "cancel took %.1f s to interrupt the transfer", took);

    char *s = poll_status(ext, id);
    cr_expect_str_eq(s, "canceled");
    free(s);
    expect_error(abi.job_result(ext, id), "canceled");
    free(args);
    abi.close(ext);
    close(listener);
}

Test(abi, cancel_a_queued_job)
{
    int port = 0;
    int listener = tu_hang_endpoint(&port);
    agentos_ext *ext = open_or_die(hang_config); /* one worker */
    char *args = hang_args(port);
    int64_t blocker = abi.submit(ext, "upscale_image", args, NULL, 0);
    cr_assert_gt(blocker, 0);
    await_status(ext, blocker, "running");
    int64_t queued = abi.submit(ext, "generate_image", "{\"prompt\":\"a cat\"}", NULL, 0);
    cr_assert_gt(queued, 0);
    char *s = poll_status(ext, queued);
    cr_expect_str_eq(s, "queued");
    free(s);

    cr_assert_eq(abi.job_cancel(ext, queued), AGENTOS_EXT_OK);
    cr_assert_eq(abi.job_wait(ext, queued, 2000), AGENTOS_EXT_JOB_CANCELED,
                 "a queued job must end at once when cancelled");
    expect_error(abi.job_result(ext, queued), "canceled");

    cr_assert_eq(abi.job_cancel(ext, blocker), AGENTOS_EXT_OK);
    cr_assert_eq(abi.job_wait(ext, blocker, 20000), AGENTOS_EXT_JOB_CANCELED);
    free(args);
    abi.close(ext);
    close(listener);
}

Test(abi, close_with_jobs_still_queued)
{
    agentos_ext *ext = open_or_die("{\"imageGeneration\":{\"maxConcurrentJobs\":1}}");
    for (int i = 0; i < 20; i++)
        cr_assert_gt(abi.submit(ext, "generate_image", "{\"prompt\":\"a cat\"}", NULL, 0), 0);
    abi.close(ext); /* queued jobs finish, untaken results are discarded */
}

Test(abi, close_after_cancelling_a_hung_job)
{
    int port = 0;
    int listener = tu_hang_endpoint(&port);
    agentos_ext *ext = open_or_die(hang_config);
    char *args = hang_args(port);
    int64_t ids[6];
    for (int i = 0; i < 6; i++) {
        ids[i] = abi.submit(ext, "upscale_image", args, NULL, 0);
        cr_assert_gt(ids[i], 0);
    }
    await_status(ext, ids[0], "running");
    for (int i = 0; i < 6; i++)
        cr_assert_eq(abi.job_cancel(ext, ids[i]), AGENTOS_EXT_OK);
    abi.close(ext);
    free(args);
    close(listener);
}

Test(abi, free_and_close_accept_null)
{
    abi.free(NULL);
    abi.close(NULL);
}

/* ---- callbacks ---- */

typedef struct seen {
    pthread_mutex_t lock;
    int progress, events, logs, bad;
    void *expected_user_data;
} seen;

static void on_log(void *user_data, int32_t level, const char *message)
{
    seen *s = user_data;
    pthread_mutex_lock(&s->lock);
    s->logs++;
    if (!message || level < AGENTOS_EXT_LOG_ERROR || level > AGENTOS_EXT_LOG_DEBUG)
        s->bad++;
    pthread_mutex_unlock(&s->lock);
}

static void on_progress(void *user_data, const char *json)
{
    seen *s = user_data;
    cJSON *doc = json ? cJSON_Parse(json) : NULL;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "progress");
    pthread_mutex_lock(&s->lock);
    s->progress++;
    if (!cJSON_IsNumber(p) || p->valuedouble < 0 || p->valuedouble > 1 ||
        !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "jobId")))
        s->bad++;
    pthread_mutex_unlock(&s->lock);
    cJSON_Delete(doc);
}

static void on_event(void *user_data, const char *json)
{
    seen *s = user_data;
    cJSON *doc = json ? cJSON_Parse(json) : NULL;
    pthread_mutex_lock(&s->lock);
    s->events++;
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "type")))
        s->bad++;
    pthread_mutex_unlock(&s->lock);
    cJSON_Delete(doc);
}

Test(abi, callbacks_get_wellformed_json_and_user_data)
{
    seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    char err[256] = "";
    agentos_ext *ext = abi.open(NULL, on_log, on_progress, on_event, &s, err, sizeof err);
    cr_assert(ext != NULL, "%s", err);
    int64_t id = abi.submit(ext, "generate_image", "{\"prompt\":\"a cat\"}", NULL, 0);
    cr_assert_gt(id, 0);
    cr_assert_geq(abi.job_wait(ext, id, 20000), AGENTOS_EXT_JOB_SUCCEEDED);
    abi.free(abi.job_result(ext, id));
    abi.free(abi.call(ext, "generate_image", "{\"prompt\":\"a dog\"}"));
    abi.close(ext);
    cr_expect_eq(s.bad, 0, "%d malformed callback payloads", s.bad);
}

/* ---- concurrency ---- */

typedef struct worker_arg {
    agentos_ext *ext;
    int index;
    int failures;
} worker_arg;

static int check_code(char *result, const char *code, const char *field)
{
    if (!result)
        return 1;
    cJSON *doc = cJSON_Parse(result);
    abi.free(result);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(doc, "error");
    int bad = !doc || !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "ok")) ||
              !str_at(error, "code") || strcmp(str_at(error, "code"), code) != 0 ||
              (field && (!str_at(error, "field") || strcmp(str_at(error, "field"), field)));
    cJSON_Delete(doc);
    return bad;
}

static void *call_worker(void *p)
{
    worker_arg *w = p;
    for (int i = 0; i < 12; i++) {
        switch ((w->index + i) % 3) {
        case 0:
            w->failures += check_code(abi.call(w->ext, "no_such_tool", "{}"),
                                      "unknown_tool", NULL);
            break;
        case 1:
            w->failures += check_code(abi.call(w->ext, "generate_image",
                                               "{\"prompt\":\"a cat\",\"n\":99}"),
                                      "invalid_argument", "n");
            break;
        default:
            w->failures += check_code(abi.call(w->ext, "generate_image",
                                               "{\"prompt\":\"a cat\"}"),
                                      "no_provider_configured", NULL);
            break;
        }
    }
    return NULL;
}

Test(abi, concurrent_calls_from_eight_threads)
{
    agentos_ext *ext = open_or_die(NULL);
    pthread_t threads[8];
    worker_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (worker_arg){ext, i, 0};
        cr_assert_eq(pthread_create(&threads[i], NULL, call_worker, &args[i]), 0);
    }
    int failures = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        failures += args[i].failures;
    }
    cr_expect_eq(failures, 0, "%d of 96 concurrent calls gave a wrong result", failures);
    abi.close(ext);
}

/* The host unloads the extension and then something logs a libvips warning
 * (a host that uses libvips itself, say): the library stays mapped
 * (-z nodelete), so the log handler it registered is still valid. */
Test(unload, dlclose_leaves_the_library_mapped)
{
    ta_abi own;
    char load_err[512];
    cr_assert_eq(ta_abi_load(SO_PATH, &own, load_err, sizeof load_err), 0, "%s", load_err);
    char *dir = tu_make_temp_dir("ig-unload");
    char config[512];
    snprintf(config, sizeof config, "{\"imageGeneration\":{\"imageDir\":\"%s\"}}", dir);
    char err[256] = "";
    agentos_ext *ext = own.open(config, NULL, NULL, NULL, NULL, err, sizeof err);
    cr_assert(ext, "%s", err);
    own.close(ext);
    cr_assert_eq(dlclose(own.handle), 0);

    size_t size = 0;
    char *maps = tu_read_file("/proc/self/maps", &size);
    cr_expect(maps && strstr(maps, "libimage-generation.so"), "the library was unmapped");
    free(maps);
    g_log("VIPS", G_LOG_LEVEL_WARNING, "a warning after dlclose");
    tu_remove_tree(dir);
    free(dir);
}
