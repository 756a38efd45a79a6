/*
 * test_backend_helpers.c - the pieces every provider backend shares: which
 * URLs may receive a key, base64 encoding (checked against the streaming
 * decoder), multipart forms (provider options replacing fields, overflow),
 * and the cancellable poll sleep.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "providers/backend.h"
#include "providers/form.h"
#include "providers/transport/base64_stream.h"

Test(url_trusted, same_origin_or_a_trusted_https_domain)
{
    static const char *const bfl[] = {".bfl.ai", NULL};
    const char *base = "https://api.bfl.ai";
    cr_expect(ig_backend_url_trusted("https://api.bfl.ai/v1/get_result?id=1", base, bfl));
    cr_expect(ig_backend_url_trusted("https://api.eu.bfl.ai/v1/get_result?id=1", base, bfl));
    cr_expect_not(ig_backend_url_trusted("http://api.eu.bfl.ai/x", base, bfl), "plain http");
    cr_expect_not(ig_backend_url_trusted("https://evil.example/x.bfl.ai", base, bfl));
    cr_expect_not(ig_backend_url_trusted("https://bfl.ai.evil.example/x", base, bfl));
    cr_expect_not(ig_backend_url_trusted("https://notbfl.ai/x", base, bfl));
    cr_expect(ig_backend_url_trusted("http://127.0.0.1:8080/r?id=1", "http://127.0.0.1:8080",
                                     bfl));
    cr_expect_not(ig_backend_url_trusted("http://127.0.0.1:8081/r", "http://127.0.0.1:8080",
                                         bfl), "another port");
    cr_expect_not(ig_backend_url_trusted("not a url", base, bfl));
}

/* Decodes text with the streaming decoder in one piece. */
static unsigned char *decode(const char *text, size_t *len)
{
    size_t n = strlen(text), bad = 0;
    unsigned char *out = malloc(IG_B64_MAX_OUT(n) + 1);
    ig_b64_stream s;
    ig_b64_stream_init(&s);
    *len = 0;
    cr_assert_eq(ig_b64_stream_feed(&s, text, n, out, len, &bad), IG_B64_OK);
    cr_assert_eq(ig_b64_stream_finish(&s, out, len), IG_B64_OK);
    return out;
}

Test(base64, encode_round_trips_through_the_decoder)
{
    unsigned char data[300];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 37 + 11);
    for (size_t size = 0; size <= sizeof data; size += 1 + size / 7) {
        char *text = ig_base64_encode(data, size, "");
        cr_assert(text);
        cr_expect_eq(strlen(text), (size + 2) / 3 * 4);
        size_t len = 0;
        unsigned char *back = decode(text, &len);
        cr_expect_eq(len, size);
        cr_expect(size == 0 || !memcmp(back, data, size), "size %zu", size);
        free(back);
        free(text);
    }
    char *url = ig_base64_encode((const unsigned char *)"hi!", 3, "data:text/plain;base64,");
    cr_expect_str_eq(url, "data:text/plain;base64,aGkh");
    free(url);
    url = ig_base64_encode((const unsigned char *)"h", 1, "");
    cr_expect_str_eq(url, "aA==");
    free(url);
}

Test(form, provider_options_replace_fields_and_keep_slots_valid)
{
    ig_form form = {0};
    ig_form_text(&form, "seed", "%d", 1);
    ig_form_text(&form, "output_format", "%s", "png");
    ig_form_text(&form, "steps", "%d", 30);
    cJSON *args = cJSON_Parse("{\"stability\":{\"seed\":5,\"cfg_scale\":7.5,\"raw\":true,"
                              "\"nested\":{}}}");
    ig_request req = {.provider_options = args};
    cJSON *result = cJSON_CreateObject();
    cJSON_AddArrayToObject(result, "warnings");
    ig_form_add_options(&form, &req, "stability", result);
    ig_form_text(&form, "later", "%s", "after compaction");
    cr_expect_eq(form.n_parts, 6); /* output_format steps seed cfg_scale raw later */
    cr_expect_str_eq(ig_form_find(&form, "seed")->value, "5");
    cr_expect_str_eq(ig_form_find(&form, "output_format")->value, "png");
    cr_expect_str_eq(ig_form_find(&form, "steps")->value, "30");
    cr_expect_str_eq(ig_form_find(&form, "cfg_scale")->value, "7.5");
    cr_expect_str_eq(ig_form_find(&form, "raw")->value, "true");
    cr_expect_str_eq(ig_form_find(&form, "later")->value, "after compaction");
    cr_expect_null(ig_form_find(&form, "nested"));
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(result, "warnings")), 2,
                 "one for the replaced seed, one for the object");
    cJSON_Delete(result);
    cJSON_Delete(args);
}

Test(form, overflow_is_flagged)
{
    ig_form form = {0};
    for (int i = 0; i < IG_FORM_MAX_PARTS + 3; i++)
        ig_form_text(&form, "f", "%d", i);
    cr_expect_eq(form.n_parts, IG_FORM_MAX_PARTS);
    cr_expect(form.overflow);
}

Test(sleep, wakes_on_cancel)
{
    atomic_bool cancel = true;
    ig_backend_ctx ctx = {.cancel = &cancel};
    ig_error err;
    ig_error_clear(&err);
    double started = ig_backend_now_ms();
    cr_expect_eq(ig_backend_sleep(&ctx, 60000, &err), -1);
    cr_expect_eq(err.code, IG_ERR_CANCELED);
    cr_expect_lt(ig_backend_now_ms() - started, 5000.0);
    atomic_store(&cancel, false);
    ig_error_clear(&err);
    cr_expect_eq(ig_backend_sleep(&ctx, 20, &err), 0);
}
