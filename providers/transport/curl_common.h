/*
 * curl_common.h - libcurl set-up shared by the input fetcher and the
 * provider HTTP client.
 */
#ifndef IG_CURL_COMMON_H
#define IG_CURL_COMMON_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>

/* Runs curl_global_init once per process (thread-safe, pthread_once) and
 * reports whether it succeeded. Call before creating any curl handle. */
bool ig_curl_global_init(void);

/*
 * Drives one easy handle on multi handle m until the transfer ends, checking
 * *cancel (may be NULL) between polls of at most poll_ms, so a cancel lands
 * within about poll_ms even mid-transfer. Adds and removes easy itself.
 * Returns the transfer's CURLcode; on cancel, CURLE_ABORTED_BY_CALLBACK with
 * *canceled set. Thread-safe for distinct (m, easy) pairs.
 */
CURLcode ig_curl_run_cancellable(CURLM *m, CURL *easy, const atomic_bool *cancel,
                                 long poll_ms, bool *canceled);

#endif
