/*
 * curl_common.h - libcurl set-up shared by the input fetcher and the
 * provider HTTP client.
 */
#ifndef IG_CURL_COMMON_H
#define IG_CURL_COMMON_H

#include <stdbool.h>

/* Runs curl_global_init once per process (thread-safe, pthread_once) and
 * reports whether it succeeded. Call before creating any curl handle. */
bool ig_curl_global_init(void);

#endif
