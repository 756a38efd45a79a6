/*
 * test_rdn.c - the C engine reproduces the RDN model as TensorFlow.js runs
 * it (reference outputs made by tests/reference/rdn_reference.mjs in a
 * ctest fixture), tiling changes at most one level in a few pixels, cancel
 * and progress behave, concurrent runs agree byte for byte, and damaged
 * weights or a different graph are refused with a reason.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "image/image_pixels.h"
#include "image/image_probe.h"
#include "providers/local/rdn.h"
#include "support/test_util.h"

static ig_rdn *net;

static void load(void)
{
    char why[256];
    net = ig_rdn_load(IG_TEST_WEIGHTS_FILE, why, sizeof why);
    cr_assert(net, "%s", why);
}

static void unload(void)
{
    ig_rdn_free(net);
}

TestSuite(rdn, .init = load, .fini = unload, .timeout = 240);

static float *read_floats(const char *name, size_t count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", IG_TEST_REFERENCE_DIR, name);
    size_t size = 0;
    char *data = tu_read_file(path, &size);
    cr_assert(data, "%s missing: the rdn_reference fixture did not run", path);
    cr_assert_eq(size, count * sizeof(float), "%s has %zu bytes", path, size);
    return (float *)data;
}

/* TF.js sums in another order: the outputs (0..1) agree to float rounding. */
Test(rdn, forward_matches_tensorflow_js)
{
    const int w = 37, h = 29;
    float *in = read_floats("input.f32", (size_t)w * h * 3);
    float *ref = read_floats("output.f32", (size_t)w * h * 12);
    float *out = malloc(sizeof(float) * w * h * 12);
    cr_assert_eq(ig_rdn_forward(net, in, w, h, out), IG_RDN_OK);
    double worst = 0;
    for (int i = 0; i < w * h * 12; i++)
        worst = fmax(worst, fabs(out[i] - ref[i]));
    cr_log_info("max abs difference from TF.js: %g", worst);
    cr_expect_lt(worst, 1e-4, "max abs difference %g", worst);
    free(in);
    free(ref);
    free(out);
}

/* A 150x97 crop of a real photo (public domain, data/samples). */
static uint8_t *photo_crop(int w, int h)
{
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_vips_ensure_init(&err), 0);
    size_t size;
    char *bytes = tu_read_file(IG_TEST_SOURCE_DIR "/data/samples/astronaut.png", &size);
    cr_assert(bytes, "data/samples/astronaut.png missing: run scripts/setup.sh");
    ig_pixels px;
    cr_assert_eq(ig_pixels_decode((unsigned char *)bytes, size, &px, &err), 0);
    uint8_t *crop = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        memcpy(crop + (size_t)y * w * 3, px.data + ((size_t)(y + 200) * px.width + 200) * 3,
               (size_t)w * 3);
    ig_pixels_clear(&px);
    free(bytes);
    return crop;
}

/* Tiles overlap by IG_RDN_HALO pixels, less than the network's full reach
 * (about 38 input pixels) but past where it matters: every pixel stays
 * within one level of the untiled result, and very few differ at all. */
Test(rdn, tiles_agree_with_the_whole_image)
{
    const int w = 150, h = 97;
    uint8_t *in = photo_crop(w, h);
    uint8_t *whole = malloc((size_t)w * h * 12), *tiled = malloc((size_t)w * h * 12);
    ig_rdn_run one = {.tile = 1000}, many = {.tile = 40}; /* 4 x 3 tiles */
    cr_assert_eq(ig_rdn_upscale2x(net, in, w, h, whole, &one), IG_RDN_OK);
    cr_assert_eq(ig_rdn_upscale2x(net, in, w, h, tiled, &many), IG_RDN_OK);
    int worst = 0, differing = 0;
    for (int i = 0; i < w * h * 12; i++) {
        int d = abs(whole[i] - tiled[i]);
        worst = d > worst ? d : worst;
        differing += d > 0;
    }
    cr_log_info("tiled vs whole: max %d, %d of %d values differ", worst, differing, w * h * 12);
    cr_expect_leq(worst, 1);
    cr_expect_lt(differing, w * h * 12 / 200, "%d values differ", differing);
    free(in);
    free(whole);
    free(tiled);
}

typedef struct watch {
    atomic_bool stop;
    int calls;
    double last;
    bool increasing;
    int stop_at; /* set stop at this call; 0 = never */
} watch;

static void on_progress(void *ctx, double fraction)
{
    watch *w = ctx;
    w->increasing &= fraction > w->last;
    w->last = fraction;
    if (++w->calls == w->stop_at)
        atomic_store(&w->stop, true);
}

Test(rdn, progress_rises_to_one)
{
    uint8_t in[24 * 20 * 3] = {0}, out[48 * 40 * 3];
    watch w = {.increasing = true};
    atomic_init(&w.stop, false);
    ig_rdn_run run = {.tile = 10, .cancel = &w.stop, .progress = on_progress, .progress_ctx = &w};
    cr_assert_eq(ig_rdn_upscale2x(net, in, 24, 20, out, &run), IG_RDN_OK);
    cr_expect(w.increasing);
    cr_expect_float_eq(w.last, 1.0, 1e-9);
    cr_expect_gt(w.calls, 6 * 10, "only %d progress reports", w.calls); /* 6 tiles */
}

Test(rdn, cancel_stops_between_layers)
{
    uint8_t in[24 * 20 * 3] = {0}, out[48 * 40 * 3];
    watch w = {.increasing = true, .stop_at = 3};
    atomic_init(&w.stop, false);
    ig_rdn_run run = {.tile = 10, .cancel = &w.stop, .progress = on_progress, .progress_ctx = &w};
    cr_expect_eq(ig_rdn_upscale2x(net, in, 24, 20, out, &run), IG_RDN_CANCELED);
    cr_expect_eq(w.calls, 3, "went on for %d reports after the stop", w.calls - 3);

    watch before = {.increasing = true};
    atomic_init(&before.stop, true);
    run.progress_ctx = &before;
    run.cancel = &before.stop;
    cr_expect_eq(ig_rdn_upscale2x(net, in, 24, 20, out, &run), IG_RDN_CANCELED);
    cr_expect_eq(before.calls, 0);
}

/* --- refusing what is not this model --- */

static void expect_load_refused(const void *bytes, size_t size, const char *reason)
{
    char *dir = tu_make_temp_dir("ig-rdn");
    char path[4096], why[256] = "";
    snprintf(path, sizeof path, "%s/w.bin", dir);
    cr_assert_eq(tu_write_file(path, bytes, size), 0);
    cr_expect_null(ig_rdn_load(path, why, sizeof why));
    cr_expect(strstr(why, reason), "reason \"%s\" lacks \"%s\"", why, reason);
    tu_remove_tree(dir);
    free(dir);
}

Test(rdn, damaged_weights_are_refused_with_a_reason)
{
    size_t size;
    char *good = tu_read_file(IG_TEST_WEIGHTS_FILE, &size);
    cr_assert(good);
    expect_load_refused(good, size / 2, "truncated");
    expect_load_refused(good, size - 1, "truncated");
    char *bad = malloc(size);
    memcpy(bad, good, size);
    bad[6] = '9'; /* another format version */
    expect_load_refused(bad, size, "magic");
    free(bad);
    free(good);
    char why[256];
    cr_expect_null(ig_rdn_load("/nonexistent/w.bin", why, sizeof why));
    cr_expect(strstr(why, "cannot read /nonexistent/w.bin"), "%s", why);
}

/* Runs rdn_convert on a copy of the model whose model.json had `from`
 * replaced by `to`; returns its exit status, stderr in err. */
static int convert_mutated(const char *from, const char *to, char *err, size_t cap)
{
    char *dir = tu_make_temp_dir("ig-rdn-model");
    size_t size;
    char *json = tu_read_file(IG_TEST_MODEL_DIR "/model.json", &size);
    char *hit = json ? strstr(json, from) : NULL;
    cr_assert(hit, "model.json lacks %s", from);
    char path[4096], cmd[8192];
    snprintf(path, sizeof path, "%s/model.json", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%.*s%s%s", (int)(hit - json), json, to, hit + strlen(from));
    fclose(f);
    snprintf(cmd, sizeof cmd, "cp '%s/group1-shard1of1.bin' '%s/' && '%s' '%s' '%s/out.bin' 2>&1",
             IG_TEST_MODEL_DIR, dir, IG_TEST_RDN_CONVERT, dir, dir);
    FILE *p = popen(cmd, "r");
    size_t got = fread(err, 1, cap - 1, p);
    err[got] = '\0';
    int status = pclose(p);
    tu_remove_tree(dir);
    free(dir);
    free(json);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(rdn, converter_refuses_another_graph)
{
    char err[1024];
    /* UPN2 fed before the ReLU instead of after it */
    cr_expect_neq(convert_mutated("[[\"UPN1_Relu\"", "[[\"UPN1\"", err, sizeof err), 0);
    cr_expect(strstr(err, "UPN2 input 0 is UPN1, expected UPN1_Relu"), "stderr: %s", err);
    cr_expect_neq(convert_mutated("\"kernel_size\": [5, 5]", "\"kernel_size\": [3, 3]", err,
                                  sizeof err), 0);
    cr_expect(strstr(err, "UPN1"), "stderr: %s", err);
    cr_expect_eq(convert_mutated("\"LR\"", "\"LR\"", err, sizeof err), 0, "%s", err);
}

/* --- concurrent runs: hosts make concurrent tool calls --- */

typedef struct shared_run {
    const uint8_t *in;
    uint8_t *out;
    int w, h;
} shared_run;

static void *run_one(void *arg)
{
    shared_run *r = arg;
    ig_rdn_run run = {.tile = 48};
    r->out = malloc((size_t)r->w * r->h * 12);
    return (void *)(intptr_t)ig_rdn_upscale2x(net, r->in, r->w, r->h, r->out, &run);
}

/* OpenBLAS's shared buffers and thread pool are used by every caller at
 * once: the results must be byte-identical to a run on its own. */
Test(rdn, concurrent_runs_give_identical_results)
{
    const int w = 100, h = 70, threads = 4;
    uint8_t *in = photo_crop(w, h);
    shared_run alone = {in, NULL, w, h};
    cr_assert_eq((intptr_t)run_one(&alone), IG_RDN_OK);
    shared_run runs[4];
    pthread_t ids[4];
    for (int i = 0; i < threads; i++) {
        runs[i] = alone;
        pthread_create(&ids[i], NULL, run_one, &runs[i]);
    }
    for (int i = 0; i < threads; i++) {
        void *rc;
        pthread_join(ids[i], &rc);
        cr_expect_eq((intptr_t)rc, IG_RDN_OK);
        cr_expect_arr_eq(runs[i].out, alone.out, (size_t)w * h * 12, "run %d differs", i);
        free(runs[i].out);
    }
    free(alone.out);
    free(in);
}
