/*
 * test_redaction.c - no secret reaches a result, an error, a log line, a
 * progress report or an event, even when the caller pastes it into a field.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/redact.h"
#include "support/test_calls.h"
#include "tools/tool_call.h"

#define ENV_KEY "sk-env-secret-7f3a9c2e1d"
/* Nothing listens on the discard port: provider calls fail at once, on
 * loopback, and their error text is checked for the key too. */
#define CLOSED_PORT_URL "http://127.0.0.1:9/v1"
#define CONFIG_KEY "cfg-secret-88b1c0ffee"

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static int leaks, messages;

static void check_text(const char *text)
{
    pthread_mutex_lock(&seen_lock);
    messages++;
    if (strstr(text, ENV_KEY) || strstr(text, CONFIG_KEY))
        leaks++;
    pthread_mutex_unlock(&seen_lock);
}

static void on_log(void *ud, int32_t level, const char *message)
{
    (void)ud;
    (void)level;
    check_text(message);
}

static void on_json(void *ud, const char *json)
{
    (void)ud;
    check_text(json);
}

TestSuite(redaction, .init = tc_clear_provider_env, .timeout = 30);

Test(redaction, redactor_replaces_every_occurrence)
{
    ig_redactor *r = ig_redactor_new(NULL);
    ig_redactor_add(r, "topsecret99");
    ig_redactor_add(r, "abc"); /* too short: ignored */
    char *out = ig_redact(r, "a topsecret99 b topsecret99topsecret99 abc");
    cr_expect_str_eq(out, "a [REDACTED] b [REDACTED][REDACTED] abc");
    free(out);
    ig_redactor_free(r);
}

Test(redaction, secrets_never_leave_the_extension)
{
    setenv("OPENAI_API_KEY", ENV_KEY, 1);
    setenv("OPENAI_BASE_URL", CLOSED_PORT_URL, 1);
    ig_error err;
    ig_error_clear(&err);
    ig_instance *inst = ig_instance_open(
        "{\"imageGeneration\":{\"imageDir\":\"/tmp/ig-redaction-images\","
        "\"providers\":{\"fal\":{\"apiKey\":\"" CONFIG_KEY "\"}}}}",
        on_log, on_json, on_json, NULL, &err);
    cr_assert(inst, "%s", err.message);

    /* Secrets pasted into the prompt, an unknown field and a path. */
    const char *calls[][2] = {
        {"generate_image", "{\"prompt\":\"use key " ENV_KEY " and " CONFIG_KEY "\"}"},
        {"generate_image", "{\"prompt\":\"x\",\"" ENV_KEY "\":1}"},
        {"upscale_image", "{\"image\":\"/tmp/" CONFIG_KEY ".png\"}"},
        {"generate_image", "{\"prompt\":\"x\",\"provider\":\"openai\"}"},
    };
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
        int state;
        char *text = ig_tool_call(inst, NULL, calls[i][0], calls[i][1], &state);
        cr_expect_null(strstr(text, ENV_KEY), "leak in %s", text);
        cr_expect_null(strstr(text, CONFIG_KEY), "leak in %s", text);
        if (i < 3) /* the first three echo the secret back somewhere */
            cr_expect(strstr(text, "[REDACTED]"), "nothing redacted in %s", text);
        free(text);
    }
    ig_instance_close(inst);
    cr_expect_gt(messages, 4, "callbacks were not exercised");
    cr_expect_eq(leaks, 0, "%d callback messages contained a secret", leaks);
}

#define LONG_KEY "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* True when any 12-character piece of the key appears in text. */
static bool has_key_piece(const char *text)
{
    const char *key = LONG_KEY;
    for (size_t i = 0; i + 12 <= strlen(key); i++) {
        char piece[13];
        memcpy(piece, key + i, 12);
        piece[12] = '\0';
        if (strstr(text, piece))
            return true;
    }
    return false;
}

static void check_pieces(const char *text)
{
    pthread_mutex_lock(&seen_lock);
    messages++;
    leaks += has_key_piece(text);
    pthread_mutex_unlock(&seen_lock);
}

static void on_log_pieces(void *ud, int32_t level, const char *message)
{
    (void)ud;
    (void)level;
    check_pieces(message);
}

static void on_json_pieces(void *ud, const char *json)
{
    (void)ud;
    check_pieces(json);
}

Test(redaction, secrets_cut_by_messages_do_not_leak_in_pieces)
{
    setenv("OPENAI_API_KEY", LONG_KEY, 1);
    setenv("OPENAI_BASE_URL", CLOSED_PORT_URL, 1);
    ig_error err;
    ig_error_clear(&err);
    ig_instance *inst = ig_instance_open(
        "{\"imageGeneration\":{\"imageDir\":\"/tmp/ig-redaction-images2\"}}", on_log_pieces,
        on_json_pieces, on_json_pieces, NULL, &err);
    cr_assert(inst, "%s", err.message);
    /* Values the messages quote and clip: an enum value, the tool name, a
     * long path, an unknown field, a key inside a nested object. */
    const char *calls[][2] = {
        {"generate_image", "{\"prompt\":\"x\",\"quality\":\"" LONG_KEY "\"}"},
        {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" LONG_KEY, "{}"},
        {"upscale_image", "{\"image\":\"/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                          "aaaaaaaaaaaaaaaaaaaaaaaa/" LONG_KEY ".png\"}"},
        {"generate_image", "{\"prompt\":\"x\",\"" LONG_KEY "\":1}"},
        {"generate_image", "{\"prompt\":\"x\",\"providerPreferences\":{\"weights\":{\""
                           LONG_KEY "\":1}}}"},
    };
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
        int state;
        char *text = ig_tool_call(inst, NULL, calls[i][0], calls[i][1], &state);
        cr_expect_not(has_key_piece(text), "a piece of the key leaked: %s", text);
        free(text);
    }
    int64_t id = ig_instance_submit(inst, "zzzz" LONG_KEY, "{}");
    ig_jobs_wait(inst->jobs, id, 30000);
    char *poll = ig_jobs_poll_json(inst->jobs, id);
    cr_expect_not(has_key_piece(poll), "poll leaked: %s", poll);
    free(poll);
    ig_instance_close(inst);
    cr_expect_gt(messages, 5, "callbacks were not exercised");
    cr_expect_eq(leaks, 0, "%d callback messages contained a piece of the key", leaks);
}
