/* openrouter_request.c - the chat completion body that asks an OpenRouter
 * model for an image (see openrouter.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/result.h"
#include "providers/openrouter/openrouter.h"
#include "providers/transport/base64_stream.h"

/* How a reference image is introduced, per consistency mode. */
static const char *reference_instruction(ig_consistency mode)
{
    return mode == IG_CONSISTENCY_STRICT
               ? "Draw the same character as in the attached image, keeping the exact "
                 "identity, face and features: "
           : mode == IG_CONSISTENCY_LOOSE
               ? "Use the attached image loosely as inspiration for the character: "
               : "Draw the character from the attached image, keeping it recognisable: ";
}

/* Adds {"type":"image_url","image_url":{"url":"data:..."}} to content. */
static int add_image_part(cJSON *content, const ig_image *image, ig_error *err)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "data:%s;base64,", image->info.mime_type);
    char *url = ig_base64_encode(image->data, image->size, prefix);
    if (!url)
        return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory encoding an image");
    cJSON *part = cJSON_CreateObject();
    cJSON_AddStringToObject(part, "type", "image_url");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(part, "image_url"), "url", url);
    cJSON_AddItemToArray(content, part);
    free(url);
    return 0;
}

/* Adds {"type":"text","text": first + second} to content. */
static void add_text_part(cJSON *content, const char *first, const char *second)
{
    char *text = ig_backend_join(first, second);
    if (!text)
        return;
    cJSON *part = cJSON_CreateObject();
    cJSON_AddStringToObject(part, "type", "text");
    cJSON_AddStringToObject(part, "text", text);
    cJSON_AddItemToArray(content, part);
    free(text);
}

/* image_config: the ratio, and for models that take it the image_size tier
 * that covers the requested pixels (1K ~ 1 MP, 2K ~ 4 MP, 4K ~ 16 MP). */
static void add_image_config(cJSON *json, const ig_request *req, const ig_applied *applied,
                             cJSON *result)
{
    cJSON *config = cJSON_CreateObject();
    if (applied->aspect_ratio[0])
        cJSON_AddStringToObject(config, "aspect_ratio", applied->aspect_ratio);
    long pixels = (long)req->width * req->height;
    if (pixels > 0 && ig_openrouter_takes_image_size(applied->caps->model)) {
        const char *tier = pixels <= 1200000L ? "1K" : pixels <= 4500000L ? "2K" : "4K";
        cJSON_AddStringToObject(config, "image_size", tier);
        ig_result_warn(result, "size", "image_size %s was asked for to cover %dx%d", tier,
                       req->width, req->height);
    }
    if (cJSON_GetArraySize(config) > 0)
        cJSON_AddItemToObject(json, "image_config", config);
    else
        cJSON_Delete(config);
}

char *ig_openrouter_body(const ig_request *req, const ig_applied *applied, cJSON *result,
                         ig_error *err)
{
    const char *model = applied->caps->model;
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "model", model);
    cJSON *message = cJSON_CreateObject();
    cJSON_AddStringToObject(message, "role", "user");
    cJSON *content = cJSON_AddArrayToObject(message, "content");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(json, "messages"), message);
    int rc = 0;
    if (req->op == IG_OP_EDIT) {
        if (req->strength != 0.75)
            ig_result_warn(result, "strength", "ignored: %s has no edit strength; say in "
                           "the prompt how much should change", model);
        add_text_part(content, "Edit the attached image: ", req->prompt);
        rc = add_image_part(content, &req->images[IG_ROLE_IMAGE], err);
    } else if (applied->send_reference && req->images[IG_ROLE_REFERENCE].data) {
        add_text_part(content, reference_instruction(req->consistency), req->prompt);
        rc = add_image_part(content, &req->images[IG_ROLE_REFERENCE], err);
    } else {
        add_text_part(content, req->prompt, NULL);
    }
    cJSON *modalities = cJSON_AddArrayToObject(json, "modalities");
    cJSON_AddItemToArray(modalities, cJSON_CreateString("image"));
    if (!ig_openrouter_image_only(model))
        cJSON_AddItemToArray(modalities, cJSON_CreateString("text"));
    add_image_config(json, req, applied, result);
    ig_backend_json_options(json, req, "openrouter", result);
    char *text = rc == 0 ? cJSON_PrintUnformatted(json) : NULL;
    if (rc == 0 && !text)
        ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
    cJSON_Delete(json);
    return text;
}
