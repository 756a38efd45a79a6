/*
 * openai_validate_files.c - the multipart side of the OpenAI emulator's
 * validation: form fields to a typed JSON object, and the image/mask file
 * rules of /images/edits and /images/variations.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emulators/openai_validate_internal.h"

#define MB (1024u * 1024u)

/* A multipart field value as JSON: integers and booleans as OpenAI parses them. */
static cJSON *form_value(const char *name, const char *v)
{
    static const char *const ints[] = {"n", "output_compression", "partial_images", NULL};
    if (oai_in(ints, name)) {
        const char *d = v + (*v == '-');
        bool digits = *d != 0 && strlen(d) < 10;
        for (; *d && digits; d++)
            digits = isdigit((unsigned char)*d);
        if (digits)
            return cJSON_CreateNumber((double)strtol(v, NULL, 10));
    }
    if (!strcmp(name, "stream") && (!strcmp(v, "true") || !strcmp(v, "false")))
        return cJSON_CreateBool(!strcmp(v, "true"));
    return cJSON_CreateString(v);
}

/* The non-file parts as a JSON object; NULL with *e set on an unknown part. */
static cJSON *form_object(const emu_request *req, const char *const *allowed, oai_error *e)
{
    cJSON *obj = cJSON_CreateObject();
    for (size_t i = 0; i < req->part_count; i++) {
        const emu_part *part = &req->parts[i];
        if (!oai_in(allowed, part->name)) {
            oai_error_set(e, NULL, NULL, "Unrecognized request argument supplied: %s",
                          part->name);
            cJSON_Delete(obj);
            return NULL;
        }
        if (!strcmp(part->name, "image") || !strcmp(part->name, "image[]") ||
            !strcmp(part->name, "mask"))
            continue;
        cJSON_DeleteItemFromObjectCaseSensitive(obj, part->name);
        cJSON_AddItemToObject(obj, part->name, form_value(part->name, (const char *)part->data));
    }
    return obj;
}

void oai_request_model(const emu_request *req, oai_endpoint ep, char *model, size_t size)
{
    oai_error e;
    cJSON *obj = ep == OAI_GENERATIONS
                     ? cJSON_ParseWithLength((const char *)req->body, req->body_size)
                     : form_object(req, ep == OAI_EDITS ? oai_edit_fields : oai_variation_fields,
                                   &e);
    snprintf(model, size, "%s", cJSON_IsObject(obj) ? oai_model_of(obj, ep)
                                : ep == OAI_GENERATIONS ? "dall-e-2"
                                : ep == OAI_EDITS       ? "gpt-image-1.5"
                                                        : "dall-e-2");
    cJSON_Delete(obj);
}

/* Checks one uploaded file part: a file, an allowed type, decodable, small enough. */
static int check_file(const emu_part *part, const char *param, bool png_only, size_t max,
                      emu_probe *info, oai_error *e)
{
    const char *ct = part->content_type;
    if (!part->filename[0]) {
        oai_error_set(e, param, "invalid_type",
                      "Invalid type for '%s': expected a file, but got a string instead.",
                      param);
        return -1;
    }
    bool ok_type = !strcasecmp(ct, "image/png") ||
                   (!png_only && (!strcasecmp(ct, "image/jpeg") || !strcasecmp(ct, "image/webp")));
    if (!ok_type) {
        oai_error_set(e, param, "unsupported_file_mimetype",
                      png_only ? "Invalid file '%s': unsupported mimetype ('%s'). Supported "
                                 "file formats are 'image/png'."
                               : "Invalid file '%s': unsupported mimetype ('%s'). Supported "
                                 "file formats are 'image/jpeg', 'image/png', and 'image/webp'.",
                      param, ct[0] ? ct : "none");
        return -1;
    }
    if (part->size >= max) {
        oai_error_set(e, param, "invalid_value",
                      "Invalid file '%s': the file must be less than %zu MB.", param, max / MB);
        return -1;
    }
    if (!emu_image_probe(part->data, part->size, info) || !info->format[0] ||
        (png_only && strcmp(info->format, "png"))) {
        oai_error_set(e, param, "invalid_image_format",
                      "Invalid image file or mode for image '%s', please check your image "
                      "file.", param);
        return -1;
    }
    return 0;
}

/* Input tokens an image costs (a tile estimate, like the real usage). */
static int image_tokens(const emu_probe *info)
{
    int tiles = ((info->width + 511) / 512) * ((info->height + 511) / 512);
    return 65 + 129 * tiles;
}

/* The mask rules: PNG, alpha channel, exactly the first image's size. */
static int check_mask(const emu_part *mask, const emu_probe *first, oai_error *e)
{
    emu_probe info;
    if (check_file(mask, "mask", true, 4 * MB, &info, e))
        return -1;
    if (!info.alpha) {
        oai_error_set(e, "mask", "invalid_image_format",
                      "Invalid mask image: the mask must have an alpha channel (RGBA or LA); "
                      "its fully transparent pixels mark the area to edit.");
        return -1;
    }
    if (info.width != first->width || info.height != first->height) {
        oai_error_set(e, "mask", "invalid_image_format",
                      "Invalid mask image: the mask (%dx%d) and the image (%dx%d) must have "
                      "the same dimensions.", info.width, info.height, first->width,
                      first->height);
        return -1;
    }
    return 0;
}

/* Checks every image part and the mask; fills the input-image fields of p. */
static int check_images(const emu_request *req, oai_endpoint ep, oai_params *p, oai_error *e)
{
    bool dalle = !p->gpt;
    emu_probe first = {0};
    const emu_part *mask = NULL;
    for (size_t i = 0; i < req->part_count; i++) {
        const emu_part *part = &req->parts[i];
        if (!strcmp(part->name, "mask")) {
            mask = part;
            continue;
        }
        if (strcmp(part->name, "image") && strcmp(part->name, "image[]"))
            continue;
        if (++p->image_count > (dalle ? 1 : OAI_MAX_IMAGES)) {
            oai_error_set(e, "image", "invalid_value",
                          dalle ? "Invalid 'image': %s takes exactly one image."
                                : "Invalid 'image': at most 16 images are allowed (%s).",
                          p->model);
            return -1;
        }
        emu_probe info;
        if (check_file(part, "image", dalle, dalle ? 4 * MB : 50 * MB, &info, e))
            return -1;
        if (dalle && info.width != info.height) {
            oai_error_set(e, "image", "invalid_image_format",
                          "Invalid input image - image must be square (got %dx%d).",
                          info.width, info.height);
            return -1;
        }
        if (p->image_count == 1)
            first = info;
        p->image_tokens += image_tokens(&info);
    }
    if (!p->image_count) {
        oai_error_set(e, "image", "missing_required_parameter",
                      "Missing required parameter: 'image'.");
        return -1;
    }
    if (mask && ep == OAI_EDITS && check_mask(mask, &first, e))
        return -1;
    if (!mask && ep == OAI_EDITS && dalle && !first.alpha) {
        oai_error_set(e, "image", "invalid_image_format",
                      "Invalid input image - format must be in ['RGBA', 'LA', 'L'] with "
                      "transparent pixels when no mask is given, got an image without alpha.");
        return -1;
    }
    if (p->size_auto) { /* auto follows the first image's orientation */
        bool wide = first.width * 5 > first.height * 6, tall = first.height * 5 > first.width * 6;
        p->width = wide ? 1536 : 1024;
        p->height = tall ? 1536 : 1024;
    }
    return 0;
}

int oai_validate_form(const emu_request *req, oai_endpoint ep, oai_params *p, oai_error *e)
{
    memset(p, 0, sizeof *p);
    if (!req->multipart) {
        oai_error_set(e, NULL, NULL,
                      "Invalid Content-Type header (%s), expected multipart/form-data. (The "
                      "emulator does not emulate JSON image edits.)",
                      req->content_type[0] ? req->content_type : "none");
        return -1;
    }
    cJSON *obj = form_object(req, ep == OAI_EDITS ? oai_edit_fields : oai_variation_fields, e);
    if (!obj)
        return -1;
    int rc = oai_validate_fields(obj, ep, p, e);
    cJSON_Delete(obj);
    if (rc == 0 && (p->size_auto || ep != OAI_GENERATIONS))
        rc = check_images(req, ep, p, e);
    if (rc != 0)
        oai_params_free(p);
    return rc;
}
