/* openai_respond.h - success answers of the OpenAI emulator (openai_respond.c). */
#ifndef IG_OPENAI_RESPOND_H
#define IG_OPENAI_RESPOND_H

#include "emulators/openai_internal.h"

/* The emulator state the answer builder needs, as callbacks (any thread). */
typedef struct oai_respond_ctx {
    void *cls;
    unsigned (*next_seed)(void *cls);
    /* Keeps PNG bytes (takes ownership) and returns their malloc'd URL. */
    char *(*store)(void *cls, unsigned char *png, size_t size);
    void (*count)(void *cls, const char *model, int images);
    /* Fills a 500 when an image cannot be encoded. */
    void (*fail)(void *cls, emu_response *out);
} oai_respond_ctx;

/* Answers a validated request: ImagesResponse JSON, or SSE when p->stream
 * (GPT models). Resolves an auto size still left at 0 to 1024x1024. */
void oai_respond_images(const oai_respond_ctx *ctx, oai_params *p, emu_response *out);

#endif
