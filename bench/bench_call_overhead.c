/*
 * bench_call_overhead.c - what one provider call costs inside the extension.
 *
 * Run by bench/run.sh against the OpenAI emulator in a *separate process*,
 * so the CPU measured here is the extension's own: argument checks, request
 * building, HTTP, streaming base64 into the store, hashing and image checks.
 * Figures are reported against a baseline measured in the same run (a call
 * refused at validation: the whole envelope path, no provider), never as
 * absolute pass/fail numbers. Peak memory for the largest image is measured
 * in a fresh process (this program in --peak mode) so earlier work does not
 * mask it.
 *
 * Usage: bench_call_overhead BASE_URL [ITERATIONS]
 *        bench_call_overhead BASE_URL --peak DIR   (internal)
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/instance.h"
#include "tools/tool_call.h"

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Runs one call and checks its outcome; exits on a wrong one. */
static void call_once(ig_instance *inst, const char *args, int expect_ok)
{
    int state;
    char *text = ig_tool_call(inst, NULL, "generate_image", args, &state);
    int ok = text && strstr(text, "\"ok\":true") != NULL;
    if (ok != expect_ok) {
        fprintf(stderr, "unexpected result: %.400s\n", text ? text : "(null)");
        exit(1);
    }
    free(text);
}

typedef struct figure {
    double cpu_ms, wall_ms;
} figure;

static figure measure(ig_instance *inst, const char *args, int expect_ok, int iterations)
{
    call_once(inst, args, expect_ok); /* warm up: connections, caches */
    double c0 = cpu_ms(), w0 = wall_ms();
    for (int i = 0; i < iterations; i++)
        call_once(inst, args, expect_ok);
    return (figure){(cpu_ms() - c0) / iterations, (wall_ms() - w0) / iterations};
}

static ig_instance *open_instance(const char *dir)
{
    char config[512];
    snprintf(config, sizeof config, "{\"imageGeneration\":{\"imageDir\":\"%s\"}}", dir);
    ig_error err;
    ig_error_clear(&err);
    ig_instance *inst = ig_instance_open(config, NULL, NULL, NULL, NULL, &err);
    if (!inst) {
        fprintf(stderr, "open: %s\n", err.message);
        exit(1);
    }
    return inst;
}

/* --peak mode: one large call in a fresh process, printing the growth of
 * peak memory it caused. (A fork would inherit libvips/curl threads' locks.) */
static int peak_mode(const char *dir, const char *args)
{
    ig_instance *inst = open_instance(dir);
    call_once(inst, "{\"prompt\":\"warm up\",\"size\":\"1024x1024\"}", 1);
    long before = max_rss_kb();
    call_once(inst, args, 1);
    printf("%ld\n", max_rss_kb() - before);
    ig_instance_close(inst);
    return 0;
}

/* Runs this program again in --peak mode and reads its answer. */
static long peak_growth_kb(const char *self, const char *url, const char *dir)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s' --peak '%s'", self, url, dir);
    FILE *p = popen(cmd, "r");
    long growth = -1;
    if (!p || fscanf(p, "%ld", &growth) != 1)
        growth = -1;
    if (p)
        pclose(p);
    return growth;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_call_overhead BASE_URL [ITERATIONS]\n");
        return 2;
    }
    setenv("OPENAI_API_KEY", "sk-emulator", 1);
    setenv("OPENAI_BASE_URL", argv[1], 1);
    const char *small = "{\"prompt\":\"a fox\",\"size\":\"1024x1024\"}";
    const char *large = "{\"prompt\":\"a fox\",\"size\":\"3840x2160\",\"model\":\"gpt-image-2\"}";
    if (argc > 3 && !strcmp(argv[2], "--peak"))
        return peak_mode(argv[3], large);
    int iterations = argc > 2 ? atoi(argv[2]) : 20;
    char dir[] = "/tmp/ig-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    ig_instance *inst = open_instance(dir);

    figure base = measure(inst, "{\"prompt\":\"a fox\",\"n\":0}", 0, iterations * 10);
    figure f1k = measure(inst, small, 1, iterations);
    figure f4k = measure(inst, large, 1, iterations / 4 > 0 ? iterations / 4 : 1);
    ig_instance_close(inst);

    long growth = peak_growth_kb(argv[0], argv[1], dir);
    double decoded_kb = 3840.0 * 2160 * 3 / 1024; /* RGB, as the emulator makes it */
    printf("baseline (call refused at validation): %.3f ms CPU/call\n", base.cpu_ms);
    printf("1024x1024 via OpenAI emulator: %.2f ms CPU/call (%.1fx baseline; overhead "
           "%.2f ms), %.1f ms wall\n", f1k.cpu_ms, f1k.cpu_ms / base.cpu_ms,
           f1k.cpu_ms - base.cpu_ms, f1k.wall_ms);
    printf("3840x2160 via OpenAI emulator: %.2f ms CPU/call (%.1fx the 1024x1024 call), "
           "%.1f ms wall\n", f4k.cpu_ms, f4k.cpu_ms / f1k.cpu_ms, f4k.wall_ms);
    printf("3840x2160 peak memory above baseline: %ld KiB = %.2fx the decoded image "
           "(%.0f KiB)\n", growth, growth / decoded_kb, decoded_kb);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
