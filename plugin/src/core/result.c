/* result.c - see result.h. */
#include "core/result.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "image/image_store.h"

cJSON *ig_result_new(const char *tool)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddBoolToObject(r, "ok", false);
    cJSON_AddStringToObject(r, "tool", tool ? tool : "");
    cJSON_AddStringToObject(r, "status", "failed");
    cJSON_AddArrayToObject(r, "images");
    cJSON_AddNullToObject(r, "provider");
    cJSON_AddNullToObject(r, "model");
    cJSON_AddObjectToObject(r, "requested");
    cJSON_AddNullToObject(r, "applied");
    cJSON_AddArrayToObject(r, "inputs");
    cJSON_AddArrayToObject(r, "warnings");
    cJSON_AddNullToObject(r, "revisedPrompt");
    cJSON *cost = cJSON_AddObjectToObject(r, "cost");
    cJSON_AddNumberToObject(cost, "estimatedUsd", 0);
    cJSON_AddStringToObject(cost, "currency", "USD");
    cJSON_AddStringToObject(cost, "note", "no provider was called");
    cJSON_AddArrayToObject(r, "attempts");
    cJSON_AddNullToObject(r, "error");
    cJSON_AddNumberToObject(r, "durationMs", 0);
    return r;
}

void ig_result_put(cJSON *result, const char *key, cJSON *item)
{
    if (cJSON_HasObjectItem(result, key))
        cJSON_ReplaceItemInObjectCaseSensitive(result, key, item);
    else
        cJSON_AddItemToObject(result, key, item);
}

cJSON *ig_result_get(cJSON *result, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(result, key);
}

void ig_result_set_error(cJSON *result, const ig_error *err)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "code", ig_error_code_name(err->code));
    cJSON_AddStringToObject(e, "message", err->message);
    if (err->field[0])
        cJSON_AddStringToObject(e, "field", err->field);
    else
        cJSON_AddNullToObject(e, "field");
    cJSON_AddBoolToObject(e, "retryable", err->retryable);
    if (err->retry_after_s > 0)
        cJSON_AddNumberToObject(e, "retryAfterSeconds", err->retry_after_s);
    if (err->http_status > 0)
        cJSON_AddNumberToObject(e, "httpStatus", (double)err->http_status);
    cJSON_AddStringToObject(e, "hint", err->hint);
    ig_result_put(result, "error", e);
    ig_result_put(result, "ok", cJSON_CreateFalse());
    ig_result_put(result, "status", cJSON_CreateString(
                                        err->code == IG_ERR_CANCELED ? "canceled" : "failed"));
}

void ig_result_set_ok(cJSON *result)
{
    ig_result_put(result, "ok", cJSON_CreateTrue());
    ig_result_put(result, "status", cJSON_CreateString("succeeded"));
    ig_result_put(result, "error", cJSON_CreateNull());
}

static void add_warning(cJSON *warnings, const char *field, const char *fmt, va_list ap)
{
    char message[512];
    vsnprintf(message, sizeof message, fmt, ap);
    cJSON *w = cJSON_CreateObject();
    cJSON_AddStringToObject(w, "field", field ? field : "");
    cJSON_AddStringToObject(w, "message", message);
    cJSON_AddItemToArray(warnings, w);
}

void ig_result_warn(cJSON *result, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_warning(ig_result_get(result, "warnings"), field, fmt, ap);
    va_end(ap);
}

void ig_warnings_add(cJSON *warnings, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_warning(warnings, field, fmt, ap);
    va_end(ap);
}

char *ig_result_render(const cJSON *result, const ig_redactor *redactor)
{
    char *text = cJSON_PrintUnformatted(result);
    if (!text)
        return NULL;
    char *clean = ig_redact(redactor, text);
    cJSON_free(text);
    return clean;
}

char *ig_result_error_text(const char *tool, const ig_error *err,
                           const ig_redactor *redactor)
{
    cJSON *r = ig_result_new(tool);
    if (!r)
        return NULL;
    ig_result_set_error(r, err);
    char *text = ig_result_render(r, redactor);
    cJSON_Delete(r);
    return text;
}

void ig_result_add_image(cJSON *result, const ig_stored_image *image)
{
    cJSON *img = cJSON_CreateObject();
    cJSON_AddStringToObject(img, "id", image->id);
    cJSON_AddStringToObject(img, "path", image->path);
    cJSON_AddStringToObject(img, "mimeType", image->mime_type);
    cJSON_AddNumberToObject(img, "width", image->width);
    cJSON_AddNumberToObject(img, "height", image->height);
    cJSON_AddNumberToObject(img, "bytes", (double)image->bytes);
    cJSON_AddStringToObject(img, "sha256", image->sha256);
    cJSON_AddItemToArray(ig_result_get(result, "images"), img);
}
