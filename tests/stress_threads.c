/*
 * stress_threads.c - many host threads using one instance at once, through
 * the exported ABI of the built module (dlopen + dlsym, as a host does).
 *
 * Not a Criterion suite on purpose: Criterion's runner does not work under
 * ThreadSanitizer, and this program is what the TSan build runs. It mixes
 * synchronous calls, submitted jobs that finish, jobs cancelled while they
 * hang on a never-answering loopback endpoint, polls and tool listings, with
 * callbacks arriving on worker threads. Exit 0 = every result was right.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agentos_ext.h"

#define THREADS 6
#define ROUNDS 25

static struct {
    uint32_t (*abi_version)(void);
    agentos_ext *(*open)(const char *, agentos_ext_log_fn, agentos_ext_progress_fn,
                         agentos_ext_event_fn, void *, char *, uint32_t);
    char *(*list_tools)(agentos_ext *);
    char *(*call)(agentos_ext *, const char *, const char *);
    int64_t (*submit)(agentos_ext *, const char *, const char *, char *, uint32_t);
    char *(*job_poll)(agentos_ext *, int64_t);
    int32_t (*job_wait)(agentos_ext *, int64_t, uint32_t);
    char *(*job_result)(agentos_ext *, int64_t);
    int32_t (*job_cancel)(agentos_ext *, int64_t);
    void (*free_text)(char *);
    void (*close)(agentos_ext *);
} abi;

static atomic_int callbacks, failures;

/* An 8x8 RGB PNG: decoding it exercises libvips from many threads. */
static const char tiny_png_args[] =
    "{\"image\":\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAbElEQVR4nA3JQQEAMAgDMZSgpEqqhOepQAlKqmjLN1VFFypcTLHFFSmqmm7UuJlmm2vSP0QLCYsRK05EP0wbGZsxa87EP4YeNHiYYYcbMj+WXrR4mWWXW7I/jj50+JhjjztyP0IHBYcJGy4kPLAsVIExyOP/AAAAAElFTkSuQmCC\",\"scale\":4}";
static char hang_url[128];

static void on_log(void *ud, int32_t level, const char *msg)
{
    (void)ud, (void)level, (void)msg;
    atomic_fetch_add(&callbacks, 1);
}

static void on_json(void *ud, const char *json)
{
    (void)ud;
    atomic_fetch_add(&callbacks, json[0] == '{');
}

/* Counts a failure unless text contains want; frees text. */
static void expect(char *text, const char *want, const char *what)
{
    if (!text || !strstr(text, want)) {
        fprintf(stderr, "%s: expected %s in %s\n", what, want, text ? text : "(null)");
        atomic_fetch_add(&failures, 1);
    }
    abi.free_text(text);
}

static void *worker(void *arg)
{
    agentos_ext *ext = arg;
    char args[256];
    snprintf(args, sizeof args, "{\"image\":\"%s\"}", hang_url);
    for (int i = 0; i < ROUNDS; i++) {
        expect(abi.call(ext, "generate_image", "{\"prompt\":\"a\",\"n\":0}"), "\"field\":\"n\"",
               "sync invalid");
        expect(abi.call(ext, "generate_image", "{\"prompt\":\"a\"}"), "no_provider_configured",
               "sync valid");
        expect(abi.list_tools(ext), "transfer_style", "list");
        expect(abi.call(ext, "upscale_image", tiny_png_args), "\"width\":8", "decode");

        int64_t done = abi.submit(ext, "variate_image", "{\"image\":\"/no/such.png\"}", NULL, 0);
        int64_t hung = abi.submit(ext, "upscale_image", args, NULL, 0);
        if (done <= 0 || hung <= 0) {
            atomic_fetch_add(&failures, 1);
            continue;
        }
        expect(abi.job_poll(ext, hung), "\"jobId\"", "poll");
        if (abi.job_cancel(ext, hung) != AGENTOS_EXT_OK)
            atomic_fetch_add(&failures, 1);
        if (abi.job_wait(ext, done, 60000) != AGENTOS_EXT_JOB_FAILED ||
            abi.job_wait(ext, hung, 60000) != AGENTOS_EXT_JOB_CANCELED)
            atomic_fetch_add(&failures, 1);
        expect(abi.job_result(ext, done), "image_not_found", "job result");
        expect(abi.job_result(ext, hung), "\"canceled\"", "cancelled result");
    }
    return NULL;
}

/* Resolves every ABI function from the module; exits on a missing one. */
static void bind_abi(const char *path)
{
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        exit(2);
    }
#define BIND(field, name)                                                      \
    if (!(*(void **)&abi.field = dlsym(lib, name))) {                          \
        fprintf(stderr, "missing %s\n", name);                                 \
        exit(2);                                                               \
    }
    BIND(abi_version, "agentos_ext_abi_version");
    BIND(open, "agentos_ext_open");
    BIND(list_tools, "agentos_ext_list_tools");
    BIND(call, "agentos_ext_call");
    BIND(submit, "agentos_ext_submit");
    BIND(job_poll, "agentos_ext_job_poll");
    BIND(job_wait, "agentos_ext_job_wait");
    BIND(job_result, "agentos_ext_job_result");
    BIND(job_cancel, "agentos_ext_job_cancel");
    BIND(free_text, "agentos_ext_free");
    BIND(close, "agentos_ext_close");
#undef BIND
}

/* A loopback listener that never answers (see tests/support/test_util.h). */
static int listen_forever(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) ||
        listen(fd, 256) || getsockname(fd, (struct sockaddr *)&addr, &len)) {
        perror("listen");
        exit(2);
    }
    snprintf(hang_url, sizeof hang_url, "http://127.0.0.1:%d/slow.png", ntohs(addr.sin_port));
    return fd;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: stress_threads MODULE.so\n");
        return 2;
    }
    bind_abi(argv[1]);
    if (abi.abi_version() != AGENTOS_EXT_ABI_VERSION)
        return 2;
    int listener = listen_forever();
    char err[512] = "";
    agentos_ext *ext = abi.open("{\"imageGeneration\":{\"allowPrivateUrls\":true,"
                                "\"maxConcurrentJobs\":3,\"maxQueuedJobs\":1000}}",
                                on_log, on_json, on_json, NULL, err, sizeof err);
    if (!ext) {
        fprintf(stderr, "open: %s\n", err);
        return 2;
    }
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, worker, ext);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    abi.close(ext);
    close(listener);
    int failed = atomic_load(&failures);
    printf("stress_threads: %d threads x %d rounds, %d wrong results, %d callbacks\n",
           THREADS, ROUNDS, failed, atomic_load(&callbacks));
    if (atomic_load(&callbacks) == 0) {
        fprintf(stderr, "no callback ever arrived\n");
        return 1;
    }
    return failed ? 1 : 0;
}
