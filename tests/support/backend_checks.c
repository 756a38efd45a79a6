/* backend_checks.c - see backend_checks.h. */
#include "support/backend_checks.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jobs.h"
#include "support/test_calls.h"
#include "support/test_util.h"

const cJSON *bc_item(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

const char *bc_str(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(bc_item(obj, key));
}

const cJSON *bc_expect_ok(const cJSON *r, const char *provider, int n_images)
{
    char *text = cJSON_PrintUnformatted(r);
    cr_assert(cJSON_IsTrue(bc_item(r, "ok")), "call failed: %s", text);
    const cJSON *images = bc_item(r, "images");
    cr_assert_eq(cJSON_GetArraySize(images), n_images, "%s", text);
    cJSON_free(text);
    cr_expect_str_eq(bc_str(r, "provider"), provider);
    const cJSON *attempts = bc_item(r, "attempts");
    const cJSON *last = cJSON_GetArrayItem(attempts, cJSON_GetArraySize(attempts) - 1);
    cr_expect_str_eq(bc_str(last, "outcome"), "succeeded");
    cr_expect_str_eq(bc_str(last, "provider"), provider);
    return images;
}

void bc_expect_stored(const ig_instance *inst, const cJSON *images, int i, int w, int h,
                      const char *mime, const char *provider)
{
    const cJSON *img = cJSON_GetArrayItem(images, i);
    cr_expect_eq((int)bc_item(img, "width")->valuedouble, w);
    cr_expect_eq((int)bc_item(img, "height")->valuedouble, h);
    cr_expect_str_eq(bc_str(img, "mimeType"), mime);
    size_t size = 0;
    char *bytes = tu_read_file(bc_str(img, "path"), &size);
    cr_assert(bytes, "no file at %s", bc_str(img, "path"));
    cr_expect_eq(size, (size_t)bc_item(img, "bytes")->valuedouble);
    free(bytes);
    char sidecar[4200];
    snprintf(sidecar, sizeof sidecar, "%s/%s.json", inst->config.image_dir,
             bc_str(img, "id"));
    char *meta_text = tu_read_file(sidecar, NULL);
    cr_assert(meta_text, "no sidecar %s", sidecar);
    cJSON *meta = cJSON_Parse(meta_text);
    cr_expect_str_eq(bc_str(meta, "provider"), provider);
    cr_expect(bc_str(meta, "model") != NULL);
    cJSON_Delete(meta);
    free(meta_text);
}

void bc_expect_failure(const ig_instance *inst, cJSON *r, const char *key, const char *code,
                       bool retryable, long status)
{
    tc_expect_error(r, code, "", NULL);
    const cJSON *err = bc_item(r, "error");
    cr_expect_eq(cJSON_IsTrue(bc_item(err, "retryable")), retryable, "retryable for %s", code);
    if (status)
        cr_expect_eq((long)bc_item(err, "httpStatus")->valuedouble, status);
    const cJSON *attempt = cJSON_GetArrayItem(bc_item(r, "attempts"), 0);
    cr_expect_str_eq(bc_str(attempt, "outcome"), "failed");
    cr_expect_str_eq(bc_str(attempt, "code"), code);
    cr_expect(bc_str(attempt, "errorClass") != NULL);
    cr_expect_eq(tu_count_entries(inst->config.image_dir, ".tmp-"), 0, "temp files left");
    char *text = cJSON_PrintUnformatted(r);
    cr_expect_null(strstr(text, key), "the key leaked: %s", text);
    cJSON_free(text);
    cJSON_Delete(r);
}

int bc_generate_concurrently(ig_instance *inst, int jobs, const char *odd_args,
                             const char *even_args)
{
    int64_t ids[64];
    cr_assert_leq(jobs, 64);
    for (int i = 0; i < jobs; i++) {
        ids[i] = ig_instance_submit(inst, "generate_image", i % 2 ? odd_args : even_args);
        cr_assert(ids[i] > 0);
    }
    int images = 0;
    for (int i = 0; i < jobs; i++) {
        cr_expect_eq(ig_jobs_wait(inst->jobs, ids[i], 60000), AGENTOS_EXT_JOB_SUCCEEDED);
        char *text = ig_jobs_take_result(inst->jobs, ids[i]);
        cJSON *r = cJSON_Parse(text);
        images += cJSON_GetArraySize(bc_item(r, "images"));
        cJSON_Delete(r);
        free(text);
    }
    return images;
}
