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
