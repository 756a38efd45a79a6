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
 * The 4096x4096 case is a Stability fast upscale (4x) of a 1024x1024 image
 * against the Stability emulator: no OpenAI model makes 4096x4096.
 *
 * Usage: bench_call_overhead OPENAI_URL STABILITY_URL [ITERATIONS]
 *        bench_call_overhead OPENAI_URL STABILITY_URL --peak DIR SOURCE  (internal)
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

/* Runs one call of tool and checks its outcome; exits on a wrong one.
 * Returns the result text (caller frees). */
static char *run_call(ig_instance *inst, const char *tool, const char *args, int expect_ok)
{
    int state;
    char *text = ig_tool_call(inst, NULL, tool, args, &state);
    int ok = text && strstr(text, "\"ok\":true") != NULL;
    if (ok != expect_ok) {
        fprintf(stderr, "unexpected result: %.400s\n", text ? text : "(null)");
        exit(1);
    }
    return text;
}

/* A bench case: a tool and its arguments. */
typedef struct bench_case {
    const char *tool;
    const char *args;
} bench_case;

static void call_once(ig_instance *inst, const bench_case *c, int expect_ok)
{
    free(run_call(inst, c->tool, c->args, expect_ok));
}

/* The stored path of the first image of a successful generate call. */
static char *first_image_path(ig_instance *inst, const char *args)
{
    char *text = run_call(inst, "generate_image", args, 1);
    cJSON *r = cJSON_Parse(text);
    const cJSON *img = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "images"), 0);
    char *path = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(img, "path")));
    cJSON_Delete(r);
    free(text);
    return path;
}

typedef struct figure {
    double cpu_ms, wall_ms;
} figure;

static figure measure(ig_instance *inst, const bench_case *c, int expect_ok, int iterations)
{
    call_once(inst, c, expect_ok); /* warm up: connections, caches */
    double c0 = cpu_ms(), w0 = wall_ms();
    for (int i = 0; i < iterations; i++)
        call_once(inst, c, expect_ok);
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
static int peak_mode(const char *dir, const bench_case *c)
{
    ig_instance *inst = open_instance(dir);
    bench_case warm = {"generate_image", "{\"prompt\":\"warm up\",\"size\":\"1024x1024\"}"};
    call_once(inst, &warm, 1);
    long before = max_rss_kb();
    call_once(inst, c, 1);
    printf("%ld\n", max_rss_kb() - before);
    ig_instance_close(inst);
    return 0;
}

/* Runs this program again in --peak mode and reads its answer. */
static long peak_growth_kb(char **argv, const char *dir, const char *source)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' --peak '%s' '%s'", argv[0], argv[1], argv[2],
             dir, source);
    FILE *p = popen(cmd, "r");
    long growth = -1;
    if (!p || fscanf(p, "%ld", &growth) != 1)
        growth = -1;
    if (p)
        pclose(p);
    return growth;
}

/* The 4096x4096 case: a Stability fast upscale (always 4x) of source. */
static bench_case upscale_case(const char *source, char *buf, size_t cap)
{
    snprintf(buf, cap, "{\"image\":\"%s\",\"scale\":4,\"provider\":\"stability\"}",
             source);
    return (bench_case){"upscale_image", buf};
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_call_overhead OPENAI_URL STABILITY_URL [ITERATIONS]\n");
        return 2;
    }
    setenv("OPENAI_API_KEY", "sk-emulator", 1);
    setenv("OPENAI_BASE_URL", argv[1], 1);
    setenv("STABILITY_API_KEY", "sk-stability-emulator", 1);
    setenv("STABILITY_BASE_URL", argv[2], 1);
    char upscale_args[4300];
    if (argc > 5 && !strcmp(argv[3], "--peak")) {
        bench_case up = upscale_case(argv[5], upscale_args, sizeof upscale_args);
        return peak_mode(argv[4], &up);
    }
    int iterations = argc > 3 ? atoi(argv[3]) : 20;
    char dir[] = "/tmp/ig-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    ig_instance *inst = open_instance(dir);

    bench_case refused = {"generate_image", "{\"prompt\":\"a fox\",\"n\":0}"};
    bench_case small = {"generate_image", "{\"prompt\":\"a fox\",\"size\":\"1024x1024\"}"};
    bench_case large = {"generate_image",
                        "{\"prompt\":\"a fox\",\"size\":\"3840x2160\",\"model\":\"gpt-image-2\"}"};
    char *source = first_image_path(inst, small.args);
    bench_case huge = upscale_case(source, upscale_args, sizeof upscale_args);
    int few = iterations / 4 > 0 ? iterations / 4 : 1;
    figure base = measure(inst, &refused, 0, iterations * 10);
    figure f1k = measure(inst, &small, 1, iterations);
    figure f4k = measure(inst, &large, 1, few);
    figure f16 = measure(inst, &huge, 1, few);
    ig_instance_close(inst);

    long growth = peak_growth_kb(argv, dir, source);
    free(source);
    double decoded_kb = 4096.0 * 4096 * 3 / 1024; /* RGB, as the emulator makes it */
    printf("baseline (call refused at validation): %.3f ms CPU/call\n", base.cpu_ms);
    printf("1024x1024 via OpenAI emulator: %.2f ms CPU/call (%.1fx baseline; overhead "
           "%.2f ms), %.1f ms wall\n", f1k.cpu_ms, f1k.cpu_ms / base.cpu_ms,
           f1k.cpu_ms - base.cpu_ms, f1k.wall_ms);
    printf("3840x2160 via OpenAI emulator: %.2f ms CPU/call (%.1fx the 1024x1024 call), "
           "%.1f ms wall\n", f4k.cpu_ms, f4k.cpu_ms / f1k.cpu_ms, f4k.wall_ms);
    printf("4096x4096 via Stability emulator (4x upscale of 1024x1024): %.2f ms CPU/call "
           "(%.1fx the 1024x1024 call), %.1f ms wall\n", f16.cpu_ms, f16.cpu_ms / f1k.cpu_ms,
           f16.wall_ms);
    printf("4096x4096 peak memory above baseline: %ld KiB = %.2fx the decoded image "
           "(%.0f KiB)\n", growth, growth / decoded_kb, decoded_kb);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
