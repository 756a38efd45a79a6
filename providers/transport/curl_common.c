/* curl_common.c - see curl_common.h. */
#include "providers/transport/curl_common.h"

#include <curl/curl.h>
#include <pthread.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

/* pthread_once body: curl_global_init is not safe to race. */
static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool ig_curl_global_init(void)
{
    pthread_once(&curl_once, curl_init_once);
    return curl_init_rc == CURLE_OK;
}

CURLcode ig_curl_run_cancellable(CURLM *m, CURL *easy, const atomic_bool *cancel,
                                 long poll_ms, bool *canceled)
{
    *canceled = false;
    if (curl_multi_add_handle(m, easy) != CURLM_OK)
        return CURLE_FAILED_INIT;
    CURLcode res = CURLE_FAILED_INIT;
    int running = 1;
    while (running) {
        if (cancel && atomic_load(cancel)) {
            *canceled = true;
            res = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running && curl_multi_poll(m, NULL, 0, (int)poll_ms, NULL) != CURLM_OK)
            break;
    }
    int left;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &left)))
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy)
            res = msg->data.result;
    curl_multi_remove_handle(m, easy);
    return res;
}
