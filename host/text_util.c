/* text_util.c - see text_util.h. */
#include "text_util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

char *agx_read_stream(FILE *f, size_t *len)
{
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (cap - used < 2) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + used, 1, cap - used - 1, f);
        used += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    buf[used] = '\0';
    if (len)
        *len = used;
    return buf;
}

char *agx_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = agx_read_stream(f, len);
    fclose(f);
    return text;
}

char *agx_path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    size_t nl = strlen(name);
    char *out = malloc(dl + 1 + nl + 1);
    if (!out)
        return NULL;
    memcpy(out, dir, dl);
    size_t pos = dl;
    if (dl == 0 || dir[dl - 1] != '/')
        out[pos++] = '/';
    memcpy(out + pos, name, nl + 1);
    return out;
}

char *agx_path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

char *agx_first_sentence(const char *text)
{
    if (!text)
        return strdup("");
    while (isspace((unsigned char)*text))
        text++;
    size_t end = 0;
    for (; text[end] && text[end] != '\n' && text[end] != '\r'; end++) {
        char c = text[end];
        if ((c == '.' || c == '!' || c == '?') &&
            (text[end + 1] == '\0' || isspace((unsigned char)text[end + 1]))) {
            end++;
            break;
        }
    }
    while (end > 0 && isspace((unsigned char)text[end - 1]))
        end--;
    return strndup(text, end);
}
