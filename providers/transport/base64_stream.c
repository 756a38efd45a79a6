/* base64_stream.c - incremental standard base64 decoding (see the header). */
#include "providers/transport/base64_stream.h"

#include <stdlib.h>
#include <string.h>

enum { B64_WS = 64, B64_PAD = 65, B64_BAD = 255 };

/* Maps a byte to its 6-bit value, B64_WS, B64_PAD or B64_BAD. */
static unsigned char b64_class(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return (unsigned char)(c - 'A');
    if (c >= 'a' && c <= 'z')
        return (unsigned char)(c - 'a' + 26);
    if (c >= '0' && c <= '9')
        return (unsigned char)(c - '0' + 52);
    switch (c) {
    case '+': return 62;
    case '/': return 63;
    case '=': return B64_PAD;
    case ' ': case '\t': case '\r': case '\n': return B64_WS;
    default: return B64_BAD;
    }
}

void ig_b64_stream_init(ig_b64_stream *s)
{
    s->bits = 0;
    s->chars = 0;
    s->pad = 0;
    s->done = 0;
}

int ig_b64_stream_feed(ig_b64_stream *s, const char *in, size_t n,
                       unsigned char *out, size_t *out_len, size_t *bad_index)
{
    size_t o = *out_len;
    int rc = IG_B64_OK;
    size_t i = 0;
    for (; i < n; i++) {
        unsigned char v = b64_class((unsigned char)in[i]);
        if (v == B64_WS)
            continue;
        if (v == B64_BAD) {
            rc = IG_B64_BAD_CHAR;
            break;
        }
        if (s->done) { /* only whitespace may follow the padding */
            rc = IG_B64_BAD_PAD;
            break;
        }
        if (v == B64_PAD) {
            /* "xx==" or "xxx=": padding needs at least 2 data characters. */
            if (s->chars + s->pad < 2 || s->chars + s->pad >= 4) {
                rc = IG_B64_BAD_PAD;
                break;
            }
            s->pad++;
            if (s->chars + s->pad == 4) {
                if (s->chars == 2) {
                    out[o++] = (unsigned char)(s->bits >> 4);
                } else {
                    out[o++] = (unsigned char)(s->bits >> 10);
                    out[o++] = (unsigned char)(s->bits >> 2);
                }
                s->bits = 0;
                s->chars = 0;
                s->pad = 0;
                s->done = 1;
            }
            continue;
        }
        if (s->pad) { /* a data character after '=' */
            rc = IG_B64_BAD_PAD;
            break;
        }
        s->bits = (s->bits << 6) | v;
        if (++s->chars == 4) {
            out[o++] = (unsigned char)(s->bits >> 16);
            out[o++] = (unsigned char)(s->bits >> 8);
            out[o++] = (unsigned char)s->bits;
            s->bits = 0;
            s->chars = 0;
        }
    }
    *out_len = o;
    if (rc != IG_B64_OK && bad_index)
        *bad_index = i;
    return rc;
}

int ig_b64_stream_finish(ig_b64_stream *s, unsigned char *out, size_t *out_len)
{
    if (s->pad) /* "xx=" without its second '=' */
        return IG_B64_BAD_PAD;
    switch (s->chars) {
    case 0:
        return IG_B64_OK;
    case 2:
        out[(*out_len)++] = (unsigned char)(s->bits >> 4);
        break;
    case 3:
        out[(*out_len)++] = (unsigned char)(s->bits >> 10);
        out[(*out_len)++] = (unsigned char)(s->bits >> 2);
        break;
    default: /* one character cannot encode a byte */
        return IG_B64_BAD_PAD;
    }
    s->bits = 0;
    s->chars = 0;
    return IG_B64_OK;
}

char *ig_base64_encode(const unsigned char *data, size_t size, const char *prefix)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t head = strlen(prefix);
    char *out = malloc(head + (size + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    memcpy(out, prefix, head);
    char *o = out + head;
    size_t i = 0;
    for (; i + 2 < size; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
        *o++ = alphabet[v & 63];
    }
    if (i < size) { /* one or two bytes left: pad to a full quantum */
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < size ? (uint32_t)data[i + 1] << 8 : 0);
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = i + 1 < size ? alphabet[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}
