/*
 * test_agentos_e2e.c - the extension inside the real AgentOS runtime from
 * npm: tests/agentos/run_pack.mjs loads the Node pack (bindings/node) the
 * way AgentOS loads a module-source extension pack and runs generate_image
 * against the OpenAI emulator started here and upscale_image on the local
 * provider through the runtime's own tool execution path, then enables it
 * by name with the agent's extensions_enable tool and runs it again; this
 * suite checks what it reports and what reached the emulator. The npm packages come from
 * scripts/test.sh (npm ci in bindings/node and tests/agentos).
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emulators/openai_emulator.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_util.h"

#define KEY "sk-agentos-e2e-0123456789abcdef"
#define MARK "E2E-RESULT "

static oai_emulator *emu;
static char *dir;

static void setup(void)
{
    tc_clear_provider_env(); /* the key reaches the pack as a secret only */
    emu = oai_emulator_start(0, KEY);
    cr_assert(emu, "emulator did not start");
    dir = tu_make_temp_dir("ig-agentos");
}

static void teardown(void)
{
    oai_emulator_stop(emu);
    tu_remove_tree(dir);
    free(dir);
}

TestSuite(agentos, .init = setup, .fini = teardown, .timeout = 240);

/* Runs the script; returns its whole output (caller frees). */
static char *run_pack(void)
{
    char config[600], images[600], command[4096];
    snprintf(config, sizeof config, "%s/agent.config.json", dir);
    snprintf(images, sizeof images, "%s/images", dir);
    /* The agent's own config: its preferences must reach the library. */
    const char *agent = "{\"providerPreferences\":{\"image\":{\"preferred\":[\"openai\"]}},"
                        "\"otherHostKey\":true}";
    cr_assert_eq(tu_write_file(config, agent, strlen(agent)), 0);
    setenv("OPENAI_BASE_URL", oai_emulator_base_url(emu), 1);
    setenv("E2E_OPENAI_KEY", KEY, 1);
    setenv("AGENTOS_EXTENSIONS_PATH", IG_TEST_BINARY_DIR "/extensions", 1);
    snprintf(command, sizeof command, "'%s' '%s' '%s' '%s' '%s' 2>&1", IG_TEST_NODE,
             IG_TEST_SOURCE_DIR "/tests/agentos/run_pack.mjs",
             IG_TEST_SOURCE_DIR "/bindings/node/index.mjs", config, images);
    FILE *p = popen(command, "r");
    cr_assert(p, "could not run node");
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    for (size_t n; (n = fread(out + len, 1, cap - len - 1, p)) > 0;) {
        len += n;
        if (len + 1 == cap)
            out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    pclose(p);
    return out;
}

static const cJSON *at(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItem(obj, a);
    return b ? cJSON_GetObjectItem(x, b) : x;
}

Test(agentos, the_runtime_loads_the_pack_and_runs_its_tools)
{
    char *out = run_pack();
    const char *line = strstr(out, MARK);
    cr_assert(line, "no result line; the script printed:\n%.4000s\n(npm packages "
              "missing? run bash scripts/test.sh)", out);
    cJSON *r = cJSON_Parse(line + strlen(MARK));
    cr_assert(r, "unparsable result line");
    cr_assert(cJSON_IsTrue(at(r, "loaded", NULL)), "pack not loaded: %s",
              cJSON_GetStringValue(at(r, "reason", NULL)));

    /* Every tool the library reports, listed by the runtime's registry. */
    const char *names[] = {"edit_image", "generate_image", "transfer_style", "upscale_image",
                           "variate_image"};
    cr_assert_eq(cJSON_GetArraySize(at(r, "tools", NULL)), 5);
    for (int i = 0; i < 5; i++)
        cr_expect_str_eq(cJSON_GetArrayItem(at(r, "tools", NULL), i)->valuestring, names[i]);

    /* generate_image against the emulator, with the agent config's
     * preference and the key given as a pack secret. */
    const cJSON *gen = at(r, "generate", "output");
    cr_assert(cJSON_IsFalse(at(r, "generate", "isError")));
    cr_expect_str_eq(bc_str(gen, "provider"), "openai");
    cr_expect_str_eq(bc_str(at(gen, "routing", NULL), "rule"), "preferred");
    const cJSON *image = cJSON_GetArrayItem(at(gen, "images", NULL), 0);
    struct stat st;
    cr_expect_eq(stat(bc_str(image, "path"), &st), 0, "the image is on disk");
    /* Two requests reached it, both with the key: this generation and the
     * one cancelled below; the invalid call sent none. */
    cJSON *log = emu_request_log(oai_emulator_server(emu));
    cr_assert_eq(cJSON_GetArraySize(log), 2);
    for (int i = 0; i < 2; i++)
        cr_expect_str_eq(bc_str(cJSON_GetArrayItem(log, i), "auth"), "matched");
    cJSON_Delete(log);

    /* upscale_image of that image by id on the local provider. */
    const cJSON *up = at(r, "upscale", "output");
    cr_assert(cJSON_IsFalse(at(r, "upscale", "isError")));
    cr_expect_str_eq(bc_str(up, "provider"), "local");
    cr_expect_eq(at(cJSON_GetArrayItem(at(up, "images", NULL), 0), "width", NULL)->valueint,
                 2048);

    /* A bad call: the library's error, with field and hint, as the details
     * the runtime passes on. */
    cr_expect(cJSON_IsTrue(at(r, "invalid", "isError")));
    const cJSON *details = at(at(r, "invalid", "errorDetails"), "details", NULL);
    cr_expect_str_eq(bc_str(at(details, "error", NULL), "field"), "size");
    cr_expect(strstr(bc_str(at(r, "invalid", "errorDetails"), "message"), "size"));

    /* Aborting the caller's signal cancels the job, and the request. */
    cr_expect(cJSON_IsTrue(at(r, "canceled", "isError")));
    details = at(at(r, "canceled", "errorDetails"), "details", NULL);
    cr_expect_str_eq(bc_str(details, "status"), "canceled");

    /* On demand: extensions_enable image-generation adds the five tools. */
    const cJSON *enabled = at(r, "enable", "output");
    cr_assert(cJSON_IsFalse(at(r, "enable", "isError")), "extensions_enable failed: %s",
              bc_str(at(r, "enable", "errorDetails"), "message"));
    cr_expect(cJSON_IsTrue(at(enabled, "loaded", NULL)));
    cr_expect_eq(cJSON_GetArraySize(at(enabled, "toolsAdded", NULL)), 5);
    const cJSON *up4 = at(r, "enabledUpscale", "output");
    cr_assert(cJSON_IsFalse(at(r, "enabledUpscale", "isError")));
    cr_expect_eq(at(cJSON_GetArrayItem(at(up4, "images", NULL), 0), "width", NULL)->valueint,
                 4096);

    cr_expect_gt(at(r, "progressSeen", NULL)->valueint, 0, "progress was reported");
    cr_expect(cJSON_IsTrue(at(r, "shutdown", NULL)), "deactivated cleanly");
    cr_expect_null(strstr(out, KEY), "the key never appears in the runtime's output");
    cJSON_Delete(r);
    free(out);
}
