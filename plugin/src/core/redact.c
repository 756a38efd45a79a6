/* redact.c - see redact.h. */
#include "core/redact.h"

#include <stdlib.h>
#include <string.h>

#define IG_REDACTED "[REDACTED]"
#define IG_MIN_SECRET_LEN 6

struct ig_redactor {
    char **secrets;
    int count;
};

ig_redactor *ig_redactor_new(const ig_config *config)
{
    ig_redactor *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    for (int i = 0; i < IG_PROVIDER_COUNT; i++) {
        const char *env = ig_provider(i)->key_env;
        ig_redactor_add(r, env ? getenv(env) : NULL);
        if (config)
            ig_redactor_add(r, config->providers[i].api_key);
    }
    return r;
}

void ig_redactor_free(ig_redactor *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->count; i++)
        free(r->secrets[i]);
    free(r->secrets);
    free(r);
}

void ig_redactor_add(ig_redactor *r, const char *secret)
{
    if (!r || !secret || strlen(secret) < IG_MIN_SECRET_LEN)
        return;
    for (int i = 0; i < r->count; i++)
        if (!strcmp(r->secrets[i], secret))
            return;
    char **grown = realloc(r->secrets, (size_t)(r->count + 1) * sizeof *grown);
    if (!grown)
        return;
    r->secrets = grown;
    char *copy = strdup(secret);
    if (!copy)
        return;
    /* Longest first: a key that contains another must go before the shorter
     * one cuts it into pieces that no longer match. */
    int at = r->count;
    while (at > 0 && strlen(r->secrets[at - 1]) < strlen(copy)) {
        r->secrets[at] = r->secrets[at - 1];
        at--;
    }
    r->secrets[at] = copy;
    r->count++;
}

/* Replaces every occurrence of one secret; takes ownership of text. */
static char *replace_all(char *text, const char *secret)
{
    size_t slen = strlen(secret), rlen = strlen(IG_REDACTED);
    size_t hits = 0;
    for (const char *p = strstr(text, secret); p; p = strstr(p + slen, secret))
        hits++;
    if (!hits)
        return text;
    size_t out_len = strlen(text) - hits * slen + hits * rlen;
    char *out = malloc(out_len + 1), *w = out;
    if (!out) {
        free(text);
        return NULL;
    }
    const char *src = text;
    for (const char *p = strstr(src, secret); p; p = strstr(src, secret)) {
        memcpy(w, src, (size_t)(p - src));
        w += p - src;
        memcpy(w, IG_REDACTED, rlen);
        w += rlen;
        src = p + slen;
    }
    strcpy(w, src);
    free(text);
    return out;
}

char *ig_redact(const ig_redactor *r, const char *text)
{
    if (!text)
        return NULL;
    char *out = strdup(text);
    for (int i = 0; out && r && i < r->count; i++)
        out = replace_all(out, r->secrets[i]);
    return out;
}
