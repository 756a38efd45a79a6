/* emu_client.c - see emu_client.h. */
#include "emulators/emu_client.h"

#include <curl/curl.h>
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
static ec_result perform(CURL *c, const char *key, struct curl_slist *headers, long timeout_ms)
{
    ec_result r = {0};
    buf body = {0}, head = {0};
    char auth[512];
    if (key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        headers = curl_slist_append(headers, auth);
    }
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

ec_result ec_request(const char *method, const char *url, const char *key, const char *body,
                     long timeout_ms)
{
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *h = NULL;
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        h = curl_slist_append(h, "Content-Type: application/json");
    }
    ec_result r = perform(c, key, h, timeout_ms);
    curl_easy_cleanup(c);
    return r;
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
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
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
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    ec_result r = perform(c, key, NULL, timeout_ms);
    curl_mime_free(mime);
    curl_easy_cleanup(c);
    return r;
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
