/*
 * bench_fallback.c - how long the fallback layer takes to move a call on.
 *
 * Against the OpenAI and Stability emulators (separate processes, started
 * by bench/run.sh): OpenAI is preferred and refuses the key (auth, which
 * falls back at once with no backoff due; its cooldown is set to 0 so every
 * call sees it), so each call fails there and succeeds at Stability. From
 * the result's attempts, the gap is the time between the end of the failed
 * attempt and the start of the next one. The baseline in the same run is
 * the successful Stability attempt itself.
 *
 * Usage: bench_fallback OPENAI_URL STABILITY_URL [CALLS]
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/instance.h"
#include "tools/tool_call.h"

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double number(const cJSON *attempt, const char *key)
{
    return cJSON_GetObjectItem(attempt, key)->valuedouble;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OPENAI_URL STABILITY_URL [CALLS]\n", argv[0]);
        return 2;
    }
    int calls = argc > 3 ? atoi(argv[3]) : 50;
    char dir[] = "/tmp/ig-bench-fallback-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char config[2048];
    snprintf(config, sizeof config,
             "{\"imageGeneration\":{\"imageDir\":\"%s\",\"routing\":{\"cooldownSeconds\":"
             "{\"auth\":0}},\"providers\":{\"openai\":{\"apiKey\":\"sk-wrong-0000000000000000\","
             "\"baseUrl\":\"%s\"},\"stability\":{\"apiKey\":\"sk-stability-emulator\",\"baseUrl\":\"%s\"}}},"
             "\"providerPreferences\":{\"image\":{\"preferred\":[\"openai\",\"stability\"]}}}",
             dir, argv[1], argv[2]);
    ig_error err;
    ig_error_clear(&err);
    ig_instance *inst = ig_instance_open(config, NULL, NULL, NULL, NULL, &err);
    if (!inst) {
        fprintf(stderr, "open failed: %s\n", err.message);
        return 1;
    }
    double *gaps = calloc((size_t)calls, sizeof *gaps), *base = calloc((size_t)calls, sizeof *base);
    for (int i = 0; i < calls; i++) {
        int state;
        char *text = ig_tool_call(inst, NULL, "generate_image",
                                  "{\"prompt\":\"a red fox\"}", &state);
        cJSON *r = cJSON_Parse(text);
        const cJSON *attempts = cJSON_GetObjectItem(r, "attempts");
        const cJSON *failed = cJSON_GetArrayItem(attempts, 0), *next = cJSON_GetArrayItem(attempts, 1);
        if (!cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")) || !next) {
            fprintf(stderr, "unexpected result: %.400s\n", text);
            return 1;
        }
        gaps[i] = number(next, "offsetMs") - (number(failed, "offsetMs") + number(failed, "ms"));
        base[i] = number(next, "ms");
        cJSON_Delete(r);
        free(text);
    }
    qsort(gaps, (size_t)calls, sizeof *gaps, by_value);
    qsort(base, (size_t)calls, sizeof *base, by_value);
    double median = gaps[calls / 2], worst = gaps[calls - 1], base_median = base[calls / 2];
    printf("fallback after an auth failure (%d calls)\n", calls);
    printf("  failure -> next attempt: median %.2f ms, max %.2f ms (goal < 5 ms)\n", median, worst);
    printf("  baseline, the next provider's own attempt (request building, HTTP, storing): median %.2f ms (gap = %.4fx of it)\n",
           base_median, median / base_median);
    ig_instance_close(inst);
    free(gaps);
    free(base);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
