/*
 * bfl_body.c - the body-level side of the BFL emulator's validation, as
 * FastAPI does it: which content types are read as JSON, the json_invalid,
 * missing and model_attributes_type errors of a body that is not a JSON
 * object, and the pydantic error items every 422 is made of.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "emulators/bfl_internal.h"

/* Appends one pydantic error item (see bfl_internal.h). */
void bfl_error_add(cJSON *errs, const char *field, const char *type, const char *msg,
                   const cJSON *input, cJSON *ctx)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", type);
    cJSON *loc = cJSON_AddArrayToObject(e, "loc");
    cJSON_AddItemToArray(loc, cJSON_CreateString("body"));
    if (field)
        cJSON_AddItemToArray(loc, cJSON_CreateString(field));
    cJSON_AddStringToObject(e, "msg", msg);
    cJSON_AddItemToObject(e, "input", input ? cJSON_Duplicate(input, 1) : cJSON_CreateNull());
    if (!ctx && !strcmp(type, "value_error")) /* FastAPI encodes the ValueError as {} */
        cJSON_AddObjectToObject(ctx = cJSON_CreateObject(), "error");
    if (ctx)
        cJSON_AddItemToObject(e, "ctx", ctx);
    cJSON_AddItemToArray(errs, e);
}

/* Whether FastAPI parses the body as JSON: no content type, or application/(*+)json. */
static bool json_content_type(const char *ct)
{
    if (!ct[0])
        return true;
    if (strncasecmp(ct, "application/", 12))
        return false;
    size_t n = strcspn(ct, ";");
    return (n == 16 && !strncasecmp(ct + 12, "json", 4)) ||
           (n >= 5 && !strncasecmp(ct + n - 5, "+json", 5));
}

/* FastAPI's json_invalid answer for a JSON-typed body that does not parse. */
cJSON *bfl_json_error(const emu_request *req)
{
    const char *end = NULL;
    if (!json_content_type(req->content_type) || req->body_size == 0)
        return NULL;
    /* The body is NUL-terminated one past its size: cJSON wants the NUL in
     * range to refuse trailing garbage the way Python's "Extra data" does. */
    cJSON *body = cJSON_ParseWithLengthOpts((const char *)req->body, req->body_size + 1, &end,
                                            1);
    if (body) {
        cJSON_Delete(body);
        return NULL;
    }
    size_t pos = end ? (size_t)(end - (const char *)req->body) : 0;
    cJSON *errs = cJSON_CreateArray();
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", "json_invalid");
    cJSON *loc = cJSON_AddArrayToObject(e, "loc");
    cJSON_AddItemToArray(loc, cJSON_CreateString("body"));
    cJSON_AddItemToArray(loc, cJSON_CreateNumber((double)pos));
    cJSON_AddStringToObject(e, "msg", "JSON decode error");
    cJSON_AddItemToObject(e, "input", cJSON_CreateObject());
    cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "ctx"), "error", "Expecting value");
    cJSON_AddItemToArray(errs, e);
    return errs;
}

/* Reads the body as FastAPI does: missing, non-JSON types and non-objects are 422s. */
cJSON *bfl_parse_body(const emu_request *req, cJSON *errs)
{
    if (req->body_size == 0 && !req->multipart) {
        bfl_error_add(errs, NULL, "missing", "Field required", NULL, NULL);
        return NULL;
    }
    if (!json_content_type(req->content_type)) { /* FastAPI validates the raw bytes */
        cJSON *raw = cJSON_CreateString(req->multipart ? "" : (const char *)req->body);
        bfl_error_add(errs, NULL, "model_attributes_type", "Input should be a valid dictionary "
                      "or object to extract fields from", raw, NULL);
        cJSON_Delete(raw);
        return NULL;
    }
    cJSON *bad_json = bfl_json_error(req);
    if (bad_json) {
        cJSON *item;
        while ((item = cJSON_DetachItemFromArray(bad_json, 0)) != NULL)
            cJSON_AddItemToArray(errs, item);
        cJSON_Delete(bad_json);
        return NULL;
    }
    cJSON *body = cJSON_ParseWithLength((const char *)req->body, req->body_size);
    if (!cJSON_IsObject(body)) {
        bfl_error_add(errs, NULL, "model_attributes_type", "Input should be a valid dictionary "
                      "or object to extract fields from", body, NULL);
        cJSON_Delete(body);
        return NULL;
    }
    return body;
}
