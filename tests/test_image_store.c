/* test_image_store.c - the content-addressed image directory. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image_probe.h"
#include "image/image_store.h"
#include "support/test_images.h"
#include "support/test_util.h"

static char *root;

static void setup(void)
{
    root = tu_make_temp_dir("ig-store");
}

static void teardown(void)
{
    tu_remove_tree(root);
    free(root);
}

TestSuite(store, .init = setup, .fini = teardown);

static ig_image_store *open_store(const char *sub)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", root, sub);
    ig_error err;
    ig_error_clear(&err);
    ig_image_store *s = ig_store_open(dir, &err);
    cr_assert_not_null(s, "open %s: %s", dir, err.message);
    return s;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "stat %s", path);
    return st.st_mode & 07777;
}

static bool is_id(const char *id)
{
    if (strlen(id) != IG_IMAGE_ID_LEN || strncmp(id, "img_", 4))
        return false;
    return strspn(id + 4, "0123456789abcdef") == 24;
}

Test(store, put_writes_file_sidecar_and_modes)
{
    ig_image_store *s = open_store("a/b/images");
    cr_expect_eq(mode_of(ig_store_dir(s)), 0700);
    size_t n;
    unsigned char *png = ti_encode("png", 40, 30, 4, &n);
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "tool", "generate_image");
    cJSON_AddStringToObject(meta, "prompt", "a red fox");
    cJSON_AddStringToObject(meta, "id", "caller cannot override this");
    ig_stored_image out;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_store_put(s, png, n, meta, &out, &err), 0, "%s", err.message);
    cr_expect(is_id(out.id), "id %s", out.id);
    char sha[65], id[IG_IMAGE_ID_LEN + 1];
    ig_image_id_for(png, n, id, sha);
    cr_expect_str_eq(out.id, id);
    cr_expect_str_eq(out.sha256, sha);
    cr_expect_eq(strncmp(out.id + 4, sha, 24), 0);
    cr_expect_str_eq(out.mime_type, "image/png");
    cr_expect_eq(out.width, 40);
    cr_expect_eq(out.height, 30);
    cr_expect_eq(out.bytes, n);
    char want[4096];
    snprintf(want, sizeof want, "%s/%s.png", ig_store_dir(s), out.id);
    cr_expect_str_eq(out.path, want);
    cr_expect_eq(mode_of(out.path), 0600);
    size_t got;
    char *bytes = tu_read_file(out.path, &got);
    cr_assert_not_null(bytes);
    cr_expect(got == n && !memcmp(bytes, png, n), "stored bytes differ");
    free(bytes);

    snprintf(want, sizeof want, "%s/%s.json", ig_store_dir(s), out.id);
    cr_expect_eq(mode_of(want), 0600);
    char *text = tu_read_file(want, NULL);
    cr_assert_not_null(text);
    cJSON *doc = cJSON_Parse(text);
    cr_assert_not_null(doc, "sidecar is not JSON: %s", text);
    cr_expect(strchr(text, '\n') < text + strlen(text) - 1, "not pretty-printed");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "tool")), "generate_image");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "prompt")), "a red fox");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "id")), out.id);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "sha256")), sha);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "mimeType")), "image/png");
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "width")), 40);
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "height")), 30);
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "bytes")), (double)n);
    const char *created = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "createdAt"));
    cr_assert_not_null(created);
    cr_expect_eq(strlen(created), 20, "createdAt %s", created);
    cr_expect(created[4] == '-' && created[10] == 'T' && created[19] == 'Z', "%s", created);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), ".tmp-"), 0);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), NULL), 2);
    cJSON_Delete(doc);
    free(text);
    cJSON_Delete(meta);
    free(png);
    ig_store_close(s);
}

Test(store, jpeg_and_webp_extensions)
{
    ig_image_store *s = open_store("x");
    const char *fmts[] = {"jpeg", "webp"};
    const char *exts[] = {".jpg", ".webp"};
    for (int i = 0; i < 2; i++) {
        size_t n;
        unsigned char *d = ti_encode(fmts[i], 16, 16, 3, &n);
        ig_stored_image out;
        ig_error err;
        ig_error_clear(&err);
        cr_assert_eq(ig_store_put(s, d, n, NULL, &out, &err), 0, "%s", err.message);
        const char *dot = strrchr(out.path, '.');
        cr_expect_str_eq(dot, exts[i]);
        free(d);
    }
    ig_store_close(s);
}

Test(store, same_content_same_id_one_file)
{
    ig_image_store *s = open_store("x");
    size_t n;
    unsigned char *png = ti_encode("png", 20, 20, 3, &n);
    ig_stored_image a, b;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_store_put(s, png, n, NULL, &a, &err), 0);
    cr_assert_eq(ig_store_put(s, png, n, NULL, &b, &err), 0);
    cr_expect_str_eq(a.id, b.id);
    cr_expect_str_eq(a.path, b.path);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), "img_"), 2); /* file + sidecar */
    unsigned char *other = ti_encode("png", 21, 20, 3, &n);
    cr_assert_eq(ig_store_put(s, other, n, NULL, &b, &err), 0);
    cr_expect_str_neq(a.id, b.id);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), "img_"), 4);
    free(other);
    free(png);
    ig_store_close(s);
}

Test(store, find_by_id_and_malformed_ids)
{
    ig_image_store *s = open_store("x");
    size_t n;
    unsigned char *png = ti_encode("png", 20, 20, 3, &n);
    ig_stored_image a;
    ig_error err;
    ig_error_clear(&err);
    cr_assert_eq(ig_store_put(s, png, n, NULL, &a, &err), 0);
    char path[4096];
    cr_assert_eq(ig_store_find(s, a.id, "image", path, sizeof path, &err), 0,
                 "%s", err.message);
    cr_expect_str_eq(path, a.path);

    const char *bad[] = {"img_", "img_0123", "img_0123456789abcdef0123456g",
                         "img_0123456789ABCDEF01234567", "../../etc/passwd",
                         "img_0123456789abcdef012345678", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ig_error_clear(&err);
        cr_expect_eq(ig_store_find(s, bad[i], "image", path, sizeof path, &err), -1);
        cr_expect_eq(err.code, IG_ERR_IMAGE_NOT_FOUND);
        cr_expect(strstr(err.message, "not a valid image id"), "%s", err.message);
    }
    ig_error_clear(&err);
    cr_expect_eq(ig_store_find(s, "img_0123456789abcdef01234567", "mask", path,
                               sizeof path, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_NOT_FOUND);
    cr_expect_str_eq(err.field, "mask");
    cr_expect(strstr(err.message, "no stored image"), "%s", err.message);
    free(png);
    ig_store_close(s);
}

Test(store, put_refuses_non_images_without_leftovers)
{
    ig_image_store *s = open_store("x");
    ig_stored_image out;
    ig_error err;
    ig_error_clear(&err);
    cr_expect_eq(ig_store_put(s, (const unsigned char *)"hello", 5, NULL, &out, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_UNREADABLE);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), NULL), 0);
    ig_store_close(s);
}

Test(store, writer_commit)
{
    ig_image_store *s = open_store("x");
    size_t n;
    unsigned char *webp = ti_encode("webp", 64, 48, 4, &n);
    ig_error err;
    ig_error_clear(&err);
    ig_store_writer *w = ig_store_writer_begin(s, &err);
    cr_assert_not_null(w, "%s", err.message);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), ".tmp-"), 1);
    for (size_t off = 0; off < n; off += 1000)
        cr_assert_eq(ig_store_writer_append(w, webp + off, n - off < 1000 ? n - off : 1000,
                                            &err), 0, "%s", err.message);
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "provider", "test");
    ig_stored_image out;
    cr_assert_eq(ig_store_writer_commit(w, meta, &out, &err), 0, "%s", err.message);
    char id[IG_IMAGE_ID_LEN + 1];
    ig_image_id_for(webp, n, id, NULL);
    cr_expect_str_eq(out.id, id);
    cr_expect_str_eq(out.mime_type, "image/webp");
    cr_expect_eq(out.width, 64);
    cr_expect_eq(out.bytes, n);
    cr_expect_eq(mode_of(out.path), 0600);
    char path[4096];
    cr_expect_eq(ig_store_find(s, out.id, "image", path, sizeof path, &err), 0);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), ".tmp-"), 0);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), NULL), 2);
    cJSON_Delete(meta);
    free(webp);
    ig_store_close(s);
}

Test(store, writer_abort_and_failed_commit_leave_nothing)
{
    ig_image_store *s = open_store("x");
    ig_error err;
    ig_error_clear(&err);
    ig_store_writer *w = ig_store_writer_begin(s, &err);
    cr_assert_not_null(w);
    cr_assert_eq(ig_store_writer_append(w, "abc", 3, &err), 0);
    ig_store_writer_abort(w);
    ig_store_writer_abort(NULL);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), NULL), 0);

    /* a truncated PNG is refused at commit and its temp file removed */
    size_t n;
    unsigned char *png = ti_encode("png", 100, 100, 3, &n);
    w = ig_store_writer_begin(s, &err);
    cr_assert_not_null(w);
    cr_assert_eq(ig_store_writer_append(w, png, n / 2, &err), 0);
    ig_stored_image out;
    cr_expect_eq(ig_store_writer_commit(w, NULL, &out, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_UNREADABLE, "%s", err.message);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), NULL), 0);

    ig_error_clear(&err); /* an empty commit */
    w = ig_store_writer_begin(s, &err);
    cr_assert_not_null(w);
    cr_expect_eq(ig_store_writer_commit(w, NULL, &out, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_UNREADABLE);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), NULL), 0);
    free(png);
    ig_store_close(s);
}

Test(store, existing_dir_keeps_its_mode)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/shared", root);
    cr_assert_eq(mkdir(dir, 0777), 0);
    cr_assert_eq(chmod(dir, 01777), 0); /* like /tmp */
    ig_image_store *s = open_store("shared");
    cr_assert(s);
    cr_expect_eq(mode_of(dir), 01777, "an existing directory was re-moded");
    ig_store_close(s);
}

Test(store, created_dir_is_0700_whatever_the_umask)
{
    mode_t old = umask(0);
    ig_image_store *s = open_store("made/under/zero/umask");
    umask(old);
    cr_assert(s);
    cr_expect_eq(mode_of(ig_store_dir(s)), 0700);
    ig_store_close(s);
}

Test(store, open_failures)
{
    char file[4096];
    snprintf(file, sizeof file, "%s/plainfile", root);
    cr_assert_eq(tu_write_file(file, "x", 1), 0);
    ig_error err;
    ig_error_clear(&err);
    cr_expect_null(ig_store_open(file, &err));
    cr_expect_eq(err.code, IG_ERR_STORE_FAILED);
    cr_expect(strstr(err.message, file), "%s", err.message);
    char below[4200];
    snprintf(below, sizeof below, "%s/sub", file);
    ig_error_clear(&err);
    cr_expect_null(ig_store_open(below, &err));
    cr_expect_eq(err.code, IG_ERR_STORE_FAILED);
    ig_error_clear(&err);
    cr_expect_null(ig_store_open("", &err));
    cr_expect_eq(err.code, IG_ERR_STORE_FAILED);
}

Test(store, choose_dir_order)
{
    char out[4096];
    ig_error err;
    ig_error_clear(&err);
    setenv("AGENTOS_IMAGE_DIR", "/env/images", 1);
    setenv("XDG_DATA_HOME", "/xdg", 1);
    setenv("HOME", "/home/u", 1);
    cr_assert_eq(ig_store_choose_dir("/cfg/dir", out, sizeof out, &err), 0);
    cr_expect_str_eq(out, "/cfg/dir");
    cr_assert_eq(ig_store_choose_dir("", out, sizeof out, &err), 0);
    cr_expect_str_eq(out, "/env/images");
    unsetenv("AGENTOS_IMAGE_DIR");
    cr_assert_eq(ig_store_choose_dir(NULL, out, sizeof out, &err), 0);
    cr_expect_str_eq(out, "/xdg/agentos/images");
    setenv("XDG_DATA_HOME", "relative/ignored", 1);
    cr_assert_eq(ig_store_choose_dir(NULL, out, sizeof out, &err), 0);
    cr_expect_str_eq(out, "/home/u/.local/share/agentos/images");
    unsetenv("XDG_DATA_HOME");
    cr_assert_eq(ig_store_choose_dir(NULL, out, sizeof out, &err), 0);
    cr_expect_str_eq(out, "/home/u/.local/share/agentos/images");
    char tiny[8];
    cr_expect_eq(ig_store_choose_dir(NULL, tiny, sizeof tiny, &err), -1);
    cr_expect_eq(err.code, IG_ERR_STORE_FAILED);
    unsetenv("HOME");
    ig_error_clear(&err);
    cr_expect_eq(ig_store_choose_dir(NULL, out, sizeof out, &err), -1);
    cr_expect_eq(err.code, IG_ERR_STORE_FAILED);
}

typedef struct put_job {
    ig_image_store *store;
    const unsigned char *shared;
    size_t shared_size;
    unsigned char *own;
    size_t own_size;
    char shared_id[IG_IMAGE_ID_LEN + 1];
    char own_id[IG_IMAGE_ID_LEN + 1];
    int failures;
} put_job;

static void *put_many(void *arg)
{
    put_job *job = arg;
    for (int i = 0; i < 10; i++) {
        ig_stored_image a, b;
        ig_error err;
        ig_error_clear(&err);
        if (ig_store_put(job->store, job->shared, job->shared_size, NULL, &a, &err) ||
            ig_store_put(job->store, job->own, job->own_size, NULL, &b, &err)) {
            job->failures++;
            continue;
        }
        memcpy(job->shared_id, a.id, sizeof a.id);
        memcpy(job->own_id, b.id, sizeof b.id);
    }
    return NULL;
}

Test(store, concurrent_puts, .timeout = 120)
{
    ig_image_store *s = open_store("x");
    size_t n;
    unsigned char *shared = ti_encode("png", 50, 50, 3, &n);
    put_job jobs[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        jobs[i] = (put_job){.store = s, .shared = shared, .shared_size = n};
        jobs[i].own = ti_encode("png", 30 + i, 20, 3, &jobs[i].own_size);
    }
    for (int i = 0; i < 8; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, put_many, &jobs[i]), 0);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 8; i++) {
        cr_expect_eq(jobs[i].failures, 0);
        cr_expect_str_eq(jobs[i].shared_id, jobs[0].shared_id);
        char path[4096];
        ig_error err;
        ig_error_clear(&err);
        cr_expect_eq(ig_store_find(s, jobs[i].own_id, "image", path, sizeof path, &err), 0);
        size_t got;
        char *bytes = tu_read_file(path, &got);
        cr_expect(bytes && got == jobs[i].own_size &&
                  !memcmp(bytes, jobs[i].own, got), "stored image %d differs", i);
        free(bytes);
        free(jobs[i].own);
    }
    /* 9 distinct images, each with a sidecar, and no temp files */
    cr_expect_eq(tu_count_entries(ig_store_dir(s), "img_"), 18);
    cr_expect_eq(tu_count_entries(ig_store_dir(s), ".tmp-"), 0);
    free(shared);
    ig_store_close(s);
}
