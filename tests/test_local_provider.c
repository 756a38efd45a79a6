/*
 * test_local_provider.c - the embedded offline provider end to end through
 * the tool layer, with no key and no network: both methods, targets that
 * are not a plain 2x/4x, grey and alpha images, the auto method's choice
 * against the time budget, missing weights, the deadline, the routing rules
 * of method, neural beating Lanczos3 on a real photo, and progress and
 * cancellation of a neural job.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "image/image_pixels.h"
#include "providers/local/lanczos3.h"
#include "support/backend_checks.h"
#include "support/test_calls.h"
#include "support/test_images.h"
#include "support/test_util.h"

#define WEIGHTS_CONFIG "\"weightsDir\":\"" IG_TEST_WEIGHTS_DIR "\""

static ig_instance *inst;
static char *dir;

static void setup(void)
{
    tc_clear_provider_env(); /* local needs nothing: prove it */
    inst = tc_open(WEIGHTS_CONFIG);
    dir = tu_make_temp_dir("ig-local");
}

static void teardown(void)
{
    tc_close(inst);
    tu_remove_tree(dir);
    free(dir);
}

TestSuite(local, .init = setup, .fini = teardown, .timeout = 240);

/* Writes encoded test bytes to dir/name; returns the malloc'd path. */
static char *write_image(const char *name, const unsigned char *data, size_t size)
{
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
    cr_assert_eq(tu_write_file(path, data, size), 0);
    return path;
}

/* upscale_image on a w x h test pattern with `bands` bands, plus extra
 * JSON members. */
static cJSON *upscale(int w, int h, int bands, const char *extra)
{
    size_t size;
    unsigned char *png = ti_encode("png", w, h, bands, &size);
    static atomic_int files; /* a file of its own per call: calls run concurrently */
    char name[32];
    snprintf(name, sizeof name, "src-%d.png", atomic_fetch_add(&files, 1));
    char *path = write_image(name, png, size);
    free(png);
    char args[4096];
    snprintf(args, sizeof args, "{\"image\":\"%s\"%s%s}", path, extra ? "," : "",
             extra ? extra : "");
    free(path);
    return tc_call(inst, "upscale_image", args);
}

/* The stored image i of a result, decoded. */
static ig_pixels stored_pixels(const cJSON *result, int i)
{
    const cJSON *image = cJSON_GetArrayItem(bc_item(result, "images"), i);
    size_t size;
    char *bytes = tu_read_file(bc_str(image, "path"), &size);
    cr_assert(bytes, "stored image missing");
    ig_pixels px;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_pixels_decode((unsigned char *)bytes, size, &px, &err), 0, "%s",
                 err.message);
    free(bytes);
    return px;
}

static const char *applied_str(const cJSON *result, const char *key)
{
    return bc_str(bc_item(result, "applied"), key);
}

Test(local, lanczos3_doubles_with_no_provider_configured)
{
    cJSON *r = upscale(40, 30, 3, "\"method\":\"lanczos3\"");
    const cJSON *images = bc_expect_ok(r, "local", 1);
    bc_expect_stored(inst, images, 0, 80, 60, "image/png", "local");
    cr_expect_str_eq(bc_str(r, "model"), "lanczos3");
    cr_expect_str_eq(applied_str(r, "method"), "lanczos3");
    const cJSON *cost = bc_item(r, "cost");
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cost, "estimatedUsd")), 0);
    cJSON_Delete(r);
}

Test(local, lanczos3_lands_on_any_target_size_and_format)
{
    cJSON *r = upscale(40, 30, 4, "\"method\":\"lanczos3\",\"width\":113,"
                                  "\"outputFormat\":\"webp\"");
    const cJSON *images = bc_expect_ok(r, "local", 1);
    bc_expect_stored(inst, images, 0, 113, 85, "image/webp", "local");
    cJSON_Delete(r);
}

Test(local, neural_doubles_and_quadruples)
{
    cJSON *r = upscale(24, 20, 3, "\"method\":\"neural\"");
    bc_expect_stored(inst, bc_expect_ok(r, "local", 1), 0, 48, 40, "image/png", "local");
    cr_expect_str_eq(bc_str(r, "model"), "rdn-psnr-small-x2");
    cr_expect_str_eq(applied_str(r, "method"), "neural");
    cJSON_Delete(r);

    r = upscale(16, 12, 3, "\"method\":\"neural\",\"scale\":4,\"outputFormat\":\"jpeg\"");
    bc_expect_stored(inst, bc_expect_ok(r, "local", 1), 0, 64, 48, "image/jpeg", "local");
    cJSON_Delete(r);
}

/* 3x is two neural passes (4x) shrunk to the target. */
Test(local, neural_reaches_a_target_between_2x_and_4x)
{
    cJSON *r = upscale(20, 16, 3, "\"method\":\"neural\",\"width\":60");
    bc_expect_stored(inst, bc_expect_ok(r, "local", 1), 0, 60, 48, "image/png", "local");
    cJSON_Delete(r);
}

Test(local, neural_keeps_grey_grey_and_alpha_alpha)
{
    cJSON *r = upscale(20, 16, 1, "\"method\":\"neural\"");
    bc_expect_ok(r, "local", 1);
    ig_pixels grey = stored_pixels(r, 0);
    cr_expect_eq(grey.bands, 1, "a grey image came back with %d bands", grey.bands);
    ig_pixels_clear(&grey);
    cJSON_Delete(r);

    r = upscale(20, 16, 4, "\"method\":\"neural\"");
    bc_expect_ok(r, "local", 1);
    ig_pixels rgba = stored_pixels(r, 0);
    cr_expect_eq(rgba.bands, 4);
    cr_expect_eq(rgba.width, 40);
    ig_pixels_clear(&rgba);
    cJSON_Delete(r);
}

Test(local, auto_picks_neural_when_it_fits_the_budget)
{
    cJSON *r = upscale(24, 20, 3, NULL);
    bc_expect_ok(r, "local", 1);
    cr_expect_str_eq(applied_str(r, "method"), "neural");
    cr_expect(strstr(applied_str(r, "methodChoice"), "within"), "%s",
              applied_str(r, "methodChoice"));
    cJSON_Delete(r);
}

/* 1024x1024 -> 2048x2048 is some 2.7 TMAC: no CPU does that in 1 s. */
Test(local, auto_falls_back_to_lanczos3_over_the_budget)
{
    cJSON *r = upscale(1024, 1024, 3, "\"maxSeconds\":1");
    bc_expect_stored(inst, bc_expect_ok(r, "local", 1), 0, 2048, 2048, "image/png", "local");
    cr_expect_str_eq(applied_str(r, "method"), "lanczos3");
    cr_expect(strstr(applied_str(r, "methodChoice"), "over the 1 s budget (maxSeconds)"),
              "%s", applied_str(r, "methodChoice"));
    cJSON_Delete(r);
}

/* An explicit neural call that cannot finish in time is stopped there. */
Test(local, neural_is_stopped_at_max_seconds)
{
    cJSON *r = upscale(512, 512, 3, "\"method\":\"neural\",\"maxSeconds\":1");
    tc_expect_error(r, "provider_timeout", "maxSeconds", "did not finish within 1 s", NULL);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, NULL), 0, "something was stored");
    cJSON_Delete(r);
}

Test(local, missing_weights_mean_lanczos3_for_auto_and_an_error_for_neural)
{
    tc_close(inst);
    inst = tc_open("\"weightsDir\":\"/nonexistent/weights\"");
    cJSON *r = upscale(24, 20, 3, NULL);
    bc_expect_ok(r, "local", 1);
    cr_expect_str_eq(applied_str(r, "method"), "lanczos3");
    cr_expect(strstr(applied_str(r, "methodChoice"), "could not be loaded"));
    cJSON_Delete(r);

    r = upscale(24, 20, 3, "\"method\":\"neural\"");
    tc_expect_error(r, "provider_unavailable", "method", "/nonexistent/weights", NULL);
    cr_expect(strstr(bc_str(bc_item(r, "error"), "hint"), "lanczos3"));
    cJSON_Delete(r);
}

Test(local, method_belongs_to_the_local_provider)
{
    cJSON *r = upscale(24, 20, 3, "\"method\":\"neural\",\"provider\":\"stability\"");
    tc_expect_error(r, "invalid_argument", "method", "local provider", NULL);
    cJSON_Delete(r);
    r = upscale(24, 20, 3, "\"method\":\"lanczos3\","
                           "\"providerPreferences\":{\"blocked\":[\"local\"]}");
    tc_expect_error(r, "provider_unavailable", "method", "blocks", NULL);
    cJSON_Delete(r);
    r = upscale(24, 20, 3, "\"method\":\"bicubic\"");
    tc_expect_error(r, "invalid_argument", "method", NULL);
    cJSON_Delete(r);
}

static void *neural_call(void *unused)
{
    (void)unused;
    return upscale(24, 20, 3, "\"method\":\"neural\"");
}

/* Concurrent calls share one instance and its lazily loaded network. */
Test(local, concurrent_neural_calls)
{
    pthread_t threads[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&threads[i], NULL, neural_call, NULL);
    for (int i = 0; i < 3; i++) {
        void *r;
        pthread_join(threads[i], &r);
        bc_expect_ok(r, "local", 1);
        cJSON_Delete(r);
    }
}

/* --- quality on a real photo (public domain, from Debian's python3-skimage) --- */

/* PSNR over every band, in dB. */
static double psnr(const ig_pixels *a, const ig_pixels *b)
{
    cr_assert(a->width == b->width && a->height == b->height && a->bands == b->bands);
    double sum = 0;
    size_t n = (size_t)a->width * a->height * a->bands;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a->data[i] - b->data[i];
        sum += d * d;
    }
    return 10 * log10(255.0 * 255.0 / (sum / n));
}

/* Writes a 128x128 crop of the photo and its 2x shrink, made as the
 * benchmark makes it (antialiased, centred bicubic: what the network was
 * trained to undo). */
static void photo_pair(char **truth_path, char **small_path)
{
    VipsImage *photo = vips_image_new_from_file(IG_TEST_SOURCE_DIR "/data/samples/astronaut.png",
                                                NULL);
    cr_assert(photo, "data/samples/astronaut.png missing: run scripts/setup.sh");
    VipsImage *crop = NULL;
    cr_assert_eq(vips_crop(photo, &crop, 300, 300, 128, 128, NULL), 0);
    cr_assert(asprintf(truth_path, "%s/truth.png", dir) > 0);
    cr_assert(asprintf(small_path, "%s/small.png", dir) > 0);
    cr_assert_eq(vips_pngsave(crop, *truth_path, NULL), 0);
    g_object_unref(crop);
    g_object_unref(photo);

    size_t size;
    char *bytes = tu_read_file(*truth_path, &size);
    ig_pixels truth, small;
    ig_png png;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_pixels_decode((unsigned char *)bytes, size, &truth, &err), 0);
    cr_assert_eq(ig_pixels_alloc(&small, 64, 64, truth.bands, &err), 0);
    cr_assert_eq(ig_resample(IG_KERNEL_CUBIC, truth.data, 128, 128, truth.bands, small.data,
                             64, 64), 0);
    cr_assert_eq(ig_pixels_encode(&small, "png", &png, &err), 0);
    cr_assert_eq(tu_write_file(*small_path, png.data, png.size), 0);
    ig_png_clear(&png);
    ig_pixels_clear(&small);
    ig_pixels_clear(&truth);
    free(bytes);
}

static double psnr_of_method(const char *small_path, const ig_pixels *truth, const char *method)
{
    char args[1024];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"method\":\"%s\"}", small_path, method);
    cJSON *r = tc_call(inst, "upscale_image", args);
    bc_expect_ok(r, "local", 1);
    ig_pixels up = stored_pixels(r, 0);
    double db = psnr(&up, truth);
    ig_pixels_clear(&up);
    cJSON_Delete(r);
    return db;
}

Test(local, neural_beats_lanczos3_on_a_photo)
{
    char *truth_path, *small_path;
    photo_pair(&truth_path, &small_path);
    size_t size;
    char *bytes = tu_read_file(truth_path, &size);
    ig_pixels truth;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_pixels_decode((unsigned char *)bytes, size, &truth, &err), 0);
    double lanczos = psnr_of_method(small_path, &truth, "lanczos3");
    double neural = psnr_of_method(small_path, &truth, "neural");
    cr_log_info("photo crop 2x: lanczos3 %.2f dB, neural %.2f dB", lanczos, neural);
    cr_expect_gt(neural, lanczos + 1.0, "neural %.2f dB vs lanczos3 %.2f dB", neural, lanczos);
    ig_pixels_clear(&truth);
    free(bytes);
    free(truth_path);
    free(small_path);
}

/* --- progress and cancellation through the job system --- */

static atomic_int neural_reports;

static void count_progress(void *user_data, const char *json)
{
    (void)user_data;
    if (strstr(json, "neural upscale"))
        atomic_fetch_add(&neural_reports, 1);
}

Test(local, neural_job_reports_progress_and_stops_when_cancelled)
{
    tc_close(inst);
    char config[1024];
    snprintf(config, sizeof config, "{\"imageGeneration\":{\"imageDir\":\"%s/images\",%s}}",
             dir, WEIGHTS_CONFIG);
    ig_error err;
    ig_error_clear(&err);
    inst = ig_instance_open(config, NULL, count_progress, NULL, NULL, &err);
    cr_assert(inst, "%s", err.message);
    size_t size;
    unsigned char *png = ti_encode("png", 512, 512, 3, &size);
    char *path = write_image("big.png", png, size);
    free(png);
    char args[4096];
    snprintf(args, sizeof args, "{\"image\":\"%s\",\"method\":\"neural\"}", path);
    free(path);

    int64_t id = ig_instance_submit(inst, "upscale_image", args);
    cr_assert_gt(id, 0);
    /* 4 tiles x 12 steps: wait for a few, then cancel mid-run. */
    while (atomic_load(&neural_reports) < 3)
        cr_assert_eq(ig_jobs_wait(inst->jobs, id, 50), AGENTOS_EXT_E_TIMEOUT,
                     "the job ended before it was cancelled");
    cr_assert_eq(ig_jobs_cancel(inst->jobs, id), AGENTOS_EXT_OK);
    int seen = atomic_load(&neural_reports);
    cr_expect_eq(ig_jobs_wait(inst->jobs, id, 60000), AGENTOS_EXT_JOB_CANCELED);
    cr_expect_leq(atomic_load(&neural_reports), seen + 1, "kept running after the cancel");
    char *text = ig_jobs_take_result(inst->jobs, id);
    cr_expect(text && strstr(text, "\"canceled\""), "%s", text ? text : "(null)");
    free(text);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, "img_"), 0, "an image was stored");
}

/* --- where upscales go when a hosted upscaler is configured too --- */

/* Stability is configured at a dead loopback port: a call routed there
 * fails with a network error, one routed to local succeeds. */
static void configure_dead_stability(void)
{
    setenv("STABILITY_API_KEY", "sk-test-never-used-0123456789", 1);
    setenv("STABILITY_BASE_URL", "http://127.0.0.1:1", 1);
    tc_close(inst);
    inst = tc_open(WEIGHTS_CONFIG ",\"routing\":{\"backoffBaseMs\":1}");
}

Test(local, is_last_in_the_default_order)
{
    configure_dead_stability();
    cJSON *r = upscale(24, 20, 3, NULL);
    /* Stability is tried first (and retried: a refused connection is
     * transient), then the call falls back to local. */
    bc_expect_ok(r, "local", 1);
    const cJSON *order = bc_item(bc_item(r, "routing"), "order");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(order, 0)), "stability");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(order, 1)), "local");
    const cJSON *first = cJSON_GetArrayItem(bc_item(r, "attempts"), 0);
    cr_expect_str_eq(bc_str(first, "provider"), "stability");
    cr_expect_str_eq(bc_str(first, "errorClass"), "transient");
    cJSON_Delete(r);
}

Test(local, preferred_local_goes_first)
{
    configure_dead_stability();
    cJSON *r = upscale(24, 20, 3, "\"providerPreferences\":{\"preferred\":[\"local\"]}");
    bc_expect_ok(r, "local", 1);
    cJSON_Delete(r);
}
