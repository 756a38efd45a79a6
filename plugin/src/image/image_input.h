/*
 * image_input.h - turn an image reference from a tool argument into bytes.
 *
 * Accepted references: an image id from an earlier result ("img_..."), an
 * absolute or relative file path, a file:// URL, a data: URL
 * (data:image/png;base64,...), and an http(s) URL (fetched with size and
 * time caps; private, loopback and link-local addresses refused unless the
 * config allows them). The bytes are probed and fully decoded once, so
 * undecodable data and images over the pixel limit are refused here, before
 * any provider is called.
 */
#ifndef IG_IMAGE_INPUT_H
#define IG_IMAGE_INPUT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ig_error.h"
#include "image_probe.h"
#include "image_store.h"

typedef struct ig_input_limits {
    uint64_t max_bytes;        /* encoded size cap (0 = none) */
    uint64_t max_pixels;       /* width*height cap (0 = none) */
    long fetch_timeout_ms;     /* whole-transfer cap for http(s) inputs
                                  (<= 0: the transport's default, 30 s) */
    int max_redirects;
    bool allow_private_urls;   /* allow loopback/private/link-local hosts */
} ig_input_limits;

typedef enum ig_input_kind {
    IG_INPUT_ID,
    IG_INPUT_PATH,
    IG_INPUT_FILE_URL,
    IG_INPUT_DATA_URL,
    IG_INPUT_HTTP_URL,
} ig_input_kind;

typedef struct ig_image {
    unsigned char *data; /* owned, size bytes */
    size_t size;
    ig_image_info info;
    ig_input_kind kind;
    char id[IG_IMAGE_ID_LEN + 1]; /* content id, whether stored or not */
    char sha256[65];
} ig_image;

/* "id", "path", "file_url", "data_url", "http_url". */
const char *ig_input_kind_name(ig_input_kind kind);

/*
 * Resolves ref (borrowed) into *out (caller frees with ig_image_clear).
 * field names the argument in errors. store may be NULL (ids then fail).
 * cancel may be NULL; when it becomes true a fetch stops (IG_ERR_CANCELED).
 * Returns 0, or -1 with err filled and *out empty.
 * Thread-safe.
 */
int ig_image_resolve(const char *ref, const char *field,
                     const ig_input_limits *limits,
                     const ig_image_store *store, const atomic_bool *cancel,
                     ig_image *out, ig_error *err);

/* Frees out->data and zeroes *out. NULL is ignored. */
void ig_image_clear(ig_image *img);

/*
 * A short, log- and result-safe description of a reference: data URLs become
 * "data:image/png;base64,<N bytes>", URL userinfo and query strings are cut.
 * Writes to out (cap bytes).
 */
void ig_image_ref_summary(const char *ref, char *out, size_t cap);

#endif
