/*
 * test_host_cli.c - the reference host agentos-ext, run as a process
 * (posix_spawn) against the staged extension, with stdout, stderr and the
 * exit status captured. Provider keys are removed from its environment and
 * its image directory is a fresh temp dir.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/test_util.h"

extern char **environ;

#define CLI IG_TEST_BINARY_DIR "/agentos-ext"
#define EXT_DIR IG_TEST_BINARY_DIR "/extensions"
#define SO_PATH IG_TEST_STAGE_DIR "/libimage-generation.so"
#define STAGED_MANIFEST IG_TEST_STAGE_DIR "/image-generation.ext.json"

static char *tmp_dir;   /* image dir and scratch space */

static void setup(void)
{
    tmp_dir = tu_make_temp_dir("ig-cli");
}

static void teardown(void)
{
    tu_remove_tree(tmp_dir);
    free(tmp_dir);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 120);

/* ---- running the CLI ---- */

typedef struct run {
    pid_t pid;
    int in_fd, out_fd, err_fd;
    int status; /* exit status, or 128 + signal */
    char *out, *err;
} run;

static int is_dropped(const char *entry)
{
    static const char *const drop[] = {
        "OPENAI_", "STABILITY_", "BFL_", "FAL_", "REPLICATE_", "OPENROUTER_",
        "STABLE_DIFFUSION_LOCAL_", "AGENTOS_EXTENSIONS_PATH=", "AGENTOS_IMAGE_DIR="};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        if (!strncmp(entry, drop[i], strlen(drop[i])))
            return 1;
    return 0;
}

/* The parent's environment minus provider settings, plus our two vars
 * (ext_path NULL = leave AGENTOS_EXTENSIONS_PATH unset). */
static char **child_env(const char *ext_path)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 3, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_dropped(environ[i]))
            env[k++] = strdup(environ[i]);
    if (ext_path)
        cr_assert(asprintf(&env[k++], "AGENTOS_EXTENSIONS_PATH=%s", ext_path) > 0);
    cr_assert(asprintf(&env[k++], "AGENTOS_IMAGE_DIR=%s", tmp_dir) > 0);
    return env;
}

static void free_env(char **env)
{
    for (size_t i = 0; env[i]; i++)
        free(env[i]);
    free(env);
}

/* Starts agentos-ext with args (NULL-terminated, without argv[0]). */
static run start(const char *const *args, const char *ext_path)
{
    const char *argv[32] = {CLI};
    size_t argc = 1;
    for (; args[argc - 1]; argc++) {
        cr_assert_lt(argc, 31u);
        argv[argc] = args[argc - 1];
    }
    argv[argc] = NULL;
    int in[2], out[2], err[2];
    cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
              pipe2(err, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    char **env = child_env(ext_path);
    run r = {.in_fd = in[1], .out_fd = out[0], .err_fd = err[0], .status = -1};
    int rc = posix_spawn(&r.pid, CLI, &fa, NULL, (char *const *)argv, env);
    cr_assert_eq(rc, 0, "posix_spawn %s: %s", CLI, strerror(rc));
    posix_spawn_file_actions_destroy(&fa);
    free_env(env);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    return r;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
    *buf = realloc(*buf, *len + n + 1);
    cr_assert(*buf != NULL);
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* Feeds stdin_text (may be NULL), collects both outputs, reaps the child. */
static void finish(run *r, const char *stdin_text)
{
    if (stdin_text) {
        size_t left = strlen(stdin_text);
        while (left) {
            ssize_t n = write(r->in_fd, stdin_text, left);
            if (n <= 0)
                break;
            stdin_text += n;
            left -= (size_t)n;
        }
    }
    close(r->in_fd);
    size_t out_len = 0, err_len = 0;
    r->out = strdup("");
    r->err = strdup("");
    struct pollfd fds[2] = {{.fd = r->out_fd, .events = POLLIN},
                            {.fd = r->err_fd, .events = POLLIN}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            cr_assert_eq(errno, EINTR);
            continue;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char chunk[4096];
            ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
            if (n > 0) {
                if (i == 0)
                    append(&r->out, &out_len, chunk, (size_t)n);
                else
                    append(&r->err, &err_len, chunk, (size_t)n);
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    int status = 0;
    cr_assert_eq(waitpid(r->pid, &status, 0), r->pid);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void run_free(run *r)
{
    free(r->out);
    free(r->err);
}

/* Runs to completion. */
static run cli_in(const char *ext_path, const char *stdin_text, const char *const *args)
{
    run r = start(args, ext_path);
    finish(&r, stdin_text);
    return r;
}

#define CLI_RUN(...) cli_in(EXT_DIR, NULL, (const char *const[]){__VA_ARGS__, NULL})

/* stdout parsed as the result envelope of `call`. */
static cJSON *envelope(const run *r)
{
    cJSON *doc = cJSON_Parse(r->out);
    cr_assert(cJSON_IsObject(doc), "stdout is not a JSON object: [%s] stderr: [%s]",
              r->out, r->err);
    return doc;
}

static const char *error_field(const cJSON *doc, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "error"), key));
}

/* Writes a modified copy of the staged manifest into dir/image-generation.ext.json
 * whose library is the staged module by absolute path. */
static void write_manifest(const char *dir, void (*edit)(cJSON *manifest))
{
    char *text = tu_read_file(STAGED_MANIFEST, NULL);
    cr_assert(text != NULL);
    cJSON *m = cJSON_Parse(text);
    free(text);
    cr_assert(m != NULL);
    cJSON *abi = cJSON_GetObjectItemCaseSensitive(m, "abi");
    cJSON_ReplaceItemInObjectCaseSensitive(abi, "library", cJSON_CreateString(SO_PATH));
    edit(m);
    char *out = cJSON_Print(m);
    char path[4096];
    snprintf(path, sizeof path, "%s/image-generation.ext.json", dir);
    cr_assert_eq(tu_write_file(path, out, strlen(out)), 0);
    free(out);
    cJSON_Delete(m);
}

static char *scratch_dir(const char *name)
{
    char *dir = NULL;
    cr_assert(asprintf(&dir, "%s/%s", tmp_dir, name) > 0);
    cr_assert(mkdir(dir, 0700) == 0);
    return dir;
}


static char *write_config(const char *json)
{
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/agent.config.json", tmp_dir) > 0);
    cr_assert_eq(tu_write_file(path, json, strlen(json)), 0);
    return path;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const tool_names[] = {"generate_image", "edit_image", "upscale_image",
                                         "variate_image", "transfer_style"};

/* ---- commands ---- */

Test(cli, enable_lists_the_five_tools)
{
    run r = CLI_RUN("enable", "image-generation");
    cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
    cr_expect(!strncmp(r.out, "Enabled image-generation ", 25), "first line: %s", r.out);
    cr_expect(strstr(r.out, "(ABI 1): 5 tools\n") != NULL, "header: %s", r.out);
    for (size_t i = 0; i < 5; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\n  %s ", tool_names[i]);
        cr_expect(strstr(r.out, needle) != NULL, "%s missing from: %s", tool_names[i], r.out);
    }
    int lines = 0;
    for (const char *c = r.out; *c; c++)
        lines += *c == '\n';
    cr_expect_eq(lines, 6, "expected a header and 5 tool lines: %s", r.out);
    cr_expect(strchr(r.err, '\r') == NULL, "progress drawn on a non-terminal");
    run_free(&r);
}

Test(cli, enable_with_a_config_file)
{
    char *config = write_config("{\"someHostKey\":1,\"imageGeneration\":{\"maxConcurrentJobs\":2}}");
    run r = CLI_RUN("enable", "image-generation", "--config", config);
    cr_expect_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
    run_free(&r);
    free(config);
}

Test(cli, tools_json_prints_the_array)
{
    run r = CLI_RUN("tools", "--json");
    cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
    cJSON *tools = cJSON_Parse(r.out);
    cr_assert(cJSON_IsArray(tools), "not an array: %s", r.out);
    cr_assert_eq(cJSON_GetArraySize(tools), 5);
    for (int i = 0; i < 5; i++) {
        const cJSON *tool = cJSON_GetArrayItem(tools, i);
        cr_expect(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(tool, "inputSchema")));
    }
    cJSON_Delete(tools);
    run_free(&r);
}

Test(cli, tools_text_names_the_extension_explicitly)
{
    run r = CLI_RUN("tools", "image-generation");
    cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
    cr_expect(strstr(r.out, "  generate_image  - ") != NULL, "%s", r.out);
    run_free(&r);
}

Test(cli, info_shows_manifest_library_and_info_json)
{
    run r = CLI_RUN("info");
    cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
    cr_expect(strstr(r.out, "image-generation.ext.json") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "libimage-generation.so") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "\"abiVersion\"") != NULL, "%s", r.out);
    run_free(&r);
}

Test(cli, help_goes_to_stdout)
{
    run r = CLI_RUN("--help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "Usage:") != NULL);
    cr_expect_str_eq(r.err, "");
    run_free(&r);
}

/* ---- call ---- */

Test(cli, call_with_an_invalid_argument_exits_1)
{
    run r = CLI_RUN("call", "generate_image", "{\"prompt\":\"a cat\",\"n\":99}");
    cr_expect_eq(r.status, 1, "exit %d, stderr: %s", r.status, r.err);
    cJSON *doc = envelope(&r);
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "ok")));
    cr_expect_str_eq(error_field(doc, "field"), "n");
    cJSON_Delete(doc);
    run_free(&r);
}

Test(cli, call_with_text_that_is_not_json_exits_1)
{
    run r = CLI_RUN("call", "generate_image", "not json");
    cr_expect_eq(r.status, 1, "exit %d, stderr: %s", r.status, r.err);
    cJSON *doc = envelope(&r);
    cr_expect_str_eq(error_field(doc, "code"), "invalid_json");
    cJSON_Delete(doc);
    run_free(&r);
}

Test(cli, call_reads_arguments_from_stdin)
{
    run r = cli_in(EXT_DIR, "{\"prompt\":\"a cat\",\"n\":99}",
                   (const char *const[]){"call", "generate_image", "-", NULL});
    cr_expect_eq(r.status, 1, "exit %d, stderr: %s", r.status, r.err);
    cJSON *doc = envelope(&r);
    cr_expect_str_eq(error_field(doc, "field"), "n");
    cJSON_Delete(doc);
    run_free(&r);
}

Test(cli, call_without_providers_exits_1)
{
    run r = CLI_RUN("call", "generate_image", "{\"prompt\":\"a cat\"}");
    cr_expect_eq(r.status, 1, "exit %d, stderr: %s", r.status, r.err);
    cJSON *doc = envelope(&r);
    cr_expect_str_eq(error_field(doc, "code"), "no_provider_configured");
    cJSON_Delete(doc);
    run_free(&r);
}

Test(cli, call_unknown_tool_exits_1)
{
    run r = CLI_RUN("call", "no_such_tool", "{}", "--extension", "image-generation");
    cr_expect_eq(r.status, 1, "exit %d, stderr: %s", r.status, r.err);
    cJSON *doc = envelope(&r);
    cr_expect_str_eq(error_field(doc, "code"), "unknown_tool");
    cJSON_Delete(doc);
    run_free(&r);
}

Test(cli, call_timeout_cancels_the_job)
{
    int port = 0;
    int listener = tu_hang_endpoint(&port);
    char *config = write_config("{\"imageGeneration\":{\"allowPrivateUrls\":true,"
                                "\"fetchTimeoutMs\":60000}}");
    char args[128];
    snprintf(args, sizeof args, "{\"image\":\"http://127.0.0.1:%d/x.png\"}", port);
    double t0 = now_s();
    run r = CLI_RUN("call", "upscale_image", args, "--config", config, "--timeout", "1");
    double took = now_s() - t0;
    cr_expect_eq(r.status, 1, "exit %d, stderr: %s", r.status, r.err);
    cr_expect(took < 15, "took %.1f s", took);
    cJSON *doc = envelope(&r);
    cr_expect_str_eq(error_field(doc, "code"), "canceled");
    cJSON_Delete(doc);
    cr_expect(strstr(r.err, "timed out") != NULL, "stderr: %s", r.err);
    run_free(&r);
    free(config);
    close(listener);
}

Test(cli, sigint_cancels_the_job)
{
    int port = 0;
    int listener = tu_hang_endpoint(&port);
    char *config = write_config("{\"imageGeneration\":{\"allowPrivateUrls\":true,"
                                "\"fetchTimeoutMs\":60000}}");
    char args[128];
    snprintf(args, sizeof args, "{\"image\":\"http://127.0.0.1:%d/x.png\"}", port);
    run r = start((const char *const[]){"call", "upscale_image", args, "--config",
                                        config, NULL},
                  EXT_DIR);
    /* Wait until the job holds a connection to the endpoint. */
    int conn = -1;
    for (int i = 0; i < 200 && conn < 0; i++) {
        struct pollfd p = {.fd = listener, .events = POLLIN};
        if (poll(&p, 1, 50) == 1)
            conn = accept(listener, NULL, NULL);
    }
    cr_assert(conn >= 0, "the job never connected");
    usleep(100000);
    cr_assert_eq(kill(r.pid, SIGINT), 0);
    finish(&r, NULL);
    cr_expect_eq(r.status, 1, "exit %d, stderr: %s", r.status, r.err);
    cJSON *doc = envelope(&r);
    cr_expect_str_eq(error_field(doc, "code"), "canceled");
    cJSON_Delete(doc);
    cr_expect(strstr(r.err, "interrupted") != NULL, "stderr: %s", r.err);
    run_free(&r);
    free(config);
    close(conn);
    close(listener);
}

/* ---- usage errors: exit 2 ---- */

Test(cli, unknown_command_exits_2)
{
    run r = CLI_RUN("frobnicate");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "unknown command") != NULL, "%s", r.err);
    cr_expect(strstr(r.err, "Usage:") != NULL);
    cr_expect_str_eq(r.out, "");
    run_free(&r);
}

Test(cli, missing_arguments_and_bad_options_exit_2)
{
    const char *const *cases[] = {
        (const char *const[]){NULL},
        (const char *const[]){"enable", NULL},
        (const char *const[]){"call", "generate_image", NULL},
        (const char *const[]){"tools", "--bogus", NULL},
        (const char *const[]){"tools", "--config", NULL},
        (const char *const[]){"info", "--json", NULL},
        (const char *const[]){"call", "generate_image", "{}", "--timeout", "soon", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run r = cli_in(EXT_DIR, NULL, cases[i]);
        cr_expect_eq(r.status, 2, "case %zu: exit %d", i, r.status);
        cr_expect(strstr(r.err, "Usage:") != NULL, "case %zu: %s", i, r.err);
        run_free(&r);
    }
}

Test(cli, unknown_extension_exits_2)
{
    run r = CLI_RUN("enable", "no-such-extension");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "no-such-extension") != NULL, "%s", r.err);
    cr_expect(strstr(r.err, "not found") != NULL, "%s", r.err);
    run_free(&r);
}

Test(cli, unreadable_config_exits_2)
{
    run r = CLI_RUN("enable", "image-generation", "--config", "/nonexistent/agent.config.json");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "/nonexistent/agent.config.json") != NULL, "%s", r.err);
    run_free(&r);
}

Test(cli, refused_config_exits_2_naming_the_key)
{
    char *config = write_config("{\"imageGeneration\":{\"imageDirr\":\"x\"}}");
    run r = CLI_RUN("enable", "image-generation", "--config", config);
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "imageDirr") != NULL, "%s", r.err);
    run_free(&r);
    free(config);
}

static void set_abi_99(cJSON *m)
{
    cJSON *abi = cJSON_GetObjectItemCaseSensitive(m, "abi");
    cJSON_ReplaceItemInObjectCaseSensitive(abi, "version", cJSON_CreateNumber(99));
}

Test(cli, abi_version_mismatch_exits_2)
{
    char *dir = scratch_dir("abi99");
    write_manifest(dir, set_abi_99);
    run r = cli_in(dir, NULL, (const char *const[]){"enable", "image-generation", NULL});
    cr_expect_eq(r.status, 2, "exit %d", r.status);
    cr_expect(strstr(r.err, "mismatch") != NULL, "%s", r.err);
    cr_expect(strstr(r.err, "99") != NULL, "%s", r.err);
    cr_expect_str_eq(r.out, "");
    run_free(&r);
    free(dir);
}

static void add_missing_symbol(cJSON *m)
{
    cJSON *symbols = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "abi"),
                                                      "symbols");
    cJSON *sym = cJSON_CreateObject();
    cJSON_AddStringToObject(sym, "name", "agentos_ext_not_there");
    cJSON_AddStringToObject(sym, "returns", "void");
    cJSON_AddItemToObject(sym, "params", cJSON_CreateArray());
    cJSON_AddItemToArray(symbols, sym);
}

Test(cli, missing_declared_symbol_exits_2)
{
    char *dir = scratch_dir("missing");
    write_manifest(dir, add_missing_symbol);
    run r = cli_in(dir, NULL, (const char *const[]){"tools", NULL});
    cr_expect_eq(r.status, 2, "exit %d", r.status);
    cr_expect(strstr(r.err, "agentos_ext_not_there") != NULL, "%s", r.err);
    run_free(&r);
    free(dir);
}

static void add_unknown_type(cJSON *m)
{
    cJSON *sym = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                        cJSON_GetObjectItemCaseSensitive(m, "abi"), "symbols"),
                                    2);
    cJSON *param = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(sym, "params"), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(param, "type", cJSON_CreateString("wide_string"));
}

Test(cli, unknown_type_in_manifest_exits_2)
{
    char *dir = scratch_dir("badtype");
    write_manifest(dir, add_unknown_type);
    run r = cli_in(dir, NULL, (const char *const[]){"info", NULL});
    cr_expect_eq(r.status, 2, "exit %d", r.status);
    cr_expect(strstr(r.err, "agentos_ext_open") != NULL, "%s", r.err);
    cr_expect(strstr(r.err, "config_json") != NULL, "%s", r.err);
    cr_expect(strstr(r.err, "wide_string") != NULL, "%s", r.err);
    run_free(&r);
    free(dir);
}

static void change_wait_signature(cJSON *m)
{
    const cJSON *sym;
    cJSON_ArrayForEach(sym, cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(m, "abi"), "symbols"))
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sym, "name")),
                   "agentos_ext_job_wait") != 0)
            continue;
        cJSON *param = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(sym, "params"), 2);
        cJSON_ReplaceItemInObjectCaseSensitive(param, "type", cJSON_CreateString("int64"));
    }
}

Test(cli, signature_the_host_cannot_call_exits_2)
{
    char *dir = scratch_dir("badsig");
    write_manifest(dir, change_wait_signature);
    run r = cli_in(dir, NULL, (const char *const[]){"tools", NULL});
    cr_expect_eq(r.status, 2, "exit %d", r.status);
    cr_expect(strstr(r.err, "agentos_ext_job_wait") != NULL, "%s", r.err);
    run_free(&r);
    free(dir);
}

static void no_change(cJSON *m)
{
    (void)m;
}

/* ---- search path ---- */

Test(cli, search_path_flat_layout_after_a_missing_dir)
{
    char *dir = scratch_dir("flat");
    write_manifest(dir, no_change);
    char path[4096];
    snprintf(path, sizeof path, "/nonexistent-dir::%s", dir);
    run r = cli_in(path, NULL, (const char *const[]){"info", NULL});
    cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    char *real = realpath(dir, NULL);
    cr_assert(real != NULL);
    cr_expect(strstr(r.out, real) != NULL, "not the flat copy %s: %s", real, r.out);
    free(real);
    run_free(&r);
    free(dir);
}

Test(cli, found_beside_the_binary_without_the_env_var)
{
    run r = cli_in(NULL, NULL, (const char *const[]){"info", NULL});
    cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    char *real = realpath(EXT_DIR "/image-generation", NULL);
    cr_assert(real != NULL);
    cr_expect(strstr(r.out, real) != NULL, "not beside the binary (%s): %s", real, r.out);
    free(real);
    run_free(&r);
}

Test(cli, manifest_path_as_name)
{
    run r = CLI_RUN("info", STAGED_MANIFEST);
    cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    run_free(&r);
}
