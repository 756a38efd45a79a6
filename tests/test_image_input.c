/* test_image_input.c - every kind of image reference, and every refusal. */
#include <criterion/criterion.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/image_input.h"
#include "support/test_http_server.h"
#include "support/test_images.h"
#include "support/test_util.h"

static char *dir;
static ig_image_store *store;
static unsigned char *png, *jpeg, *webp;
static size_t png_n, jpeg_n, webp_n;
static unsigned char big_body[300000];

static void setup(void)
{
    dir = tu_make_temp_dir("ig-input");
    char sdir[4096];
    snprintf(sdir, sizeof sdir, "%s/store", dir);
    ig_error err;
    ig_error_clear(&err);
    store = ig_store_open(sdir, &err);
    cr_assert_not_null(store, "%s", err.message);
    png = ti_encode("png", 64, 48, 3, &png_n);
    jpeg = ti_encode("jpeg", 80, 60, 3, &jpeg_n);
    webp = ti_encode("webp", 32, 32, 4, &webp_n);
}

static void teardown(void)
{
    ig_store_close(store);
    tu_remove_tree(dir);
    free(dir);
    free(png);
    free(jpeg);
    free(webp);
}

TestSuite(input, .init = setup, .fini = teardown, .timeout = 60);

static ig_input_limits limits(void)
{
    return (ig_input_limits){.max_bytes = 20u << 20, .max_pixels = 50000000,
                             .fetch_timeout_ms = 5000, .max_redirects = 3,
                             .allow_private_urls = false};
}

static char *write_file(const char *name, const void *data, size_t n)
{
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
    cr_assert_eq(tu_write_file(path, data, n), 0);
    return path;
}

static void expect_ok(const char *ref, const ig_input_limits *lim,
                      ig_input_kind kind, const unsigned char *data, size_t n,
                      const char *mime)
{
    ig_image img;
    ig_error err;
    ig_error_clear(&err);
    int rc = ig_image_resolve(ref, "image", lim, store, NULL, &img, &err);
    cr_assert_eq(rc, 0, "%.80s: %s", ref, err.message);
    cr_expect_eq(img.kind, kind, "%.80s: kind %s", ref, ig_input_kind_name(img.kind));
    cr_expect_eq(img.size, n);
    cr_expect(img.data && !memcmp(img.data, data, n), "bytes differ");
    cr_expect_str_eq(img.info.mime_type, mime);
    char id[IG_IMAGE_ID_LEN + 1], sha[65];
    ig_image_id_for(data, n, id, sha);
    cr_expect_str_eq(img.id, id);
    cr_expect_str_eq(img.sha256, sha);
    ig_image_clear(&img);
    cr_expect_null(img.data);
}

/* Resolves ref expecting failure with code; returns the error. */
static ig_error expect_fail(const char *ref, const ig_input_limits *lim,
                            const ig_image_store *s, ig_error_code code)
{
    ig_image img;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_image_resolve(ref, "image", lim, s, NULL, &img, &err), -1,
                 "%.80s resolved", ref);
    cr_expect_eq(err.code, code, "%.80s: code %s: %s", ref,
                 ig_error_code_name(err.code), err.message);
    cr_expect_str_eq(err.field, "image");
    cr_expect_null(img.data);
    cr_expect_eq(img.size, 0);
    return err;
}

#define HAS(s, needle) cr_expect(strstr((s), (needle)), "\"%s\" lacks \"%s\"", (s), (needle))

Test(input, absolute_and_relative_paths)
{
    ig_input_limits lim = limits();
    char *path = write_file("cat.png", png, png_n);
    expect_ok(path, &lim, IG_INPUT_PATH, png, png_n, "image/png");
    cr_assert_eq(chdir(dir), 0);
    expect_ok("cat.png", &lim, IG_INPUT_PATH, png, png_n, "image/png");
    expect_ok("./cat.png", &lim, IG_INPUT_PATH, png, png_n, "image/png");
    free(path);
}

Test(input, file_urls)
{
    ig_input_limits lim = limits();
    char *path = write_file("my cat%.jpg", jpeg, jpeg_n);
    char ref[4200];
    snprintf(ref, sizeof ref, "file://%s/my%%20cat%%25.jpg", dir);
    expect_ok(ref, &lim, IG_INPUT_FILE_URL, jpeg, jpeg_n, "image/jpeg");
    snprintf(ref, sizeof ref, "file://localhost%s/my%%20cat%%25.jpg", dir);
    expect_ok(ref, &lim, IG_INPUT_FILE_URL, jpeg, jpeg_n, "image/jpeg");
    snprintf(ref, sizeof ref, "file:%s/my%%20cat%%25.jpg", dir);
    expect_ok(ref, &lim, IG_INPUT_FILE_URL, jpeg, jpeg_n, "image/jpeg");
    snprintf(ref, sizeof ref, "file://evil.example.com%s/x.png", dir);
    ig_error err = expect_fail(ref, &lim, store, IG_ERR_URL_REFUSED);
    HAS(err.message, "evil.example.com");
    snprintf(ref, sizeof ref, "file://%s/bad%%zz.png", dir);
    expect_fail(ref, &lim, store, IG_ERR_INVALID_ARGUMENT);
    snprintf(ref, sizeof ref, "file://%s/nul%%00.png", dir);
    expect_fail(ref, &lim, store, IG_ERR_INVALID_ARGUMENT);
    snprintf(ref, sizeof ref, "file://%s/absent.png", dir);
    expect_fail(ref, &lim, store, IG_ERR_IMAGE_NOT_FOUND);
    free(path);
}

Test(input, data_urls)
{
    ig_input_limits lim = limits();
    char *u = ti_data_url("image/png", png, png_n);
    expect_ok(u, &lim, IG_INPUT_DATA_URL, png, png_n, "image/png");
    free(u);
    u = ti_data_url("image/webp", webp, webp_n);
    expect_ok(u, &lim, IG_INPUT_DATA_URL, webp, webp_n, "image/webp");
    free(u);
    /* declared png, really jpeg: accepted, and the probe's type wins */
    u = ti_data_url("image/png", jpeg, jpeg_n);
    expect_ok(u, &lim, IG_INPUT_DATA_URL, jpeg, jpeg_n, "image/jpeg");
    free(u);
    /* line-wrapped base64 and a parameter are fine */
    gchar *b64 = g_base64_encode(png, png_n);
    GString *wrapped = g_string_new("DATA:image/PNG;name=cat.png;base64,");
    for (size_t i = 0; b64[i]; i++) {
        g_string_append_c(wrapped, b64[i]);
        if (i % 76 == 75)
            g_string_append(wrapped, "\r\n");
    }
    expect_ok(wrapped->str, &lim, IG_INPUT_DATA_URL, png, png_n, "image/png");
    g_string_free(wrapped, TRUE);
    g_free(b64);
}

Test(input, bad_data_urls)
{
    ig_input_limits lim = limits();
    ig_error err = expect_fail("data:image/png;base64,iVBOR*w0KGgo=", &lim, store,
                               IG_ERR_INVALID_ARGUMENT);
    HAS(err.message, "not valid base64");
    err = expect_fail("data:image/png;base64,iVBORw0KG", &lim, store, IG_ERR_INVALID_ARGUMENT);
    HAS(err.message, "not valid base64");
    expect_fail("data:image/png;base64,iVBO=Rw0", &lim, store, IG_ERR_INVALID_ARGUMENT);
    err = expect_fail("data:text/plain;base64,aGVsbG8=", &lim, store, IG_ERR_IMAGE_UNREADABLE);
    HAS(err.message, "text/plain");
    HAS(err.message, "image/png");
    expect_fail("data:image/gif;base64,R0lGODlh", &lim, store, IG_ERR_IMAGE_UNREADABLE);
    err = expect_fail("data:image/png,rawbytes", &lim, store, IG_ERR_INVALID_ARGUMENT);
    HAS(err.message, "base64");
    expect_fail("data:image/png;base64", &lim, store, IG_ERR_INVALID_ARGUMENT);
    /* valid base64 of non-image bytes */
    err = expect_fail("data:image/png;base64,aGVsbG8gd29ybGQ=", &lim, store,
                      IG_ERR_IMAGE_UNREADABLE);
    lim.max_bytes = 100;
    char *u = ti_data_url("image/png", png, png_n);
    err = expect_fail(u, &lim, store, IG_ERR_IMAGE_TOO_LARGE);
    HAS(err.message, "100 bytes");
    free(u);
}

Test(input, image_ids)
{
    ig_input_limits lim = limits();
    ig_stored_image st;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_store_put(store, webp, webp_n, NULL, &st, &err), 0, "%s", err.message);
    expect_ok(st.id, &lim, IG_INPUT_ID, webp, webp_n, "image/webp");
    err = expect_fail("img_0123456789abcdef01234567", &lim, store, IG_ERR_IMAGE_NOT_FOUND);
    HAS(err.message, "no stored image");
    expect_fail(st.id, &lim, NULL, IG_ERR_IMAGE_NOT_FOUND);
}

Test(input, missing_directory_fifo_and_empty)
{
    ig_input_limits lim = limits();
    char ref[4200];
    snprintf(ref, sizeof ref, "%s/nope.png", dir);
    ig_error err = expect_fail(ref, &lim, store, IG_ERR_IMAGE_NOT_FOUND);
    char want[4300];
    snprintf(want, sizeof want, "image: no file at \"%s\"", ref);
    cr_expect_str_eq(err.message, want);
    HAS(err.hint, "data:image/png;base64");
    HAS(err.hint, "img_");
    HAS(err.hint, "http(s)");
    err = expect_fail("relative/nope.png", &lim, store, IG_ERR_IMAGE_NOT_FOUND);
    HAS(err.message, "relative to the working directory");
    err = expect_fail(dir, &lim, store, IG_ERR_IMAGE_NOT_FOUND);
    HAS(err.message, "is a directory");
    snprintf(ref, sizeof ref, "%s/fifo", dir);
    cr_assert_eq(mkfifo(ref, 0600), 0);
    err = expect_fail(ref, &lim, store, IG_ERR_IMAGE_NOT_FOUND);
    HAS(err.message, "not a regular file");
    expect_fail("", &lim, store, IG_ERR_INVALID_ARGUMENT);
    expect_fail(NULL, &lim, store, IG_ERR_INVALID_ARGUMENT);
    char *empty = write_file("empty.png", "", 0);
    err = expect_fail(empty, &lim, store, IG_ERR_IMAGE_UNREADABLE);
    HAS(err.message, "empty");
    free(empty);
}

Test(input, too_big_and_undecodable_files)
{
    ig_input_limits lim = limits();
    char *path = write_file("cat.png", png, png_n);
    lim.max_bytes = 100;
    ig_error err = expect_fail(path, &lim, store, IG_ERR_IMAGE_TOO_LARGE);
    HAS(err.message, "over the limit of 100 bytes");
    lim = limits();
    lim.max_pixels = 1000;
    err = expect_fail(path, &lim, store, IG_ERR_IMAGE_TOO_LARGE);
    HAS(err.message, "64x48");
    lim = limits();
    char *text = write_file("notes.png", "just some text\n", 15);
    err = expect_fail(text, &lim, store, IG_ERR_IMAGE_UNREADABLE);
    HAS(err.message, "not a PNG, JPEG or WebP");
    char *cut = write_file("cut.png", png, png_n / 2);
    err = expect_fail(cut, &lim, store, IG_ERR_IMAGE_UNREADABLE);
    HAS(err.message, "could not be decoded");
    free(path);
    free(text);
    free(cut);
}

Test(input, unsupported_scheme)
{
    ig_input_limits lim = limits();
    ig_error err = expect_fail("ftp://example.com/cat.png", &lim, store, IG_ERR_URL_REFUSED);
    HAS(err.message, "ftp");
    HAS(err.hint, "data:image/png;base64");
    expect_fail("s3://bucket/key.png", &lim, store, IG_ERR_URL_REFUSED);
}

/* ---- http(s) inputs through the loopback test server ------------------ */

static ts_server *serve(void)
{
    const ts_route routes[] = {
        {.path = "/cat.png", .behaviour = TS_RESPOND, .status = 200,
         .content_type = "image/png", .body = png, .body_size = png_n},
        {.path = "/lying.png", .behaviour = TS_RESPOND, .status = 200,
         .content_type = "text/html", .body = jpeg, .body_size = jpeg_n},
        {.path = "/text", .behaviour = TS_RESPOND, .status = 200,
         .content_type = "image/png", .body = "<html>", .body_size = 6},
        {.path = "/404", .behaviour = TS_RESPOND, .status = 404, .body = "", .body_size = 0},
        {.path = "/a", .behaviour = TS_REDIRECT, .location = "/b"},
        {.path = "/b", .behaviour = TS_REDIRECT, .location = "/c"},
        {.path = "/c", .behaviour = TS_REDIRECT, .location = "/d"},
        {.path = "/d", .behaviour = TS_REDIRECT, .location = "/cat.png"},
        {.path = "/hang", .behaviour = TS_HANG},
        {.path = "/truncated", .behaviour = TS_TRUNCATE, .body = png, .body_size = png_n},
        {.path = "/big", .behaviour = TS_RESPOND, .status = 200, .body = big_body,
         .body_size = sizeof big_body},
        {.path = "/chunked", .behaviour = TS_CHUNKED_HUGE, .body_size = 10000000},
    };
    return ts_server_start(routes, sizeof routes / sizeof routes[0]);
}

static char *at(ts_server *s, const char *path)
{
    char *u = NULL;
    cr_assert(asprintf(&u, "%s%s", ts_server_base_url(s), path) > 0);
    return u;
}

Test(input, http_success_with_private_allowed)
{
    ts_server *s = serve();
    ig_input_limits lim = limits();
    lim.allow_private_urls = true;
    char *u = at(s, "/cat.png");
    expect_ok(u, &lim, IG_INPUT_HTTP_URL, png, png_n, "image/png");
    free(u);
    u = at(s, "/lying.png"); /* Content-Type ignored: the bytes decide */
    expect_ok(u, &lim, IG_INPUT_HTTP_URL, jpeg, jpeg_n, "image/jpeg");
    free(u);
    u = at(s, "/b"); /* three redirects: at the limit of 3 */
    expect_ok(u, &lim, IG_INPUT_HTTP_URL, png, png_n, "image/png");
    free(u);
    ts_server_stop(s);
}

Test(input, http_loopback_refused_by_default)
{
    ts_server *s = serve();
    ig_input_limits lim = limits();
    char *u = at(s, "/cat.png");
    ig_error err = expect_fail(u, &lim, store, IG_ERR_URL_REFUSED);
    HAS(err.message, "refused to connect to 127.0.0.1 (loopback address)");
    HAS(err.message, "imageGeneration.allowPrivateUrls");
    cr_expect_eq(ts_server_hits(s, NULL), 0, "a request reached the server");
    free(u);
    ts_server_stop(s);
}

Test(input, http_failures)
{
    ts_server *s = serve();
    ig_input_limits lim = limits();
    lim.allow_private_urls = true;
    char *u = at(s, "/a"); /* four redirects, over the limit of 3 */
    ig_error err = expect_fail(u, &lim, store, IG_ERR_URL_REFUSED);
    HAS(err.message, "redirected more than 3 times");
    cr_expect_eq(ts_server_hits(s, "/cat.png"), 0);
    free(u);
    u = at(s, "/404");
    err = expect_fail(u, &lim, store, IG_ERR_URL_FETCH_FAILED);
    HAS(err.message, "server answered HTTP 404");
    free(u);
    u = at(s, "/truncated");
    err = expect_fail(u, &lim, store, IG_ERR_URL_FETCH_FAILED);
    cr_expect(err.retryable);
    free(u);
    u = at(s, "/text");
    expect_fail(u, &lim, store, IG_ERR_IMAGE_UNREADABLE);
    free(u);
    lim.max_bytes = 100000;
    u = at(s, "/big");
    expect_fail(u, &lim, store, IG_ERR_IMAGE_TOO_LARGE);
    free(u);
    u = at(s, "/chunked");
    expect_fail(u, &lim, store, IG_ERR_IMAGE_TOO_LARGE);
    free(u);
    ts_server_stop(s);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

Test(input, http_hang_times_out)
{
    ts_server *s = serve();
    ig_input_limits lim = limits();
    lim.allow_private_urls = true;
    lim.fetch_timeout_ms = 300;
    char *u = at(s, "/hang");
    double t0 = now_s();
    ig_error err = expect_fail(u, &lim, store, IG_ERR_URL_FETCH_FAILED);
    cr_expect(now_s() - t0 < 20.0); /* the 300 ms cap fired, not a hang */
    HAS(err.message, "timed out");
    cr_expect(err.retryable);
    free(u);
    ts_server_stop(s);
}

typedef struct cancel_job {
    atomic_bool flag;
    double set_at;
    ts_server *server;
} cancel_job;

/* Cancels once the server holds the request (polling its hit count). */
static void *cancel_when_held(void *arg)
{
    cancel_job *job = arg;
    while (ts_server_hits(job->server, "/hang") == 0)
        usleep(5000);
    job->set_at = now_s();
    atomic_store(&job->flag, true);
    return NULL;
}

Test(input, http_cancel)
{
    ts_server *s = serve();
    ig_input_limits lim = limits();
    lim.allow_private_urls = true;
    lim.fetch_timeout_ms = 30000;
    char *u = at(s, "/hang");
    cancel_job job = {.flag = false, .server = s};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, cancel_when_held, &job), 0);
    ig_image img;
    ig_error err;
    ig_error_clear(&err);
    int rc = ig_image_resolve(u, "image", &lim, store, &job.flag, &img, &err);
    double done = now_s();
    pthread_join(th, NULL);
    cr_assert_eq(rc, -1);
    cr_expect_eq(err.code, IG_ERR_CANCELED, "%s", err.message);
    /* Well before the 30 s fetch timeout: the cancel interrupted it. */
    cr_expect(done - job.set_at < 10.0, "%.2fs after the cancel", done - job.set_at);
    free(u);
    ts_server_stop(s);
}

Test(input, kind_names)
{
    cr_expect_str_eq(ig_input_kind_name(IG_INPUT_ID), "id");
    cr_expect_str_eq(ig_input_kind_name(IG_INPUT_PATH), "path");
    cr_expect_str_eq(ig_input_kind_name(IG_INPUT_FILE_URL), "file_url");
    cr_expect_str_eq(ig_input_kind_name(IG_INPUT_DATA_URL), "data_url");
    cr_expect_str_eq(ig_input_kind_name(IG_INPUT_HTTP_URL), "http_url");
    ig_image_clear(NULL);
}

Test(summary, forms)
{
    char out[256];
    char *u = ti_data_url("image/png", png, png_n);
    ig_image_ref_summary(u, out, sizeof out);
    char want[128];
    snprintf(want, sizeof want, "data:image/png;base64,<%zu bytes>", png_n);
    cr_expect_str_eq(out, want);
    free(u);
    ig_image_ref_summary("data:image/png;base64,AAAA", out, sizeof out);
    cr_expect_str_eq(out, "data:image/png;base64,<3 bytes>");
    ig_image_ref_summary("https://me:secret@cdn.example.com/a.png?X-Amz-Signature=abc#f",
                         out, sizeof out);
    cr_expect_str_eq(out, "https://cdn.example.com/a.png?<redacted>#<redacted>");
    ig_image_ref_summary("/tmp/cat.png", out, sizeof out);
    cr_expect_str_eq(out, "/tmp/cat.png");
    ig_image_ref_summary("img_0123456789abcdef01234567", out, sizeof out);
    cr_expect_str_eq(out, "img_0123456789abcdef01234567");
    char longpath[1200] = "/";
    for (int i = 0; i < 100; i++)
        strcat(longpath, "abcdefghi/");
    strcat(longpath, "final.png");
    ig_image_ref_summary(longpath, out, sizeof out);
    cr_expect_leq(strlen(out), 240);
    HAS(out, "...");
    cr_expect_eq(strncmp(out, "/abcdefghi/", 11), 0, "%s", out);
    cr_expect_str_eq(out + strlen(out) - 9, "final.png");
    char small[16];
    ig_image_ref_summary(longpath, small, sizeof small);
    cr_expect_eq(strlen(small), 15);
    ig_image_ref_summary("a\nb", out, sizeof out);
    cr_expect_str_eq(out, "a?b");
    ig_image_ref_summary(NULL, out, sizeof out);
    cr_expect_str_eq(out, "(none)");
}
