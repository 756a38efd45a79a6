/*
 * openrouter_inputs.c - content parts of chat messages: {type:"text",text}
 * and {type:"image_url",image_url:{url}}. A data: URL must carry base64 of a
 * real PNG, JPEG, WebP or GIF (the types OpenRouter lists for image inputs),
 * else the upstream provider refuses it (400 "Provider returned error" with
 * its raw message); http(s) URLs are accepted without fetching.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emulators/emu_images.h"
#include "emulators/openrouter_internal.h"

/* The image types OpenRouter accepts in data: URLs. */
static const char *const input_types[] = {"image/png", "image/jpeg", "image/webp", "image/gif",
                                          NULL};

/* The provider's own words for an input image it cannot use. */
static const char *undecodable_raw(const orr_model *m)
{
    if (!strncmp(m->id, "google/", 7))
        return "{\"error\":{\"code\":400,\"message\":\"Unable to process input image. Please "
               "retry or report in https://developers.generativeai.google/guide/"
               "troubleshooting\",\"status\":\"INVALID_ARGUMENT\"}}";
    if (!strncmp(m->id, "openai/", 7))
        return "{\"error\":{\"message\":\"You uploaded an unsupported image. Please make sure "
               "your image is valid.\",\"type\":\"invalid_request_error\",\"param\":null,"
               "\"code\":\"invalid_image_format\"}}";
    return "{\"detail\":\"Failed to decode the input image.\"}";
}

/* Fills *e as the provider's 400 for an input image it cannot decode. */
static int bad_image(const orr_model *m, orr_error *e)
{
    orr_error_set(e, 400, "Provider returned error");
    snprintf(e->provider, sizeof e->provider, "%s", m->provider);
    snprintf(e->raw, sizeof e->raw, "%s", undecodable_raw(m));
    return -1;
}

/* Width and height of a GIF from its logical screen descriptor (libvips is
 * kept to PNG/JPEG/WebP in the emulators). */
static bool gif_size(const unsigned char *d, size_t n, int *w, int *h)
{
    if (n < 13 || (memcmp(d, "GIF87a", 6) && memcmp(d, "GIF89a", 6)))
        return false;
    *w = d[6] | d[7] << 8;
    *h = d[8] | d[9] << 8;
    return *w > 0 && *h > 0;
}

/* Checks a data: URL: an accepted image type, base64, a decodable image. */
static int check_data_url(const char *url, const char *where, const orr_model *m,
                          orr_params *p, orr_error *e)
{
    const char *semi = strchr(url, ';');
    const char *comma = strchr(url, ',');
    bool typed = false;
    for (size_t i = 0; semi && input_types[i]; i++)
        typed |= (size_t)(semi - url - 5) == strlen(input_types[i]) &&
                 !strncasecmp(url + 5, input_types[i], strlen(input_types[i]));
    if (!typed || !comma || strncmp(semi, ";base64,", 8) || comma != semi + 7) {
        orr_error_set(e, 400, "Invalid input: %s.image_url.url must be a data URL of the form "
                      "data:image/(png|jpeg|webp|gif);base64,<data>", where);
        return -1;
    }
    size_t size = 0;
    unsigned char *bytes = emu_base64_decode(comma + 1, &size);
    emu_probe probe;
    int w = 0, h = 0;
    bool ok = bytes && size > 0 &&
              (emu_image_probe(bytes, size, &probe) ? (w = probe.width, h = probe.height, true)
                                                    : gif_size(bytes, size, &w, &h));
    free(bytes);
    if (!ok)
        return bad_image(m, e);
    if (p->input_w == 0) {
        p->input_w = w;
        p->input_h = h;
    }
    return 0;
}

int orr_check_part(const cJSON *part, const char *where, const orr_model *m, orr_params *p,
                   orr_error *e)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(part, "type"));
    if (!cJSON_IsObject(part) || !type || (strcmp(type, "text") && strcmp(type, "image_url"))) {
        orr_error_set(e, 400, "Invalid input: %s.type must be one of text, image_url", where);
        return -1;
    }
    if (!strcmp(type, "text")) {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(part, "text"))) {
            orr_error_set(e, 400, "Invalid input: %s.text must be a string", where);
            return -1;
        }
        return 0;
    }
    const cJSON *image = cJSON_GetObjectItemCaseSensitive(part, "image_url");
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(image, "url"));
    if (!url) {
        orr_error_set(e, 400, "Invalid input: %s.image_url.url must be a string", where);
        return -1;
    }
    p->input_images++;
    if (!strncasecmp(url, "data:", 5))
        return check_data_url(url, where, m, p, e);
    if (!strncasecmp(url, "https://", 8) || !strncasecmp(url, "http://", 7))
        return 0; /* fetched by the provider in reality; not fetched here */
    orr_error_set(e, 400, "Invalid input: %s.image_url.url must be an http(s) URL or a "
                  "base64 data URL", where);
    return -1;
}
