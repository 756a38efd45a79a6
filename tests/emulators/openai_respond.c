/*
 * openai_respond.c - the OpenAI emulator's success answers: ImagesResponse
 * JSON, or Server-Sent Events when stream=true.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulators/openai_respond.h"

/* Usage tokens an output image costs at a quality (scaled by area). */
static int output_tokens(const oai_params *p)
{
    int base = !strcmp(p->quality, "low") ? 272 : !strcmp(p->quality, "high") ? 4160 : 1056;
    long long t = (long long)base * p->width * p->height / (1024LL * 1024LL);
    return t < 16 ? 16 : (int)t;
}

/* The ImagesUsage object of a GPT answer for `images` output images. */
static cJSON *usage_json(const oai_params *p, int images)
{
    int text = p->prompt ? (int)(strlen(p->prompt) + 3) / 4 : 0;
    int out = output_tokens(p) * images;
    cJSON *u = cJSON_CreateObject();
    cJSON_AddNumberToObject(u, "input_tokens", text + p->image_tokens);
    cJSON_AddNumberToObject(u, "output_tokens", out);
    cJSON_AddNumberToObject(u, "total_tokens", text + p->image_tokens + out);
    cJSON *d = cJSON_AddObjectToObject(u, "input_tokens_details");
    cJSON_AddNumberToObject(d, "text_tokens", text);
    cJSON_AddNumberToObject(d, "image_tokens", p->image_tokens);
    return u;
}

/* The resolved settings every GPT answer (and stream event) carries. */
static void add_settings(cJSON *o, const oai_params *p)
{
    char size[32];
    snprintf(size, sizeof size, "%dx%d", p->width, p->height);
    cJSON_AddStringToObject(o, "background", p->transparent ? "transparent" : "opaque");
    cJSON_AddStringToObject(o, "output_format", p->output_format);
    cJSON_AddStringToObject(o, "size", size);
    cJSON_AddStringToObject(o, "quality", p->quality);
}

/* Makes image i of a request; NULL on an encoder failure. */
static unsigned char *make_one(const oai_params *p, unsigned seed, size_t *size)
{
    const char *fmt = p->gpt ? p->output_format : "png";
    return emu_image_make(p->width, p->height, fmt, p->output_compression,
                          p->gpt && p->transparent, seed, size);
}

/* Appends one SSE event to a growing buffer. */
static void sse_event(char **buf, size_t *len, const char *type, cJSON *data)
{
    cJSON_AddStringToObject(data, "type", type);
    char *text = cJSON_PrintUnformatted(data);
    cJSON_Delete(data);
    size_t add = strlen(type) + strlen(text) + 32;
    char *p = realloc(*buf, *len + add);
    if (!p || !text)
        abort();
    *buf = p;
    *len += (size_t)sprintf(p + *len, "event: %s\ndata: %s\n\n", type, text);
    free(text);
}

/* stream=true: partial_images partial events then a completed event per image. */
static void respond_stream(const oai_respond_ctx *ctx, const oai_params *p, emu_response *out)
{
    const char *prefix = p->ep == OAI_EDITS ? "image_edit" : "image_generation";
    char partial[48], completed[48];
    snprintf(partial, sizeof partial, "%s.partial_image", prefix);
    snprintf(completed, sizeof completed, "%s.completed", prefix);
    char *buf = NULL;
    size_t len = 0;
    for (int i = 0; i < p->n; i++) {
        size_t size;
        unsigned char *img = make_one(p, ctx->next_seed(ctx->cls), &size);
        if (!img) {
            free(buf);
            ctx->fail(ctx->cls, out);
            return;
        }
        char *b64 = emu_base64(img, size);
        free(img);
        for (int k = 0; k < p->partial_images; k++) {
            cJSON *ev = cJSON_CreateObject();
            cJSON_AddStringToObject(ev, "b64_json", b64);
            cJSON_AddNumberToObject(ev, "created_at", (double)time(NULL));
            add_settings(ev, p);
            cJSON_AddNumberToObject(ev, "partial_image_index", k);
            sse_event(&buf, &len, partial, ev);
        }
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "b64_json", b64);
        cJSON_AddNumberToObject(ev, "created_at", (double)time(NULL));
        add_settings(ev, p);
        cJSON_AddItemToObject(ev, "usage", usage_json(p, 1));
        sse_event(&buf, &len, completed, ev);
        free(b64);
    }
    emu_respond_bytes(out, 200, "text/event-stream", buf, len);
    free(buf);
}

void oai_respond_images(const oai_respond_ctx *ctx, oai_params *p, emu_response *out)
{
    if (p->width == 0) /* generations with size auto */
        p->width = p->height = 1024;
    if (p->stream && p->gpt) {
        respond_stream(ctx, p, out);
        ctx->count(ctx->cls, p->model, p->n);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "created", (double)time(NULL));
    cJSON *data = cJSON_AddArrayToObject(root, "data");
    for (int i = 0; i < p->n; i++) {
        size_t size;
        unsigned char *img = make_one(p, ctx->next_seed(ctx->cls), &size);
        if (!img) {
            cJSON_Delete(root);
            ctx->fail(ctx->cls, out);
            return;
        }
        cJSON *item = cJSON_CreateObject();
        if (p->url) {
            char *url = ctx->store(ctx->cls, img, size);
            cJSON_AddStringToObject(item, "url", url);
            free(url);
        } else {
            char *b64 = emu_base64(img, size);
            cJSON_AddStringToObject(item, "b64_json", b64);
            free(b64);
            free(img);
        }
        if (!strcmp(p->model, "dall-e-3")) {
            size_t n = strlen(p->prompt) + 64;
            char *revised = malloc(n);
            if (!revised)
                abort();
            snprintf(revised, n, "A detailed, high-quality rendering of: %s", p->prompt);
            cJSON_AddStringToObject(item, "revised_prompt", revised);
            free(revised);
        }
        cJSON_AddItemToArray(data, item);
    }
    if (p->gpt) {
        add_settings(root, p);
        cJSON_AddItemToObject(root, "usage", usage_json(p, p->n));
    }
    ctx->count(ctx->cls, p->model, p->n);
    emu_respond_json(out, 200, root);
}
