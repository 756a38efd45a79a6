/* privacy.c - see privacy.h. */
#include "providers/fallback/privacy.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "providers/transport/http_fetch.h"

/* An address of either family, with its length in bits. */
typedef struct ip_addr {
    int family;
    unsigned char bytes[16];
    int bits;
} ip_addr;

static bool parse_addr(const char *text, ip_addr *out)
{
    char buf[64];
    size_t len = strlen(text);
    if (len >= 2 && text[0] == '[' && text[len - 1] == ']') /* URL form of IPv6 */
        snprintf(buf, sizeof buf, "%.*s", (int)(len - 2), text + 1);
    else
        snprintf(buf, sizeof buf, "%s", text);
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->bytes) == 1) {
        out->family = AF_INET, out->bits = 32;
        return true;
    }
    if (inet_pton(AF_INET6, buf, out->bytes) == 1) {
        out->family = AF_INET6, out->bits = 128;
        return true;
    }
    return false;
}

/* "addr" or "addr/prefix" into a network; false when malformed. */
static bool parse_network(const char *entry, ip_addr *net, int *prefix)
{
    char addr[64];
    const char *slash = strchr(entry, '/');
    size_t n = slash ? (size_t)(slash - entry) : strlen(entry);
    if (n >= sizeof addr)
        return false;
    memcpy(addr, entry, n);
    addr[n] = '\0';
    if (!parse_addr(addr, net))
        return false;
    *prefix = net->bits;
    if (slash) {
        char *end;
        long p = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || p < 0 || p > net->bits)
            return false;
        *prefix = (int)p;
    }
    return true;
}

static bool in_network(const ip_addr *a, const ip_addr *net, int prefix)
{
    if (a->family != net->family)
        return false;
    int whole = prefix / 8, rest = prefix % 8;
    if (memcmp(a->bytes, net->bytes, (size_t)whole))
        return false;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return rest == 0 || (a->bytes[whole] & mask) == (net->bytes[whole] & mask);
}

static bool is_private(const ip_addr *a)
{
    if (a->family == AF_INET) {
        struct sockaddr_in in = {.sin_family = AF_INET};
        memcpy(&in.sin_addr, a->bytes, 4);
        return ig_addr_is_private((const struct sockaddr *)&in);
    }
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    memcpy(&in6.sin6_addr, a->bytes, 16);
    return ig_addr_is_private((const struct sockaddr *)&in6);
}

static bool is_loopback(const ip_addr *a)
{
    static const unsigned char v6_loopback[16] = {[15] = 1};
    return a->family == AF_INET ? a->bytes[0] == 127 : !memcmp(a->bytes, v6_loopback, 16);
}

int ig_private_network_check(const char *entry, char *why, size_t cap)
{
    ip_addr net;
    int prefix;
    if (!parse_network(entry, &net, &prefix)) {
        snprintf(why, cap, "\"%s\" is not an IP address or CIDR network such as "
                 "192.168.1.0/24", entry);
        return -1;
    }
    if (!is_private(&net) || prefix < (net.family == AF_INET ? 8 : 7)) {
        snprintf(why, cap, "\"%s\" is not inside the private address ranges (10/8, "
                 "172.16/12, 192.168/16, fc00::/7, ...)", entry);
        return -1;
    }
    return 0;
}

/* The host of url (malloc'd by libcurl), or NULL. */
static char *url_host(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK)
        curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_cleanup(u);
    return host;
}

static bool host_is_private(const ig_config *config, const char *host, char *why, size_t cap)
{
    ip_addr a;
    if (!strcasecmp(host, "localhost"))
        return true;
    if (!parse_addr(host, &a)) {
        snprintf(why, cap, "its base URL names the host \"%s\"; only localhost and IP "
                 "addresses are trusted to stay private", host);
        return false;
    }
    if (is_loopback(&a))
        return true;
    for (int i = 0; i < config->n_private_networks; i++) {
        ip_addr net;
        int prefix;
        if (parse_network(config->private_networks[i], &net, &prefix) &&
            in_network(&a, &net, prefix) && is_private(&a))
            return true;
    }
    snprintf(why, cap, "its base URL's address %s is not this machine nor inside "
             "imageGeneration.privateNetworks", host);
    return false;
}

bool ig_provider_is_private(const ig_config *config, ig_provider_id id, char *why,
                            size_t cap)
{
    if (id == IG_PROVIDER_LOCAL)
        return true;
    if (id != IG_PROVIDER_SD_LOCAL) {
        snprintf(why, cap, "is a hosted service: the call would leave this machine");
        return false;
    }
    const char *url = ig_config_base_url(config, id);
    char *host = url ? url_host(url) : NULL;
    bool ok = host && host_is_private(config, host, why, cap);
    if (!host)
        snprintf(why, cap, "has no usable base URL");
    curl_free(host);
    return ok;
}
