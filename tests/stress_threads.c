/*
 * stress_threads.c - many host threads using one instance at once, through
 * the exported ABI of the built module (dlopen + dlsym, as a host does).
 *
 * Not a Criterion suite on purpose: Criterion's runner does not work under
 * ThreadSanitizer, and this program is what the TSan build runs. It mixes
 * synchronous calls (local neural upscales among them), submitted jobs that
 * finish, jobs cancelled while they hang on a never-answering loopback
 * endpoint, polls and tool listings, with callbacks arriving on worker
 * threads. Exit 0 = every result was right.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agentos_ext.h"
#include "support/abi_binding.h"

#define THREADS 6
#define ROUNDS 25

static ta_abi abi;

static atomic_int callbacks, failures;

/* An 8x8 RGB PNG: decoding it exercises libvips from many threads, and
 * upscaling it 4x the embedded provider's network (auto picks neural). */
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
    abi.free(text);
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
        /* decoding, and the local provider's network shared by all threads */
        expect(abi.call(ext, "upscale_image", tiny_png_args),
               "\"model\":\"rdn-psnr-small-x2\"", "local neural");

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
    char load_err[512];
    if (ta_abi_load(argv[1], &abi, load_err, sizeof load_err) != 0) {
        fprintf(stderr, "%s\n", load_err);
        return 2;
    }
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
