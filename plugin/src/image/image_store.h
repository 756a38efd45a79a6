/*
 * image_store.h - the directory where every image a tool returns is kept.
 *
 * Files are named by content hash: <dir>/img_<first 24 hex of sha256>.<ext>,
 * with a JSON sidecar <dir>/img_<...>.json (tool, prompt, provider, model,
 * seed, parents, createdAt, ...). Writes are atomic (temp file in the same
 * directory, fsync, rename), the directory is 0700 and files 0600.
 * The id ("img_<24 hex>") is what results report and what later calls may
 * pass as an image input.
 *
 * An ig_image_store is immutable after open and safe to share between
 * threads; concurrent writes of the same content are harmless (same name).
 */
#ifndef IG_IMAGE_STORE_H
#define IG_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ig_error.h"

typedef struct cJSON cJSON;
typedef struct ig_image_store ig_image_store;

#define IG_IMAGE_ID_LEN 28 /* "img_" + 24 hex digits */

typedef struct ig_stored_image {
    char id[IG_IMAGE_ID_LEN + 1];
    char path[4096];
    char mime_type[16];
    char sha256[65];
    uint64_t bytes;
    int width;
    int height;
} ig_stored_image;

/*
 * Chooses the directory: config_dir if non-empty, else $AGENTOS_IMAGE_DIR,
 * else $XDG_DATA_HOME/agentos/images, else $HOME/.local/share/agentos/images.
 * Writes it to out (cap bytes). Returns 0, or -1 with err when none fits.
 */
int ig_store_choose_dir(const char *config_dir, char *out, size_t cap,
                        ig_error *err);

/*
 * Opens (creating with mode 0700, parents too) the store at dir (borrowed).
 * Returns a store the caller frees with ig_store_close, or NULL with err
 * (IG_ERR_STORE_FAILED naming the directory and the OS error).
 */
ig_image_store *ig_store_open(const char *dir, ig_error *err);
void ig_store_close(ig_image_store *store);
const char *ig_store_dir(const ig_image_store *store);

/*
 * Computes the id and hex sha256 of data without storing it.
 * id_out needs IG_IMAGE_ID_LEN+1 bytes, sha_out 65 (either may be NULL).
 */
void ig_image_id_for(const unsigned char *data, size_t size, char *id_out,
                     char *sha_out);

/*
 * Stores an encoded image (borrowed bytes; probed for type and size, must be
 * PNG/JPEG/WebP) and its sidecar metadata (borrowed object, may be NULL; the
 * store adds id, sha256, mimeType, width, height, bytes, createdAt).
 * When the image already exists its bytes are kept and the sidecar rewritten.
 * Returns 0 and fills *out, or -1 with err. The file is durable on return.
 */
int ig_store_put(ig_image_store *store, const unsigned char *data, size_t size,
                 const cJSON *meta, ig_stored_image *out, ig_error *err);

/*
 * Streaming variant for large provider responses: bytes are appended to a
 * temp file in the store directory as they arrive, hashed on the way, and
 * committed (probe + rename + sidecar) or aborted (temp file removed).
 * A writer is used by one thread at a time.
 */
typedef struct ig_store_writer ig_store_writer;
ig_store_writer *ig_store_writer_begin(ig_image_store *store, ig_error *err);
int ig_store_writer_append(ig_store_writer *w, const void *data, size_t size,
                           ig_error *err);
/* Commits and frees w (also on failure). */
int ig_store_writer_commit(ig_store_writer *w, const cJSON *meta,
                           ig_stored_image *out, ig_error *err);
/* Removes the temp file and frees w. NULL is ignored. */
void ig_store_writer_abort(ig_store_writer *w);

/* True when id has the form of an image id: "img_" + 24 lowercase hex. */
bool ig_image_id_valid(const char *id);

/*
 * Finds a stored image by id ("img_" + 24 hex). Writes its path to path_out.
 * Returns 0, or -1 (IG_ERR_IMAGE_NOT_FOUND naming field) when absent or the
 * id is malformed.
 */
int ig_store_find(const ig_image_store *store, const char *id,
                  const char *field, char *path_out, size_t cap,
                  ig_error *err);

#endif
