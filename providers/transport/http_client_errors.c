/*
 * http_client_errors.c - decides what a finished ig_http transfer means for
 * the caller: a response (0) or an ig_error (-1).
 *
 * Every message reads "<provider>: <what happened> (<url>)" with the URL's
 * credentials, query and fragment removed, and the whole text then passes
 * through the instance's redactor (a key can sit in a path segment). Request
 * headers, where the API keys live, never appear in a message.
 */
#include "providers/transport/http_client_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/transport/http_fetch.h"

static const char *const hint_retry =
    "This is usually temporary: try again in a moment. If it keeps happening, "
    "check the network connection and the provider's status page.";
static const char *const hint_reach =
    "Check the network connection, DNS, any HTTPS_PROXY/HTTP_PROXY/NO_PROXY "
    "settings and the provider's base URL in the configuration.";
static const char *const hint_timeout =
    "The provider is slow or unreachable right now: try again later, ask for "
    "fewer or smaller images, or raise the provider's timeout in the configuration.";
static const char *const hint_tls =
    "The server's certificate could not be verified. Check that the system CA "
    "certificates are installed and current (ca-certificates, SSL_CERT_FILE, "
    "CURL_CA_BUNDLE), that the base URL names the provider's real host, and "
    "that a TLS-inspecting proxy's CA is trusted. Verification stays on.";

/* The URL as messages show it: no userinfo, no query, no fragment. */
static void shown_url(const char *url, char *out, size_t cap)
{
    ig_url_redact(url, out, cap);
    out[strcspn(out, "?#")] = '\0';
}

/* Fills err with "<provider>: <what> (<url>)", redacted, plus retryable and
 * hint; does nothing when err already holds an earlier failure. */
static int fail(const ig_http_xfer *x, ig_error *err, ig_error_code code,
                bool retryable, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int fail(const ig_http_xfer *x, ig_error *err, ig_error_code code,
                bool retryable, const char *hint, const char *fmt, ...)
{
    if (!err || err->code != IG_OK)
        return -1;
    char what[384], url[512], text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    shown_url(x->req->url, url, sizeof url);
    const char *provider = x->req->provider ? x->req->provider : "provider";
    snprintf(text, sizeof text, "%s: %s (%s)", provider, what, url);
    char *safe = ig_redact(x->redactor, text);
    ig_fail(err, code, x->req->field, "%s",
            safe ? safe : "the HTTP request failed (details withheld: out of memory)");
    free(safe);
    err->retryable = retryable;
    err->http_status = x->res->status;
    if (hint)
        ig_error_hint(err, "%s", hint);
    return -1;
}

/* Which of the three clocks ran out behind CURLE_OPERATION_TIMEDOUT. */
static int report_timeout(const ig_http_xfer *x, ig_error *err)
{
    curl_off_t connected_us = 0;
    curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &connected_us);
    if (strstr(x->errbuf, "too slow")) /* the low-speed check: nothing moved */
        return fail(x, err, IG_ERR_PROVIDER_TIMEOUT, true, hint_timeout,
                    "timed out: no data moved for %ld ms (idle timeout)",
                    x->idle_timeout_ms);
    if (connected_us == 0 && x->connect_timeout_ms < x->timeout_ms)
        return fail(x, err, IG_ERR_PROVIDER_TIMEOUT, true, hint_timeout,
                    "timed out: could not connect within %ld ms (connect timeout)",
                    x->connect_timeout_ms);
    return fail(x, err, IG_ERR_PROVIDER_TIMEOUT, true, hint_timeout,
                "timed out: no complete response within %ld ms (total timeout)",
                x->timeout_ms);
}

/* True for the TLS failures that retrying cannot fix. */
static bool tls_verification_failed(CURLcode res)
{
    switch (res) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
        return true;
    default:
        return false;
    }
}

/* Maps a curl failure with no usable response to an ig_error. */
static int report_curl(const ig_http_xfer *x, CURLcode res, ig_error *err)
{
    const ig_error_code net = IG_ERR_PROVIDER_NETWORK;
    if (tls_verification_failed(res))
        return fail(x, err, net, false, hint_tls,
                    "the server's TLS certificate could not be verified: %s",
                    x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
    switch (res) {
    case CURLE_OPERATION_TIMEDOUT:
        return report_timeout(x, err);
    case CURLE_COULDNT_RESOLVE_HOST:
        return fail(x, err, net, true, hint_reach, "could not resolve the host name");
    case CURLE_COULDNT_RESOLVE_PROXY:
        return fail(x, err, net, true, hint_reach, "could not resolve the proxy's host name");
    case CURLE_COULDNT_CONNECT:
        return fail(x, err, net, true, hint_reach, "could not connect to the server");
    case CURLE_SEND_ERROR:
        return fail(x, err, net, true, hint_retry,
                    "the connection broke while sending the request");
    case CURLE_RECV_ERROR:
        return fail(x, err, net, true, hint_retry,
                    "the connection broke while receiving the response");
    case CURLE_GOT_NOTHING:
        return fail(x, err, net, true, hint_retry,
                    "the server closed the connection without answering");
    case CURLE_PARTIAL_FILE:
        return fail(x, err, net, true, hint_retry,
                    "the connection closed before the whole response body arrived");
    case CURLE_SSL_CONNECT_ERROR:
        return fail(x, err, net, true, hint_reach, "the TLS handshake failed: %s",
                    x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
    case CURLE_TOO_MANY_REDIRECTS:
        return fail(x, err, IG_ERR_PROVIDER_ERROR, false,
                    "Check the provider's base URL in the configuration; it "
                    "should name the API endpoint itself, not a page that redirects.",
                    "the server redirected more than %d times",
                    x->req->max_redirects > 0 ? x->req->max_redirects : 0);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return fail(x, err, IG_ERR_PROVIDER_UNAVAILABLE, false,
                    "Set the provider's base URL to an http:// or https:// address.",
                    "the URL is not a valid http or https URL, or a redirect "
                    "left http(s)");
    case CURLE_OUT_OF_MEMORY:
        return fail(x, err, IG_ERR_INTERNAL, false, NULL, "out of memory");
    default:
        return fail(x, err, net, false, hint_reach, "the request failed: %s",
                    x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
    }
}

int ig_http_report(ig_http_xfer *x, CURLcode res, ig_error *err)
{
    long status = x->res->status;
    if (x->canceled)
        return fail(x, err, IG_ERR_CANCELED, false, NULL, "the request was cancelled");
    if (x->sink_failed) {
        if (x->sink_err.code != IG_OK) {
            if (err && err->code == IG_OK)
                *err = x->sink_err;
            return -1;
        }
        return fail(x, err, IG_ERR_PROVIDER_BAD_RESPONSE, false, NULL,
                    "the response body was rejected while it streamed in");
    }
    if (x->too_large)
        return fail(x, err, IG_ERR_PROVIDER_RESPONSE_TOO_LARGE, false,
                    "Ask for fewer or smaller images per call, or raise the "
                    "response size limit.",
                    "the response is larger than the limit of %llu bytes",
                    (unsigned long long)x->cap);
    if (x->out_of_memory)
        return fail(x, err, IG_ERR_INTERNAL, false, NULL,
                    "out of memory while reading the response");
    if (res == CURLE_OK || x->error_body_cut)
        return 0;
    /* An error answer arrived but its body did not end cleanly: the status
     * and the body's head are still the provider's word. A redirect hop
     * being followed is not an answer. */
    bool hop = status >= 300 && status < 400 && x->following && x->saw_location;
    if (x->headers_done && status >= 300 && !hop)
        return 0;
    return report_curl(x, res, err);
}
