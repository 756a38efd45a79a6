/* test_calls.c - see test_calls.h. */
#include "support/test_calls.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/catalog.h"
#include "support/test_images.h"
#include "support/test_util.h"
#include "tools/tool_call.h"

void tc_clear_provider_env(void)
{
    for (int i = 0; i < IG_PROVIDER_COUNT; i++) {
        if (ig_provider(i)->key_env)
            unsetenv(ig_provider(i)->key_env);
        if (ig_provider(i)->base_url_env)
            unsetenv(ig_provider(i)->base_url_env);
    }
    unsetenv("AGENTOS_IMAGE_DIR");
}

ig_instance *tc_open(const char *extra_config)
{
    char *dir = tu_make_temp_dir("ig-calls");
    char *config = NULL;
    cr_assert(asprintf(&config, "{\"imageGeneration\":{\"imageDir\":\"%s/images\"%s%s}}",
                       dir, extra_config ? "," : "", extra_config ? extra_config : "") > 0);
    ig_error err;
    ig_error_clear(&err);
    ig_instance *inst = ig_instance_open(config, NULL, NULL, NULL, NULL, &err);
    cr_assert(inst, "open failed: %s %s", err.field, err.message);
    free(config);
    free(dir);
    return inst;
}

void tc_close(ig_instance *inst)
{
    char *dir = strdup(inst->config.image_dir);
    ig_instance_close(inst);
    char *slash = strrchr(dir, '/');
    *slash = '\0'; /* the temp dir above images/ */
    tu_remove_tree(dir);
    free(dir);
}

cJSON *tc_call(ig_instance *inst, const char *tool, const char *args_json)
{
    int state = -1;
    char *text = ig_tool_call(inst, NULL, tool, args_json, &state);
    cr_assert(text, "no result text");
    cJSON *result = cJSON_Parse(text);
    cr_assert(result, "result is not JSON: %s", text);
    free(text);
    return result;
}

void tc_expect_error(const cJSON *result, const char *code, const char *field, ...)
{
    char *text = cJSON_PrintUnformatted(result);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(result, "ok")), "expected failure: %s", text);
    const cJSON *error = cJSON_GetObjectItem(result, "error");
    const char *got_code = cJSON_GetStringValue(cJSON_GetObjectItem(error, "code"));
    cr_assert(got_code && !strcmp(got_code, code), "code %s != %s in %s", got_code, code, text);
    const cJSON *got_field = cJSON_GetObjectItem(error, "field");
    const char *field_text = cJSON_IsString(got_field) ? got_field->valuestring : "";
    cr_assert(!strcmp(field_text, field), "field \"%s\" != \"%s\" in %s", field_text,
              field, text);
    const char *message = cJSON_GetStringValue(cJSON_GetObjectItem(error, "message"));
    va_list ap;
    va_start(ap, field);
    for (const char *part = va_arg(ap, const char *); part; part = va_arg(ap, const char *))
        cr_assert(strstr(message, part), "message lacks \"%s\": %s", part, message);
    va_end(ap);
    cJSON_free(text);
}

int tc_warning_count(const cJSON *result, const char *field)
{
    int count = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItem(result, "warnings"))
    {
        const char *f = cJSON_GetStringValue(cJSON_GetObjectItem(w, "field"));
        count += f && !strcmp(f, field);
    }
    return count;
}

cJSON *tc_call_with_png(ig_instance *inst, const char *dir, const char *tool, int w, int h,
                        const char *args_fmt)
{
    char *image = ti_write_png(dir, "src.png", w, h);
    char args[8192];
    snprintf(args, sizeof args, args_fmt, image);
    free(image);
    return tc_call(inst, tool, args);
}
