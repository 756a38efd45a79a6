/* test_json_b64_sink.c - streaming base64 image extraction from JSON bodies. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json_text.h"
#include "image/image_store.h"
#include "providers/transport/base64_stream.h"
#include "providers/transport/json_b64_sink.h"
#include "support/test_images.h"
#include "support/test_util.h"

static char *root;
static char store_dir[4096];
static ig_image_store *store;
static unsigned char *png, *png2;
static size_t png_n, png2_n;

static const char *const k_openai[] = {"b64_json", NULL};
static const char *const k_router[] = {"b64_json", "url?", NULL};

static void setup(void)
{
    root = tu_make_temp_dir("ig-sink");
    snprintf(store_dir, sizeof store_dir, "%s/images", root);
    ig_error err;
    ig_error_clear(&err);
    store = ig_store_open(store_dir, &err);
    cr_assert_not_null(store, "%s", err.message);
    png = ti_encode("png", 64, 48, 3, &png_n);
    png2 = ti_encode("png", 40, 30, 4, &png2_n);
}

static void teardown(void)
{
    ig_store_close(store);
    tu_remove_tree(root);
    free(root);
    free(png);
    free(png2);
}

TestSuite(sink, .init = setup, .fini = teardown, .timeout = 120);

/* --- helpers -------------------------------------------------------------- */

/* printf into a malloc'd string. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    cr_assert(vasprintf(&s, f, ap) >= 0);
    va_end(ap);
    return s;
}

static char *b64(const unsigned char *data, size_t n)
{
    return g_base64_encode(data, n);
}

/* Replaces every occurrence of from with to; malloc'd. */
static char *replace_all(const char *s, const char *from, const char *to)
{
    GString *out = g_string_new(NULL);
    size_t fl = strlen(from);
    for (const char *p = s; *p;) {
        if (!strncmp(p, from, fl)) {
            g_string_append(out, to);
            p += fl;
        } else {
            g_string_append_c(out, *p++);
        }
    }
    char *r = strdup(out->str);
    g_string_free(out, TRUE);
    return r;
}

static ig_json_b64_sink *new_sink(const char *const *keys, size_t cap)
{
    ig_error err;
    ig_error_clear(&err);
    ig_json_b64_sink *s = ig_json_b64_sink_new(store, keys, cap, &err);
    cr_assert_not_null(s, "%s", err.message);
    return s;
}

/* Writes body in chunks of `chunk` bytes; returns the first failing rc. */
static int feed(ig_json_b64_sink *s, const char *body, size_t n, size_t chunk,
                ig_error *err)
{
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        if (ig_json_b64_sink_write(s, body + off, k, err) != 0)
            return -1;
    }
    return 0;
}

/* Feeds and finishes; asserts success; returns the skeleton (sink-owned). */
static const char *run_ok(ig_json_b64_sink *s, const char *body, size_t chunk)
{
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(feed(s, body, strlen(body), chunk, &err), 0, "chunk %zu: %s",
                 chunk, err.message);
    const char *skel = ig_json_b64_sink_finish(s, &err);
    cr_assert_not_null(skel, "chunk %zu: %s", chunk, err.message);
    return skel;
}

/* Feeds and finishes; asserts failure with code; returns the error. */
static ig_error run_fail(const char *const *keys, size_t cap, const char *body,
                         size_t chunk, ig_error_code code)
{
    ig_json_b64_sink *s = new_sink(keys, cap);
    ig_error err;
    ig_error_clear(&err);
    int rc = feed(s, body, strlen(body), chunk, &err);
    if (rc == 0)
        cr_assert_null(ig_json_b64_sink_finish(s, &err), "accepted: %.200s", body);
    cr_assert_eq(err.code, code, "%.200s: got %s: %s", body,
                 ig_error_code_name(err.code), err.message);
    ig_json_b64_sink_free(s);
    return err;
}

/* Takes image i, commits it and checks its file holds exactly data. */
static void commit_and_compare(ig_json_b64_sink *s, size_t i,
                               const unsigned char *data, size_t n)
{
    ig_store_writer *w = ig_json_b64_sink_take(s, i);
    cr_assert_not_null(w, "image %zu", i);
    cr_assert_null(ig_json_b64_sink_take(s, i), "taken twice");
    ig_error err;
    ig_error_clear(&err);
    ig_stored_image img;
    cr_assert_eq(ig_store_writer_commit(w, NULL, &img, &err), 0, "%s", err.message);
    size_t got_n = 0;
    char *got = tu_read_file(img.path, &got_n);
    cr_assert_not_null(got, "%s", img.path);
    cr_assert_eq(got_n, n, "image %zu: %zu bytes, expected %zu", i, got_n, n);
    cr_assert(memcmp(got, data, n) == 0, "image %zu bytes differ", i);
    cr_expect_str_eq(img.mime_type, "image/png");
    free(got);
}

static int tmp_files(void)
{
    return tu_count_entries(store_dir, ".tmp-");
}

/* --- the OpenAI shape ------------------------------------------------------ */

/* revised_prompt with escapes, a \u escape, raw UTF-8 and a surrogate pair. */
#define REVISED "A \\\"cat\\\" in a caf\\u00e9 \xc3\xa9 \\ud83d\\ude00 \\\\ \\/ \\n\\t end"

static char *openai_body(const char *image_b64)
{
    return fmt("{ \"created\" : 1713833628,\n  \"data\": [ {\"b64_json\": \"%s\", "
               "\"revised_prompt\": \"" REVISED "\"} ],\r\n\t\"usage\": "
               "{\"total_tokens\": 100, \"ratio\": -1.5e+3, \"ok\": true, "
               "\"none\": null, \"list\": [], \"obj\": {}}}  \n",
               image_b64);
}

static const char k_openai_skeleton[] =
    "{\"created\":1713833628,\"data\":[{\"b64_json\":\"ig-image:0\","
    "\"revised_prompt\":\"" REVISED "\"}],\"usage\":{\"total_tokens\":100,"
    "\"ratio\":-1.5e+3,\"ok\":true,\"none\":null,\"list\":[],\"obj\":{}}}";

Test(sink, openai_every_chunk_size)
{
    char *enc = b64(png, png_n);
    char *body = openai_body(enc);
    size_t chunks[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                       4096, 65536};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        ig_json_b64_sink *s = new_sink(k_openai, 1 << 20);
        const char *skel = run_ok(s, body, chunks[c]);
        cr_assert_str_eq(skel, k_openai_skeleton, "chunk %zu", chunks[c]);
        cr_assert_eq(ig_json_b64_sink_count(s), 1);
        commit_and_compare(s, 0, png, png_n);
        ig_json_b64_sink_free(s);
    }
    cr_expect_eq(tmp_files(), 0);
    free(body);
    g_free(enc);
}

Test(sink, skeleton_parses_and_keeps_text)
{
    char *enc = b64(png, png_n);
    char *body = openai_body(enc);
    ig_json_b64_sink *s = new_sink(k_openai, 1 << 20);
    const char *skel = run_ok(s, body, 7);
    cJSON *doc = ig_json_parse(skel, NULL);
    cr_assert_not_null(doc, "%s", skel);
    const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "data"), 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(item, "b64_json")),
                     "ig-image:0");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(item, "revised_prompt")),
                     "A \"cat\" in a caf\xc3\xa9 \xc3\xa9 \xf0\x9f\x98\x80 \\ / \n\t end");
    cr_expect_eq(cJSON_GetObjectItem(doc, "created")->valuedouble, 1713833628.0);
    cJSON_Delete(doc);
    ig_json_b64_sink_free(s);
    cr_expect_eq(tmp_files(), 0, "free aborts the untaken writer");
    free(body);
    g_free(enc);
}

Test(sink, two_images)
{
    char *e1 = b64(png, png_n), *e2 = b64(png2, png2_n);
    char *body = fmt("{\"data\":[{\"b64_json\":\"%s\"},{\"b64_json\":\"%s\"}]}", e1, e2);
    for (size_t chunk = 1; chunk <= 4096; chunk *= 64) {
        ig_json_b64_sink *s = new_sink(k_openai, 1 << 20);
        const char *skel = run_ok(s, body, chunk);
        cr_expect_str_eq(skel, "{\"data\":[{\"b64_json\":\"ig-image:0\"},"
                               "{\"b64_json\":\"ig-image:1\"}]}");
        cr_assert_eq(ig_json_b64_sink_count(s), 2);
        cr_expect_null(ig_json_b64_sink_take(s, 2));
        commit_and_compare(s, 1, png2, png2_n);
        commit_and_compare(s, 0, png, png_n);
        ig_json_b64_sink_free(s);
    }
    free(body);
    g_free(e1);
    g_free(e2);
}

/* A1111's answer: {"images": [b64, b64], "info": "..."} with "images[]". */
Test(sink, array_key_takes_the_strings_of_its_array)
{
    static const char *const k_a1111[] = {"images[]", "image", NULL};
    char *e1 = b64(png, png_n), *e2 = b64(png2, png2_n);
    char *body = fmt("{\"images\":[\"%s\",\"data:image/png;base64,%s\"],"
                     "\"parameters\":{\"images\":\"QUJD\",\"list\":{\"images\":[[\"QUJD\"]]}},"
                     "\"info\":\"{\\\"seed\\\": 5}\"}", e1, e2);
    for (size_t chunk = 1; chunk <= 4096; chunk *= 64) {
        ig_json_b64_sink *s = new_sink(k_a1111, 1 << 20);
        const char *skel = run_ok(s, body, chunk);
        cr_expect_str_eq(skel, "{\"images\":[\"ig-image:0\",\"ig-image:1\"],"
                               "\"parameters\":{\"images\":\"QUJD\",\"list\":"
                               "{\"images\":[[\"QUJD\"]]}},\"info\":\"{\\\"seed\\\": 5}\"}");
        cr_assert_eq(ig_json_b64_sink_count(s), 2);
        commit_and_compare(s, 0, png, png_n);
        commit_and_compare(s, 1, png2, png2_n);
        ig_json_b64_sink_free(s);
    }
    free(body);
    g_free(e1);
    g_free(e2);
}

Test(sink, key_matches_only_as_key)
{
    char *enc = b64(png, png_n);
    char *body = fmt("{\"note\":\"b64_json\",\"list\":[\"b64_json\",{\"b64_json\":null}],"
                     "\"b64_jsonx\":\"QUJD\",\"xb64_json\":\"QUJD\","
                     "\"b64_json\":[\"QUJD\"],\"b64_json\":{\"a\":\"QUJD\"},"
                     "\"outer\":{\"inner\":[{\"deep\":{\"b64_json\":\"%s\"}}]},"
                     "\"after\":\"b64_json\"}", enc);
    ig_json_b64_sink *s = new_sink(k_openai, 1 << 20);
    const char *skel = run_ok(s, body, 3);
    cr_expect_str_eq(skel,
                     "{\"note\":\"b64_json\",\"list\":[\"b64_json\",{\"b64_json\":null}],"
                     "\"b64_jsonx\":\"QUJD\",\"xb64_json\":\"QUJD\","
                     "\"b64_json\":[\"QUJD\"],\"b64_json\":{\"a\":\"QUJD\"},"
                     "\"outer\":{\"inner\":[{\"deep\":{\"b64_json\":\"ig-image:0\"}}]},"
                     "\"after\":\"b64_json\"}");
    cr_assert_eq(ig_json_b64_sink_count(s), 1);
    commit_and_compare(s, 0, png, png_n);
    ig_json_b64_sink_free(s);
    free(body);
    g_free(enc);
}

Test(sink, escaped_slashes_in_base64)
{
    char *enc = b64(png, png_n);
    cr_assert_not_null(strchr(enc, '/'), "test image has no '/' in its base64");
    char *esc = replace_all(enc, "/", "\\/");
    char *body = openai_body(esc);
    for (size_t chunk = 1; chunk <= 5; chunk++) {
        ig_json_b64_sink *s = new_sink(k_openai, 1 << 20);
        cr_expect_str_eq(run_ok(s, body, chunk), k_openai_skeleton);
        commit_and_compare(s, 0, png, png_n);
        ig_json_b64_sink_free(s);
    }
    free(body);
    free(esc);
    g_free(enc);
}

Test(sink, wrapped_lines_in_base64)
{
    char *enc = b64(png, png_n);
    GString *w = g_string_new(NULL);
    for (size_t i = 0; enc[i]; i++) { /* 76-column MIME wrapping, JSON-escaped */
        g_string_append_c(w, enc[i]);
        if (i % 76 == 75)
            g_string_append(w, i % 152 == 151 ? "\\r\\n" : "\\n");
    }
    g_string_append(w, "\\n  ");
    char *body = openai_body(w->str);
    for (size_t chunk = 1; chunk <= 3; chunk++) {
        ig_json_b64_sink *s = new_sink(k_openai, 1 << 20);
        cr_expect_str_eq(run_ok(s, body, chunk), k_openai_skeleton);
        commit_and_compare(s, 0, png, png_n);
        ig_json_b64_sink_free(s);
    }
    g_string_free(w, TRUE);
    free(body);
    g_free(enc);
}

Test(sink, data_url_without_optional_key_rule)
{
    /* A plain key takes a data URL too (Stability-style field with a prefix). */
    char *enc = b64(png, png_n);
    char *body = fmt("{\"image\":\"data:image/png;base64,%s\",\"seed\":7}", enc);
    static const char *const keys[] = {"image", NULL};
    ig_json_b64_sink *s = new_sink(keys, 1024);
    cr_expect_str_eq(run_ok(s, body, 4), "{\"image\":\"ig-image:0\",\"seed\":7}");
    commit_and_compare(s, 0, png, png_n);
    ig_json_b64_sink_free(s);
    free(body);
    g_free(enc);
}

/* --- the OpenRouter shape: "url?" extracts only data: URLs ---------------- */

Test(sink, openrouter_data_url)
{
    char *enc = b64(png, png_n);
    char *esc = replace_all(enc, "/", "\\/");
    char *body = fmt(
        "{\"id\":\"gen-1\",\"choices\":[{\"message\":{\"role\":\"assistant\","
        "\"content\":\"Here is your image: data:image/png;base64,xyz\","
        "\"images\":[{\"type\":\"image_url\",\"image_url\":"
        "{\"url\":\"data:image\\/png;base64,%s\"}}]}}],"
        "\"links\":[{\"url\":\"https://example.com/a.png\"},{\"url\":\"dat\"},"
        "{\"url\":\"data\"},{\"url\":\"\"},{\"url\":\"\\u0064ata:x\"},{\"url\":\"datum\"}]}",
        esc);
    const char *expect =
        "{\"id\":\"gen-1\",\"choices\":[{\"message\":{\"role\":\"assistant\","
        "\"content\":\"Here is your image: data:image/png;base64,xyz\","
        "\"images\":[{\"type\":\"image_url\",\"image_url\":"
        "{\"url\":\"ig-image:0\"}}]}}],"
        "\"links\":[{\"url\":\"https://example.com/a.png\"},{\"url\":\"dat\"},"
        "{\"url\":\"data\"},{\"url\":\"\"},{\"url\":\"\\u0064ata:x\"},{\"url\":\"datum\"}]}";
    size_t chunks[] = {1, 2, 3, 5, 7, 4096};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        ig_json_b64_sink *s = new_sink(k_router, 1 << 20);
        const char *skel = run_ok(s, body, chunks[c]);
        cr_assert_str_eq(skel, expect, "chunk %zu", chunks[c]);
        cr_assert_eq(ig_json_b64_sink_count(s), 1);
        commit_and_compare(s, 0, png, png_n);
        cJSON *doc = ig_json_parse(skel, NULL);
        cr_assert_not_null(doc);
        cJSON_Delete(doc);
        ig_json_b64_sink_free(s);
    }
    free(body);
    free(esc);
    g_free(enc);
}

Test(sink, https_url_never_extracted)
{
    const char *body = "{\"data\":[{\"url\":\"https://cdn.example.com/img.png?sig=a%2Fb\"}]}";
    ig_json_b64_sink *s = new_sink(k_router, 1024);
    cr_expect_str_eq(run_ok(s, body, 1), body);
    cr_expect_eq(ig_json_b64_sink_count(s), 0);
    ig_json_b64_sink_free(s);
}

/* --- errors ---------------------------------------------------------------- */

Test(sink, invalid_base64_character)
{
    const char *body = "{\"data\":[{\"b64_json\":\"QUJD!UJD\"}]}";
    ig_error e = run_fail(k_openai, 1024, body, 1, IG_ERR_PROVIDER_BAD_RESPONSE);
    size_t at = (size_t)(strchr(body, '!') - body);
    char want[128];
    snprintf(want, sizeof want, "byte '!' at offset %zu", at);
    cr_expect(strstr(e.message, "image data in \"b64_json\" is not valid base64"), "%s", e.message);
    cr_expect(strstr(e.message, want), "%s (want %s)", e.message, want);
    /* A raw control byte and a \u escape are refused too. */
    run_fail(k_openai, 1024, "{\"b64_json\":\"QU\x01JD\"}", 64, IG_ERR_PROVIDER_BAD_RESPONSE);
    e = run_fail(k_openai, 1024, "{\"b64_json\":\"QU\\u0041JD\"}", 2,
                 IG_ERR_PROVIDER_BAD_RESPONSE);
    cr_expect(strstr(e.message, "escape"), "%s", e.message);
    e = run_fail(k_openai, 1024, "{\"b64_json\":\"QUJD\\\"\"}", 2,
                 IG_ERR_PROVIDER_BAD_RESPONSE);
    cr_expect(strstr(e.message, "escape"), "%s", e.message);
}

Test(sink, bad_padding)
{
    const char *bad[] = {
        "{\"b64_json\":\"QUJD=\"}",     /* '=' starting a quantum */
        "{\"b64_json\":\"QUJDQ=\"}",    /* '=' after one character */
        "{\"b64_json\":\"QQ=\"}",       /* half the padding */
        "{\"b64_json\":\"QQ==QUJD\"}",  /* data after the padding */
        "{\"b64_json\":\"QQ=A\"}",      /* data inside the padding */
        "{\"b64_json\":\"QUI==\"}",     /* too much padding */
        "{\"b64_json\":\"QUJDQ\"}",     /* a lone trailing character */
        "{\"b64_json\":\"\"}",          /* empty */
        "{\"b64_json\":\"  \"}",        /* nothing but whitespace */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ig_error e = run_fail(k_openai, 1024, bad[i], 1, IG_ERR_PROVIDER_BAD_RESPONSE);
        cr_expect(strstr(e.message, "not valid base64"), "%s", e.message);
    }
}

Test(sink, non_base64_data_url)
{
    ig_error e = run_fail(k_router, 1024, "{\"url\":\"data:text/plain,hello\"}", 1,
                          IG_ERR_PROVIDER_BAD_RESPONSE);
    cr_expect(strstr(e.message, "not base64"), "%s", e.message);
    run_fail(k_router, 1024, "{\"url\":\"data:image/png;base64\"}", 1,
             IG_ERR_PROVIDER_BAD_RESPONSE);
    run_fail(k_openai, 1024, "{\"b64_json\":\"data:image/png,QUJD\"}", 3,
             IG_ERR_PROVIDER_BAD_RESPONSE);
    run_fail(k_openai, 1024, "{\"b64_json\":\"data:image/png;base64,\"}", 3,
             IG_ERR_PROVIDER_BAD_RESPONSE); /* empty payload */
}

Test(sink, truncated_documents)
{
    char *enc = b64(png, png_n);
    char *body = openai_body(enc);
    const char *cuts[] = {"{\"b64_json\": \"", "\"revised_prompt\": \"A", "\"usage\": {",
                          "\"total_tokens\": 1", "null"};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        const char *p = strstr(body, cuts[i]);
        cr_assert_not_null(p, "%s", cuts[i]);
        char *cut = strndup(body, (size_t)(p - body) + strlen(cuts[i]));
        ig_error e = run_fail(k_openai, 1 << 20, cut, 4096, IG_ERR_PROVIDER_BAD_RESPONSE);
        cr_expect(strstr(e.message, "not valid JSON near byte"), "%s", e.message);
        free(cut);
    }
    /* Cut inside the image string: the half-written image leaves no file. */
    char *cut = strndup(body, (size_t)(strstr(body, enc) - body) + strlen(enc) / 2);
    run_fail(k_openai, 1 << 20, cut, 100, IG_ERR_PROVIDER_BAD_RESPONSE);
    cr_expect_eq(tmp_files(), 0);
    free(cut);
    run_fail(k_openai, 1024, "", 1, IG_ERR_PROVIDER_BAD_RESPONSE);
    run_fail(k_openai, 1024, "   \n", 1, IG_ERR_PROVIDER_BAD_RESPONSE);
    free(body);
    g_free(enc);
}

Test(sink, top_level_scalars)
{
    const char *ok[] = {"12", " -0.5e-3 ", "\"b64_json\"", "true", "null", "[]"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        ig_json_b64_sink *s = new_sink(k_openai, 64);
        char *trimmed = g_strstrip(g_strdup(ok[i]));
        cr_expect_str_eq(run_ok(s, ok[i], 1), trimmed);
        g_free(trimmed);
        ig_json_b64_sink_free(s);
    }
}

Test(sink, malformed_json)
{
    const char *bad[] = {
        "{\"a\" 1}", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\":tru}", "{\"a\":01}",
        "{\"a\":-}", "{\"a\":1.}", "{\"a\":1e}", "{1:2}", "{\"a\"::1}", "[}",
        "{]", "]", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"x\ty\"}",
        "{\"a\":'x'}", "{,}", "[,1]", ":", "{\"a\":1}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ig_error e = run_fail(k_openai, 1024, bad[i], 1, IG_ERR_PROVIDER_BAD_RESPONSE);
        cr_expect(strstr(e.message, "provider response is not valid JSON near byte"),
                  "%s: %s", bad[i], e.message);
    }
    ig_error e = run_fail(k_openai, 1024, "{\"a\":[1,2,x]}", 1, IG_ERR_PROVIDER_BAD_RESPONSE);
    cr_expect(strstr(e.message, "near byte 10 "), "%s", e.message);
}

Test(sink, trailing_garbage)
{
    ig_error e = run_fail(k_openai, 1024, "{\"a\":1} x", 1, IG_ERR_PROVIDER_BAD_RESPONSE);
    cr_expect(strstr(e.message, "near byte 8"), "%s", e.message);
    run_fail(k_openai, 1024, "{\"a\":1}{}", 3, IG_ERR_PROVIDER_BAD_RESPONSE);
    run_fail(k_openai, 1024, "1 2", 3, IG_ERR_PROVIDER_BAD_RESPONSE);
    ig_json_b64_sink *s = new_sink(k_openai, 1024);
    cr_expect_str_eq(run_ok(s, "{\"a\":1} \r\n\t ", 2), "{\"a\":1}");
    ig_json_b64_sink_free(s);
}

Test(sink, depth_limit)
{
    char ok[64 * 2 + 1], bad[65 * 2 + 1];
    memset(ok, '[', 64);
    memset(ok + 64, ']', 64);
    ok[128] = '\0';
    memset(bad, '[', 65);
    memset(bad + 65, ']', 65);
    bad[130] = '\0';
    ig_json_b64_sink *s = new_sink(k_openai, 1024);
    cr_expect_str_eq(run_ok(s, ok, 5), ok);
    ig_json_b64_sink_free(s);
    ig_error e = run_fail(k_openai, 1024, bad, 5, IG_ERR_PROVIDER_BAD_RESPONSE);
    cr_expect(strstr(e.message, "near byte 64") && strstr(e.message, "64 levels"),
              "%s", e.message);
}

Test(sink, skeleton_cap)
{
    /* The image does not count against the cap ... */
    char *enc = b64(png, png_n);
    char *body = fmt("{\"data\":[{\"b64_json\":\"%s\"}]}", enc);
    size_t skel_len = strlen("{\"data\":[{\"b64_json\":\"ig-image:0\"}]}");
    cr_assert_gt(strlen(body), 1000);
    ig_json_b64_sink *s = new_sink(k_openai, skel_len);
    run_ok(s, body, 1000);
    ig_json_b64_sink_free(s);
    /* ... the rest does. */
    ig_error e = run_fail(k_openai, skel_len - 1, body, 1000,
                          IG_ERR_PROVIDER_RESPONSE_TOO_LARGE);
    cr_expect(strstr(e.message, "more than"), "%s", e.message);
    run_fail(k_openai, 100, "{\"revised_prompt\":\"" "0123456789012345678901234567890123456789"
             "0123456789012345678901234567890123456789012345678901234567890123456789\"}",
             7, IG_ERR_PROVIDER_RESPONSE_TOO_LARGE);
    cr_expect_eq(tmp_files(), 0);
    free(body);
    g_free(enc);
}

Test(sink, writes_after_error_refused)
{
    ig_json_b64_sink *s = new_sink(k_openai, 1024);
    ig_error err;
    ig_error_clear(&err);
    cr_assert_neq(ig_json_b64_sink_write(s, "{\"a\":?", 6, &err), 0);
    cr_assert_eq(err.code, IG_ERR_PROVIDER_BAD_RESPONSE);
    char first[sizeof err.message];
    strcpy(first, err.message);
    ig_error_clear(&err);
    cr_expect_neq(ig_json_b64_sink_write(s, "1}", 2, &err), 0);
    cr_expect_eq(err.code, IG_ERR_PROVIDER_BAD_RESPONSE);
    cr_expect_str_eq(err.message, first);
    ig_error_clear(&err);
    cr_expect_null(ig_json_b64_sink_finish(s, &err));
    cr_expect_str_eq(err.message, first);
    ig_json_b64_sink_free(s);

    /* And nothing is accepted after a successful finish. */
    s = new_sink(k_openai, 1024);
    const char *skel = run_ok(s, "{}", 1);
    cr_expect_str_eq(skel, "{}");
    ig_error_clear(&err);
    cr_expect_neq(ig_json_b64_sink_write(s, " ", 1, &err), 0);
    cr_expect_neq(err.code, IG_OK);
    ig_json_b64_sink_free(s);
}

Test(sink, free_aborts_untaken_writers)
{
    char *e1 = b64(png, png_n), *e2 = b64(png2, png2_n);
    char *body = fmt("{\"data\":[{\"b64_json\":\"%s\"},{\"b64_json\":\"%s\"},"
                     "{\"b64_json\":\"%s\"}]}", e1, e2, e1);
    ig_json_b64_sink *s = new_sink(k_openai, 1024);
    run_ok(s, body, 333);
    cr_assert_eq(ig_json_b64_sink_count(s), 3);
    cr_expect_eq(tmp_files(), 3);
    commit_and_compare(s, 1, png2, png2_n);
    cr_expect_eq(tmp_files(), 2);
    ig_json_b64_sink_free(s);
    cr_expect_eq(tmp_files(), 0);
    cr_expect_eq(tu_count_entries(store_dir, "img_"), 2, "one image and its sidecar");

    /* Mid-image: the writer in progress is not handed out, and free removes it. */
    s = new_sink(k_openai, 1024);
    ig_error err;
    ig_error_clear(&err);
    size_t half = (size_t)(strstr(body, e2) - body) + 10;
    cr_assert_eq(feed(s, body, half, 64, &err), 0, "%s", err.message);
    cr_expect_eq(ig_json_b64_sink_count(s), 2);
    cr_expect_null(ig_json_b64_sink_take(s, 1));
    cr_expect_eq(tmp_files(), 2);
    ig_json_b64_sink_free(s);
    cr_expect_eq(tmp_files(), 0);
    ig_json_b64_sink_free(NULL);
    free(body);
    g_free(e1);
    g_free(e2);
}

/* --- the base64 decoder on its own ------------------------------------------ */

/* Decodes text in pieces of `step` characters; returns the rc, output in out. */
static int b64_decode(const char *text, size_t step, unsigned char *out, size_t *n)
{
    ig_b64_stream st;
    ig_b64_stream_init(&st);
    *n = 0;
    size_t len = strlen(text), bad = 0;
    for (size_t off = 0; off < len; off += step) {
        size_t k = len - off < step ? len - off : step;
        int rc = ig_b64_stream_feed(&st, text + off, k, out, n, &bad);
        if (rc != IG_B64_OK)
            return rc;
    }
    return ig_b64_stream_finish(&st, out, n);
}

Test(sink, base64_stream_decoder)
{
    struct { const char *in, *out; } ok[] = {
        {"", ""}, {"QQ==", "A"}, {"QUI=", "AB"}, {"QUJD", "ABC"}, {"QQ", "A"},
        {"QUI", "AB"}, {" Q U\nJ\tD\r\n ", "ABC"}, {"QUJDRA==  ", "ABCD"},
        {"Pz8/Pz8+", "????" "?>"},
    };
    for (size_t step = 1; step <= 4; step++)
        for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
            unsigned char out[64];
            size_t n;
            cr_assert_eq(b64_decode(ok[i].in, step, out, &n), IG_B64_OK, "%s", ok[i].in);
            cr_expect_eq(n, strlen(ok[i].out), "%s", ok[i].in);
            cr_expect(memcmp(out, ok[i].out, n) == 0, "%s", ok[i].in);
        }
    const char *bad[] = {"Q", "QUJDQ", "=", "Q===", "QQ=", "QQ==QQ==", "QQ=A", "QU-D", "QU_D"};
    for (size_t step = 1; step <= 4; step++)
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            unsigned char out[64];
            size_t n;
            cr_expect_neq(b64_decode(bad[i], step, out, &n), IG_B64_OK, "%s", bad[i]);
        }
    /* Every length and byte value survives a g_base64 round trip. */
    unsigned char raw[300];
    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (unsigned char)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof raw; len += 1) {
        char *enc = g_base64_encode(raw, len);
        unsigned char out[sizeof raw + 3];
        size_t n;
        cr_assert_eq(b64_decode(enc, 1 + len % 7, out, &n), IG_B64_OK);
        cr_assert_eq(n, len);
        cr_assert(memcmp(out, raw, len) == 0);
        g_free(enc);
    }
}

/* --- memory ------------------------------------------------------------------ */

#define BIG_RAW (20u << 20)      /* 20 MiB of image bytes */
#define RAW_CHUNK (48u * 1024)   /* encodes to exactly 64 KiB of base64 */

typedef struct mem_report {
    long before_kb, after_kb;
    long long file_bytes;
    int tmp_files;
    size_t count;
    int ok;
    char message[800];
} mem_report;

/* Streams a 20 MiB image (about 27 MiB of base64) through a sink in 64 KiB
 * chunks, encoding on the fly so the body never exists in memory. */
static void stream_big(mem_report *r)
{
    static unsigned char raw[RAW_CHUNK];
    static char enc[RAW_CHUNK * 4 / 3 + 16];
    struct rusage ru;
    ig_error err;
    ig_error_clear(&err);
    ig_json_b64_sink *s = ig_json_b64_sink_new(store, k_openai, 1 << 20, &err);
    const char *head = "{\"created\":1,\"data\":[{\"b64_json\":\"";
    const char *tail = "\",\"revised_prompt\":\"big\"}]}";
    getrusage(RUSAGE_SELF, &ru);
    r->before_kb = ru.ru_maxrss;
    int rc = s ? ig_json_b64_sink_write(s, head, strlen(head), &err) : -1;
    uint32_t x = 2463534242u;
    gint state = 0, save = 0;
    for (size_t done = 0; rc == 0 && done < BIG_RAW; done += RAW_CHUNK) {
        size_t len = BIG_RAW - done < RAW_CHUNK ? BIG_RAW - done : RAW_CHUNK;
        for (size_t i = 0; i < len; i++) { /* xorshift: incompressible */
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            raw[i] = (unsigned char)x;
        }
        gsize n = g_base64_encode_step(raw, len, FALSE, enc, &state, &save);
        if (done + len >= BIG_RAW)
            n += g_base64_encode_close(FALSE, enc + n, &state, &save);
        rc = ig_json_b64_sink_write(s, enc, n, &err);
    }
    if (rc == 0)
        rc = ig_json_b64_sink_write(s, tail, strlen(tail), &err);
    const char *skel = rc == 0 ? ig_json_b64_sink_finish(s, &err) : NULL;
    getrusage(RUSAGE_SELF, &ru);
    r->after_kb = ru.ru_maxrss;
    r->ok = skel && !strcmp(skel, "{\"created\":1,\"data\":[{\"b64_json\":\"ig-image:0\","
                                  "\"revised_prompt\":\"big\"}]}");
    snprintf(r->message, sizeof r->message, "%s", skel ? skel : err.message);
    r->count = ig_json_b64_sink_count(s);
    r->tmp_files = tmp_files();
    r->file_bytes = -1;
    DIR *d = opendir(store_dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strncmp(e->d_name, ".tmp-", 5)) {
            char p[8192];
            struct stat st;
            snprintf(p, sizeof p, "%s/%s", store_dir, e->d_name);
            if (stat(p, &st) == 0)
                r->file_bytes = (long long)st.st_size;
        }
    }
    if (d)
        closedir(d);
    ig_json_b64_sink_free(s);
}

/* No test images here: the forked child must not inherit libvips worker
 * threads (their per-thread caches would show up as leaks under valgrind). */
static void setup_store_only(void)
{
    root = tu_make_temp_dir("ig-sink-mem");
    snprintf(store_dir, sizeof store_dir, "%s/images", root);
    ig_error err;
    ig_error_clear(&err);
    store = ig_store_open(store_dir, &err);
    cr_assert_not_null(store, "%s", err.message);
}

TestSuite(sink_memory, .init = setup_store_only, .fini = teardown, .timeout = 280);

Test(sink_memory, big_image_memory_bound)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        close(fds[0]);
        mem_report r;
        memset(&r, 0, sizeof r);
        stream_big(&r);
        ssize_t w = write(fds[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fds[1]);
    mem_report r;
    ssize_t got = read(fds[0], &r, sizeof r);
    close(fds[0]);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed");
    cr_assert_eq(got, (ssize_t)sizeof r);
    cr_assert(r.ok, "%s", r.message);
    cr_expect_eq(r.count, 1);
    cr_expect_eq(r.tmp_files, 1);
    cr_expect_eq(r.file_bytes, (long long)BIG_RAW, "decoded %lld bytes", r.file_bytes);
    long growth = r.after_kb - r.before_kb;
    fprintf(stderr, "json_b64_sink: 20 MiB image (%u base64 bytes) streamed; "
            "peak RSS %ld -> %ld KiB (growth %ld KiB)\n",
            (unsigned)((BIG_RAW + 2) / 3 * 4), r.before_kb, r.after_kb, growth);
    cr_expect_lt(growth, 8 * 1024, "peak RSS grew by %ld KiB", growth);
    cr_expect_eq(tmp_files(), 0, "the child's free removed the temp file");
}
