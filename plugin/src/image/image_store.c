/*
 * image_store.c - see image_store.h.
 *
 * Every write goes to "<dir>/.tmp-XXXXXX" (mkostemp: 0600, O_CLOEXEC), is
 * fsync'd, renamed onto its final name and followed by an fsync of the
 * directory. Names are derived from the content, so two threads storing the
 * same bytes rename identical files onto the same name, which is harmless.
 */
#include "image/image_store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/image_probe.h"

struct ig_image_store {
    char dir[4000]; /* absolute, no trailing slash; leaves room for names */
    int dir_fd;     /* for fsync after renames */
};

struct ig_store_writer {
    ig_image_store *store;
    int fd;
    char tmp_path[4096];
    GChecksum *sum;
    uint64_t bytes;
    bool failed;
};

static const char *const hint_store =
    "Check that the image directory exists and is writable, or set "
    "imageGeneration.imageDir in the config to another directory.";

static int store_fail(ig_error *err, const char *what, const char *path, int e)
{
    ig_fail(err, IG_ERR_STORE_FAILED, NULL, "image store: cannot %s %s: %s",
            what, path, strerror(e));
    ig_error_hint(err, "%s", hint_store);
    return -1;
}

/* Joins a/b into out; false when it does not fit. */
static bool join(char *out, size_t cap, const char *a, const char *b)
{
    int n = snprintf(out, cap, "%s%s", a, b);
    return n >= 0 && (size_t)n < cap;
}

int ig_store_choose_dir(const char *config_dir, char *out, size_t cap,
                        ig_error *err)
{
    const char *v;
    bool ok = false;
    if (config_dir && *config_dir)
        ok = join(out, cap, config_dir, "");
    else if ((v = getenv("AGENTOS_IMAGE_DIR")) && *v)
        ok = join(out, cap, v, "");
    else if ((v = getenv("XDG_DATA_HOME")) && v[0] == '/') /* XDG: absolute only */
        ok = join(out, cap, v, "/agentos/images");
    else if ((v = getenv("HOME")) && *v)
        ok = join(out, cap, v, "/.local/share/agentos/images");
    else {
        ig_fail(err, IG_ERR_STORE_FAILED, "imageGeneration.imageDir",
                "no image directory: imageGeneration.imageDir is not set and "
                "neither AGENTOS_IMAGE_DIR, XDG_DATA_HOME nor HOME is");
        ig_error_hint(err, "Set imageGeneration.imageDir in the config to an "
                           "absolute directory path.");
        return -1;
    }
    if (!ok) {
        if (cap)
            out[0] = '\0';
        return ig_fail(err, IG_ERR_STORE_FAILED, "imageGeneration.imageDir",
                       "the image directory path is too long (limit %zu bytes)",
                       cap ? cap - 1 : 0);
    }
    return 0;
}

/* mkdir -p with 0700 for every component it creates; *created_leaf says
 * whether the last component is new. */
static int make_dirs(const char *dir, bool *created_leaf, ig_error *err)
{
    char path[4096];
    if (!join(path, sizeof path, dir, ""))
        return ig_fail(err, IG_ERR_STORE_FAILED, NULL,
                       "image store: directory path is too long");
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        bool made = mkdir(path, 0700) == 0;
        if (!made && errno != EEXIST)
            return store_fail(err, "create directory", path, errno);
        *created_leaf = made;
        *p = saved;
        if (saved == '\0')
            return 0;
    }
}

ig_image_store *ig_store_open(const char *dir, ig_error *err)
{
    if (!dir || !*dir) {
        ig_fail(err, IG_ERR_STORE_FAILED, NULL, "image store: no directory given");
        ig_error_hint(err, "%s", hint_store);
        return NULL;
    }
    bool created = false;
    if (make_dirs(dir, &created, err) != 0)
        return NULL;
    struct stat st;
    if (stat(dir, &st) != 0) {
        store_fail(err, "open directory", dir, errno);
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        store_fail(err, "use directory", dir, ENOTDIR);
        return NULL;
    }
    /* A directory we just made is exactly 0700 whatever the umask; one that
     * already existed keeps its mode (it may be /tmp or a home directory:
     * whoever chose it chose its sharing) but must be writable. Image files
     * are 0600 either way. */
    if (created && (st.st_mode & 0777) != 0700 && chmod(dir, 0700) != 0) {
        store_fail(err, "set mode 0700 on", dir, errno);
        return NULL;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        store_fail(err, "write to directory", dir, errno);
        return NULL;
    }
    ig_image_store *s = calloc(1, sizeof *s);
    if (!s) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    char *abs = realpath(dir, NULL);
    bool fits = abs && join(s->dir, sizeof s->dir, abs, "") &&
                strlen(abs) + 64 < sizeof s->dir; /* room for "/<id>.json" */
    int e = abs ? ENAMETOOLONG : errno;
    free(abs);
    if (!fits) {
        free(s);
        store_fail(err, "resolve directory", dir, e);
        return NULL;
    }
    s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dir_fd < 0) {
        store_fail(err, "open directory", s->dir, errno);
        free(s);
        return NULL;
    }
    return s;
}

void ig_store_close(ig_image_store *store)
{
    if (!store)
        return;
    close(store->dir_fd);
    free(store);
}

const char *ig_store_dir(const ig_image_store *store)
{
    return store ? store->dir : NULL;
}

void ig_image_id_for(const unsigned char *data, size_t size, char *id_out,
                     char *sha_out)
{
    static const unsigned char empty = 0;
    gchar *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                             data ? data : &empty, size);
    if (id_out)
        snprintf(id_out, IG_IMAGE_ID_LEN + 1, "img_%.24s", hex ? hex : "");
    if (sha_out)
        snprintf(sha_out, 65, "%s", hex ? hex : "");
    g_free(hex);
}

/* Writes all of data, retrying short writes and EINTR. */
static int write_all(int fd, const void *data, size_t size)
{
    const char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

/* Creates "<dir>/.tmp-XXXXXX" (0600, close-on-exec); returns fd or -1. */
static int make_temp(const ig_image_store *s, char *path, size_t cap,
                     ig_error *err)
{
    if (!join(path, cap, s->dir, "/.tmp-XXXXXX")) {
        ig_fail(err, IG_ERR_STORE_FAILED, NULL, "image store: path too long");
        return -1;
    }
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0)
        store_fail(err, "create a file in", s->dir, errno);
    return fd;
}

/* Writes data to a temp file and renames it onto final_path atomically. */
static int write_atomic(const ig_image_store *s, const char *final_path,
                        const void *data, size_t size, ig_error *err)
{
    char tmp[4096];
    int fd = make_temp(s, tmp, sizeof tmp, err);
    if (fd < 0)
        return -1;
    int rc = 0;
    if (write_all(fd, data, size) != 0 || fsync(fd) != 0)
        rc = store_fail(err, "write", tmp, errno);
    if (close(fd) != 0 && rc == 0)
        rc = store_fail(err, "write", tmp, errno);
    if (rc == 0 && rename(tmp, final_path) != 0)
        rc = store_fail(err, "rename a file onto", final_path, errno);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* True when path is a regular file of exactly size bytes (already stored). */
static bool same_size_file(const char *path, uint64_t size)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           (uint64_t)st.st_size == size;
}

/* Sets key on obj, replacing any value the caller's metadata had there. */
static void set_item(cJSON *obj, const char *key, cJSON *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddItemToObject(obj, key, value);
}

/* Builds and atomically writes the sidecar "<dir>/<id>.json". */
static int write_sidecar(const ig_image_store *s, const ig_stored_image *img,
                         const cJSON *meta, ig_error *err)
{
    if (meta && !cJSON_IsObject(meta))
        return ig_fail(err, IG_ERR_INTERNAL, NULL,
                       "image store: sidecar metadata is not a JSON object");
    cJSON *doc = meta ? cJSON_Duplicate(meta, true) : cJSON_CreateObject();
    char created[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char *text = NULL;
    if (doc) {
        set_item(doc, "id", cJSON_CreateString(img->id));
        set_item(doc, "sha256", cJSON_CreateString(img->sha256));
        set_item(doc, "mimeType", cJSON_CreateString(img->mime_type));
        set_item(doc, "width", cJSON_CreateNumber(img->width));
        set_item(doc, "height", cJSON_CreateNumber(img->height));
        set_item(doc, "bytes", cJSON_CreateNumber((double)img->bytes));
        set_item(doc, "createdAt", cJSON_CreateString(created));
        text = cJSON_Print(doc);
        cJSON_Delete(doc);
    }
    if (!text)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", s->dir, img->id);
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL: the buffer is only written out */
    int rc = write_atomic(s, path, text, len + 1, err);
    cJSON_free(text);
    return rc;
}

/* Fills out's naming fields from the hex sha256 and mime type. */
static void name_image(const ig_image_store *s, const char *sha,
                       const ig_image_info *info, uint64_t bytes,
                       ig_stored_image *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "img_%.24s", sha);
    snprintf(out->sha256, sizeof out->sha256, "%s", sha);
    snprintf(out->mime_type, sizeof out->mime_type, "%s", info->mime_type);
    snprintf(out->path, sizeof out->path, "%s/%s.%s", s->dir, out->id,
             ig_mime_extension(info->mime_type));
    out->bytes = bytes;
    out->width = info->width;
    out->height = info->height;
}

/* After the image file is in place: sidecar, then directory fsync. */
static int finish_put(ig_image_store *s, const cJSON *meta,
                      const ig_stored_image *img, ig_error *err)
{
    if (write_sidecar(s, img, meta, err) != 0)
        return -1;
    if (fsync(s->dir_fd) != 0)
        return store_fail(err, "sync directory", s->dir, errno);
    return 0;
}

int ig_store_put(ig_image_store *store, const unsigned char *data, size_t size,
                 const cJSON *meta, ig_stored_image *out, ig_error *err)
{
    ig_stored_image img;
    ig_image_info info;
    if (!store)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "image store is not open");
    if (meta && !cJSON_IsObject(meta))
        return ig_fail(err, IG_ERR_INTERNAL, NULL,
                       "image store: sidecar metadata is not a JSON object");
    if (ig_image_probe(data, size, 0, true, NULL, &info, err) != 0)
        return -1;
    char sha[65];
    ig_image_id_for(data, size, NULL, sha);
    name_image(store, sha, &info, size, &img);
    if (!same_size_file(img.path, size) &&
        write_atomic(store, img.path, data, size, err) != 0)
        return -1;
    if (finish_put(store, meta, &img, err) != 0)
        return -1;
    if (out)
        *out = img;
    return 0;
}

ig_store_writer *ig_store_writer_begin(ig_image_store *store, ig_error *err)
{
    if (!store) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "image store is not open");
        return NULL;
    }
    ig_store_writer *w = calloc(1, sizeof *w);
    if (!w) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    w->store = store;
    w->fd = make_temp(store, w->tmp_path, sizeof w->tmp_path, err);
    if (w->fd < 0) {
        free(w);
        return NULL;
    }
    w->sum = g_checksum_new(G_CHECKSUM_SHA256);
    return w;
}

int ig_store_writer_append(ig_store_writer *w, const void *data, size_t size,
                           ig_error *err)
{
    if (!w)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "no image writer");
    if (w->failed)
        return ig_fail(err, IG_ERR_STORE_FAILED, NULL,
                       "image store: an earlier write to %s failed", w->tmp_path);
    if (size == 0)
        return 0;
    if (write_all(w->fd, data, size) != 0) {
        w->failed = true;
        return store_fail(err, "write", w->tmp_path, errno);
    }
    for (size_t off = 0; off < size;) { /* gssize-sized pieces */
        size_t n = size - off < (size_t)G_MAXSSIZE ? size - off : (size_t)G_MAXSSIZE;
        g_checksum_update(w->sum, (const guchar *)data + off, (gssize)n);
        off += n;
    }
    w->bytes += size;
    return 0;
}

/* Probes the written temp file by mapping it read-only. */
static int probe_temp(ig_store_writer *w, ig_image_info *info, ig_error *err)
{
    if (w->bytes > SIZE_MAX)
        return ig_fail(err, IG_ERR_IMAGE_TOO_LARGE, NULL, "image too large");
    if (w->bytes == 0)
        return ig_image_probe(NULL, 0, 0, true, NULL, info, err);
    void *map = mmap(NULL, (size_t)w->bytes, PROT_READ, MAP_PRIVATE, w->fd, 0);
    if (map == MAP_FAILED)
        return store_fail(err, "read back", w->tmp_path, errno);
    int rc = ig_image_probe(map, (size_t)w->bytes, 0, true, NULL, info, err);
    munmap(map, (size_t)w->bytes);
    return rc;
}

/* Releases the writer's resources, removing the temp file if still there. */
static void writer_free(ig_store_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp_path[0])
        unlink(w->tmp_path);
    g_checksum_free(w->sum);
    free(w);
}

int ig_store_writer_commit(ig_store_writer *w, const cJSON *meta,
                           ig_stored_image *out, ig_error *err)
{
    if (!w)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "no image writer");
    ig_image_info info;
    ig_stored_image img;
    int rc = -1;
    if (w->failed) {
        ig_fail(err, IG_ERR_STORE_FAILED, NULL,
                "image store: an earlier write to %s failed", w->tmp_path);
        goto done;
    }
    if (meta && !cJSON_IsObject(meta)) {
        ig_fail(err, IG_ERR_INTERNAL, NULL,
                "image store: sidecar metadata is not a JSON object");
        goto done;
    }
    if (fsync(w->fd) != 0) {
        store_fail(err, "write", w->tmp_path, errno);
        goto done;
    }
    if (probe_temp(w, &info, err) != 0)
        goto done;
    name_image(w->store, g_checksum_get_string(w->sum), &info, w->bytes, &img);
    if (!same_size_file(img.path, w->bytes)) {
        if (rename(w->tmp_path, img.path) != 0) {
            store_fail(err, "rename a file onto", img.path, errno);
            goto done;
        }
        w->tmp_path[0] = '\0'; /* nothing left to unlink */
    }
    if (finish_put(w->store, meta, &img, err) != 0)
        goto done;
    if (out)
        *out = img;
    rc = 0;
done:
    writer_free(w);
    return rc;
}

void ig_store_writer_abort(ig_store_writer *w)
{
    if (w)
        writer_free(w);
}

/* "img_" followed by exactly 24 lowercase hex digits. */
bool ig_image_id_valid(const char *id)
{
    if (!id || strncmp(id, "img_", 4) != 0 || strlen(id) != IG_IMAGE_ID_LEN)
        return false;
    for (const char *p = id + 4; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

int ig_store_find(const ig_image_store *store, const char *id,
                  const char *field, char *path_out, size_t cap,
                  ig_error *err)
{
    const char *f = field ? field : "image";
    if (!ig_image_id_valid(id)) {
        ig_fail(err, IG_ERR_IMAGE_NOT_FOUND, field,
                "%s: \"%.64s\" is not a valid image id (expected \"img_\" "
                "followed by 24 lowercase hex digits)", f, id ? id : "");
        ig_error_hint(err, "Use the id exactly as an earlier result reported it.");
        return -1;
    }
    static const char *const exts[] = {"png", "jpg", "webp"};
    for (size_t i = 0; store && i < sizeof exts / sizeof exts[0]; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s.%s", store->dir, id, exts[i]);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (!join(path_out, cap, path, ""))
            return ig_fail(err, IG_ERR_INTERNAL, field, "image path too long");
        return 0;
    }
    ig_fail(err, IG_ERR_IMAGE_NOT_FOUND, field,
            "%s: no stored image with id %s%s%s", f, id,
            store ? " in " : " (no image store is open)",
            store ? store->dir : "");
    ig_error_hint(err, "Ids come from earlier results of this extension; the "
                       "file may have been deleted. Pass a file path or URL instead.");
    return -1;
}
