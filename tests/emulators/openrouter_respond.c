/*
 * openrouter_respond.c - the OpenRouter emulator's success answers: one
 * chat.completion object whose assistant message carries the generated
 * image as a base64 data URL in message.images[] (PNG: the image-generation
 * guide says images come back as data URLs, typically PNG), plus usage with
 * tokens and cost.
 *
 * Cost: image answers cost images x the model's per-image price (orr_models);
 * text-only answers cost their completion tokens. Prompt tokens are reported
 * but not billed, so a test can predict usage.cost exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulators/emu_images.h"
#include "emulators/openrouter_internal.h"

/* The assistant's words for an answer. */
static void answer_text(const orr_params *p, const orr_answer *a, bool drawing, char *buf,
                        size_t size)
{
    const orr_model *m = p->model;
    if (a->kind == ORR_ANSWER_CHOICE_ERROR)
        snprintf(buf, size, "%s", "");
    else if (a->kind == ORR_ANSWER_TEXT_ONLY)
        snprintf(buf, size, "I'm sorry, but I can't create that image. I can help with a "
                 "different request instead.");
    else if (drawing && (!p->want_text || !m->text_out))
        snprintf(buf, size, "%s", "");
    else if (drawing)
        snprintf(buf, size, "Here is the image you asked for.");
    else
        snprintf(buf, size, "Image output was not requested, so here is a text answer to: "
                 "%.120s", p->prompt);
}

/* Adds one generated image as {type:"image_url",image_url:{url:data:...}}; false on an
 * encoder failure. */
static bool add_image(cJSON *images, const orr_params *p, unsigned seed, int w, int h)
{
    size_t size = 0;
    unsigned char *bytes = emu_image_make(w, h, p->model->format, 90, false, seed, &size);
    if (!bytes)
        return false;
    char *b64 = emu_base64(bytes, size);
    free(bytes);
    size_t n = strlen(b64) + 32;
    char *url = malloc(n);
    if (!url)
        abort();
    snprintf(url, n, "data:image/%s;base64,%s", p->model->format, b64);
    free(b64);
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "type", "image_url");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(item, "image_url"), "url", url);
    cJSON_AddItemToArray(images, item);
    free(url);
    return true;
}

/* The usage object: tokens and cost (see the file comment). */
static cJSON *usage_json(const orr_params *p, int images, const char *text)
{
    const orr_model *m = p->model;
    bool big = m->takes_image_size && !strcmp(p->image_size, "4K");
    int image_tokens = images * (big ? m->image_tokens_4k : m->image_tokens);
    int text_tokens = (int)(strlen(text) + 3) / 4;
    double cost = images ? images * (big ? m->image_price_4k : m->image_price)
                         : text_tokens * m->completion_price;
    cJSON *u = cJSON_CreateObject();
    cJSON_AddNumberToObject(u, "prompt_tokens", p->prompt_tokens);
    cJSON_AddNumberToObject(u, "completion_tokens", image_tokens + text_tokens);
    cJSON_AddNumberToObject(u, "total_tokens", p->prompt_tokens + image_tokens + text_tokens);
    cJSON_AddNumberToObject(u, "cost", cost);
    cJSON_AddBoolToObject(u, "is_byok", false);
    cJSON *pd = cJSON_AddObjectToObject(u, "prompt_tokens_details");
    cJSON_AddNumberToObject(pd, "cached_tokens", 0);
    cJSON_AddNumberToObject(pd, "audio_tokens", 0);
    cJSON *cd = cJSON_AddObjectToObject(u, "cost_details");
    cJSON_AddNullToObject(cd, "upstream_inference_cost");
    cJSON_AddNumberToObject(cd, "upstream_inference_prompt_cost", 0);
    cJSON_AddNumberToObject(cd, "upstream_inference_completions_cost", cost);
    cJSON *ctd = cJSON_AddObjectToObject(u, "completion_tokens_details");
    cJSON_AddNumberToObject(ctd, "reasoning_tokens", 0);
    cJSON_AddNumberToObject(ctd, "image_tokens", image_tokens);
    return u;
}

/* The choice's finish reasons and, for CHOICE_ERROR, its error object. */
static void finish_choice(cJSON *choice, const orr_params *p, const orr_answer *a)
{
    bool failed = a->kind == ORR_ANSWER_CHOICE_ERROR;
    cJSON_AddStringToObject(choice, "finish_reason", failed ? "error" : "stop");
    cJSON_AddStringToObject(choice, "native_finish_reason",
                            failed ? "error" : p->model->native_finish);
    if (!failed)
        return;
    cJSON *err = cJSON_AddObjectToObject(choice, "error");
    cJSON_AddNumberToObject(err, "code", a->error_code);
    cJSON_AddStringToObject(err, "message", a->error_message ? a->error_message : "");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(err, "metadata"), "provider_name",
                            p->model->provider);
}

void orr_respond_completion(const orr_respond_ctx *ctx, const orr_params *p,
                            const orr_answer *a, emu_response *out)
{
    bool drawing = a->kind == ORR_ANSWER_NORMAL && p->want_image;
    char text[256], id[64];
    answer_text(p, a, drawing, text, sizeof text);
    long now = (long)time(NULL);
    snprintf(id, sizeof id, "gen-%ld-emu%017u", now, ctx->next_seed(ctx->cls));
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "id", id);
    cJSON_AddStringToObject(root, "provider", p->model->provider);
    cJSON_AddStringToObject(root, "model", p->model->id);
    cJSON_AddStringToObject(root, "object", "chat.completion");
    cJSON_AddNumberToObject(root, "created", (double)now);
    cJSON *choice = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "choices"), choice);
    cJSON_AddNullToObject(choice, "logprobs");
    finish_choice(choice, p, a);
    cJSON_AddNumberToObject(choice, "index", 0);
    cJSON *msg = cJSON_AddObjectToObject(choice, "message");
    cJSON_AddStringToObject(msg, "role", "assistant");
    cJSON_AddStringToObject(msg, "content", text);
    cJSON_AddNullToObject(msg, "refusal");
    cJSON_AddNullToObject(msg, "reasoning");
    int images = 0;
    if (drawing) {
        int w, h;
        orr_output_size(p->model, p->aspect, p->image_size, p->input_w, p->input_h, &w, &h);
        if (!add_image(cJSON_AddArrayToObject(msg, "images"), p, ctx->next_seed(ctx->cls), w,
                       h)) {
            cJSON_Delete(root);
            orr_respond_status(out, 500, p->model->id, "", 0);
            return;
        }
        images = 1;
    }
    cJSON_AddItemToObject(root, "usage", usage_json(p, images, text));
    ctx->count(ctx->cls, p->model->id, images);
    emu_respond_json(out, 200, root);
}
