/*
 * base64_stream.h - an incremental decoder for standard base64 (RFC 4648
 * alphabet A-Z a-z 0-9 + /) whose input arrives in arbitrary pieces.
 *
 * Whitespace (space, \t, \r, \n) is skipped anywhere, since providers
 * sometimes wrap long lines. '=' padding may only close the last quantum;
 * nothing but whitespace may follow it. A missing final padding is accepted
 * (an unpadded tail of 2 or 3 characters decodes to 1 or 2 bytes); a lone
 * trailing character is not. No allocation; the state is a few integers.
 */
#ifndef IG_BASE64_STREAM_H
#define IG_BASE64_STREAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct ig_b64_stream {
    uint32_t bits;   /* up to 3 pending 6-bit groups */
    unsigned chars;  /* characters in the current quantum (0..3) */
    unsigned pad;    /* '=' seen in the current quantum */
    int done;        /* a padded quantum ended the data */
} ig_b64_stream;

enum {
    IG_B64_OK = 0,
    IG_B64_BAD_CHAR = -1, /* a byte outside the alphabet */
    IG_B64_BAD_PAD = -2   /* '=' misplaced, data after padding, bad length */
};

void ig_b64_stream_init(ig_b64_stream *s);

/* Output bytes that feeding n input characters can produce at most (with up
 * to 3 characters still pending from earlier calls). */
#define IG_B64_MAX_OUT(n) ((((n) + 3) / 4) * 3)

/*
 * Decodes n characters of in, appending to out (which must have room for
 * IG_B64_MAX_OUT(n) bytes) and adding the count written to *out_len.
 * Returns IG_B64_OK, or an error with *bad_index set to the offending
 * character's index in in (output up to it is written and counted).
 */
int ig_b64_stream_feed(ig_b64_stream *s, const char *in, size_t n,
                       unsigned char *out, size_t *out_len, size_t *bad_index);

/* Ends the data: writes the bytes of an unpadded tail (at most 2) to out and
 * adds them to *out_len. IG_B64_BAD_PAD when the data stops mid-quantum in a
 * way no valid encoding does. */
int ig_b64_stream_finish(ig_b64_stream *s, unsigned char *out, size_t *out_len);

/*
 * Encodes data as standard padded base64 after prefix (e.g.
 * "data:image/png;base64," for a data URL, or "" for raw base64): a
 * malloc'd, NUL-terminated string the caller frees, or NULL when out of
 * memory. Any thread.
 */
char *ig_base64_encode(const unsigned char *data, size_t size, const char *prefix);

#endif
