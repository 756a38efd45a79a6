/* emu_client.c - see emu_client.h. */
#include "emulators/emu_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct buf {
    char *data;
    size_t size;
} buf;

/* curl write/header callback: appends to a growing buffer. */
static size_t append(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    buf *b = userdata;
    size_t n = size * nmemb;
    char *p = realloc(b->data, b->size + n + 1);
    if (!p)
        return 0;
    memcpy(p + b->size, ptr, n);
    b->size += n;
    p[b->size] = 0;
    b->data = p;
    return n;
}

/* Runs a prepared easy handle and collects everything into a result. */
static ec_result perform(CURL *c, struct curl_slist *headers, long timeout_ms)
{
    ec_result r = {0};
    buf body = {0}, head = {0};
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, append);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "emu-client/1");
    if (timeout_ms)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    r.curl_code = (int)curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(headers);
    r.body = body.data ? body.data : calloc(1, 1);
    r.size = body.size;
    r.headers = head.data ? head.data : calloc(1, 1);
    r.json = cJSON_ParseWithLength(r.body, r.size);
    return r;
}

/* A MIME body of the parts (fields when data is NULL, else files). */
static curl_mime *make_mime(CURL *c, const ec_part *parts, size_t count)
{
    curl_mime *mime = curl_mime_init(c);
    for (size_t i = 0; i < count; i++) {
        curl_mimepart *p = curl_mime_addpart(mime);
        curl_mime_name(p, parts[i].name);
        if (parts[i].data) {
            curl_mime_data(p, (const char *)parts[i].data, parts[i].size);
            if (parts[i].filename)
                curl_mime_filename(p, parts[i].filename);
            if (parts[i].type)
                curl_mime_type(p, parts[i].type);
        } else {
            curl_mime_data(p, parts[i].value, CURL_ZERO_TERMINATED);
        }
    }
    return mime;
}

ec_result ec_send(const ec_call *call)
{
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, call->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call->method ? call->method : "GET");
    struct curl_slist *h = NULL;
    for (size_t i = 0; call->headers && call->headers[i]; i++)
        h = curl_slist_append(h, call->headers[i]);
    curl_mime *mime = NULL;
    char content_type[256];
    if (call->parts) {
        mime = make_mime(c, call->parts, call->part_count);
        curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    } else if (call->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->body);
        snprintf(content_type, sizeof content_type, "Content-Type: %s",
                 call->content_type ? call->content_type : "application/json");
        h = curl_slist_append(h, content_type);
    }
    ec_result r = perform(c, h, call->timeout_ms);
    curl_mime_free(mime);
    curl_easy_cleanup(c);
    return r;
}

/* The "Authorization: Bearer key" line in line, or NULL when key is NULL. */
static const char *bearer(char *line, size_t size, const char *key)
{
    if (!key)
        return NULL;
    snprintf(line, size, "Authorization: Bearer %s", key);
    return line;
}

ec_result ec_request(const char *method, const char *url, const char *key, const char *body,
                     long timeout_ms)
{
    char auth[512];
    const char *headers[] = {bearer(auth, sizeof auth, key), NULL};
    ec_call call = {.method = method, .url = url, .headers = headers, .body = body,
                    .timeout_ms = timeout_ms};
    return ec_send(&call);
}

ec_result ec_post_json(const char *url, const char *key, const char *json, long timeout_ms)
{
    return ec_request("POST", url, key, json, timeout_ms);
}

ec_result ec_get(const char *url, const char *key, long timeout_ms)
{
    return ec_request("GET", url, key, NULL, timeout_ms);
}

ec_result ec_post_form(const char *url, const char *key, const ec_part *parts, size_t count,
                       long timeout_ms)
{
    char auth[512];
    const char *headers[] = {bearer(auth, sizeof auth, key), NULL};
    ec_call call = {.method = "POST", .url = url, .headers = headers, .parts = parts,
                    .part_count = count, .timeout_ms = timeout_ms};
    return ec_send(&call);
}

char *ec_header(const ec_result *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        if (!end)
            break;
        if (!strncasecmp(line, name, n) && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            return strndup(v, (size_t)(end - v));
        }
        line = end + 2;
    }
    return NULL;
}

void ec_result_free(ec_result *r)
{
    free(r->body);
    free(r->headers);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}
