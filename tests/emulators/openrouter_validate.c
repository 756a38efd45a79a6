/*
 * openrouter_validate.c - request validation of POST /api/v1/chat/completions
 * as OpenRouter does it for image output: JSON, model, stream, messages (or
 * prompt), modalities against the model's output modalities (404 "No
 * endpoints found ..."), and image_config. Content parts and input images are
 * checked in openrouter_inputs.c. Unknown top-level fields are ignored, as
 * the service passes or drops them; "n" is one of those (one choice, one
 * image: the image models serve n=1 only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/openrouter_internal.h"

static const char *const roles[] = {"system", "user", "assistant", "tool", "developer", NULL};
static const char *const modalities[] = {"text", "image", "audio", NULL};
static const char *const image_sizes[] = {"1K", "2K", "4K", NULL};

/* Whether s is in the NULL-terminated list. */
static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; s && list[i]; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

/* "a, b, c" of a NULL-terminated list. */
static void join(const char *const *list, char *buf, size_t size)
{
    buf[0] = 0;
    for (size_t i = 0; list[i]; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? ", " : "", list[i]);
}

/* Appends the text of a message's content (string or text parts) to buf. */
static void append_text(const cJSON *content, char **buf, size_t *len)
{
    const cJSON *part;
    if (cJSON_IsString(content)) {
        size_t add = strlen(content->valuestring);
        char *p = realloc(*buf, *len + add + 2);
        if (!p)
            abort();
        *buf = p;
        if (*len)
            p[(*len)++] = ' ';
        memcpy(p + *len, content->valuestring, add + 1);
        *len += add;
        return;
    }
    cJSON_ArrayForEach(part, content)
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(part, "type"));
        if (type && !strcmp(type, "text"))
            append_text(cJSON_GetObjectItemCaseSensitive(part, "text"), buf, len);
    }
}

/* The text of the last user message (or of "prompt"); malloc'd, maybe "". */
static char *last_user_text(const cJSON *root)
{
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages");
    const cJSON *last = NULL, *m;
    cJSON_ArrayForEach(m, (cJSON_IsArray(msgs) ? msgs : NULL))
    {
        const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
        if (role && !strcmp(role, "user"))
            last = m;
    }
    char *buf = calloc(1, 1);
    size_t len = 0;
    if (!buf)
        abort();
    if (last)
        append_text(cJSON_GetObjectItemCaseSensitive(last, "content"), &buf, &len);
    else
        append_text(cJSON_GetObjectItemCaseSensitive(root, "prompt"), &buf, &len);
    return buf;
}

/* Characters of every text in the request, for prompt_tokens. */
static size_t all_text_length(const cJSON *root)
{
    size_t total = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(root, "messages"))
    {
        char *buf = calloc(1, 1);
        size_t len = 0;
        if (!buf)
            abort();
        append_text(cJSON_GetObjectItemCaseSensitive(m, "content"), &buf, &len);
        total += len;
        free(buf);
    }
    const char *prompt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "prompt"));
    return total + (prompt ? strlen(prompt) : 0);
}

/* Checks one message: role, then content (string, parts or null). */
static int check_message(const cJSON *msg, int i, const orr_model *model, orr_params *p,
                         orr_error *e)
{
    if (!cJSON_IsObject(msg)) {
        orr_error_set(e, 400, "Invalid input: messages[%d] must be an object", i);
        return -1;
    }
    const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "role"));
    if (!in_list(roles, role)) {
        char list[80];
        join(roles, list, sizeof list);
        orr_error_set(e, 400, "Invalid input: messages[%d].role must be one of %s", i, list);
        return -1;
    }
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (cJSON_IsString(content) || (cJSON_IsNull(content) && !strcmp(role, "assistant")))
        return 0;
    if (!cJSON_IsArray(content)) {
        orr_error_set(e, 400, "Invalid input: messages[%d].content must be a string or an "
                      "array of content parts", i);
        return -1;
    }
    int j = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, content)
    {
        char where[64];
        snprintf(where, sizeof where, "messages[%d].content[%d]", i, j++);
        if (orr_check_part(part, where, model, p, e))
            return -1;
    }
    return 0;
}

/* Checks modalities and that the model has an endpoint producing them. */
static int check_modalities(const cJSON *root, const orr_model *m, orr_params *p,
                            orr_error *e)
{
    const cJSON *mods = cJSON_GetObjectItemCaseSensitive(root, "modalities");
    if (!mods || cJSON_IsNull(mods)) {
        p->want_text = true; /* the default output is text */
    } else if (!cJSON_IsArray(mods) || cJSON_GetArraySize(mods) == 0) {
        orr_error_set(e, 400, "Invalid input: modalities must be a non-empty array of "
                      "output modalities (text, image, audio)");
        return -1;
    }
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, (cJSON_IsArray(mods) ? mods : NULL))
    {
        const char *s = cJSON_GetStringValue(v);
        if (!in_list(modalities, s)) {
            orr_error_set(e, 400, "Invalid input: modalities[%d] must be one of text, image, "
                          "audio", i);
            return -1;
        }
        p->want_text |= !strcmp(s, "text");
        p->want_image |= !strcmp(s, "image");
        i++;
    }
    bool audio = false;
    cJSON_ArrayForEach(v, (cJSON_IsArray(mods) ? mods : NULL))
        audio |= !strcmp(v->valuestring, "audio");
    if ((p->want_text && !m->text_out) || (p->want_image && !m->image_out) || audio) {
        char list[64] = "";
        if (!cJSON_IsArray(mods))
            snprintf(list, sizeof list, "text");
        cJSON_ArrayForEach(v, (cJSON_IsArray(mods) ? mods : NULL))
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     list[0] ? ", " : "", v->valuestring);
        orr_error_set(e, 404, "No endpoints found that support the requested output "
                      "modalities: %s", list);
        return -1;
    }
    return 0;
}

/* Checks image_config (an object; aspect_ratio and image_size enums). */
static int check_image_config(const cJSON *root, orr_params *p, orr_error *e)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "image_config");
    snprintf(p->image_size, sizeof p->image_size, "1K");
    if (!cfg || cJSON_IsNull(cfg))
        return 0;
    if (!cJSON_IsObject(cfg)) {
        orr_error_set(e, 400, "Invalid input: image_config must be an object");
        return -1;
    }
    const cJSON *ar = cJSON_GetObjectItemCaseSensitive(cfg, "aspect_ratio");
    const cJSON *sz = cJSON_GetObjectItemCaseSensitive(cfg, "image_size");
    char list[120];
    if (ar && !in_list(orr_aspect_ratios, cJSON_GetStringValue(ar))) {
        join(orr_aspect_ratios, list, sizeof list);
        orr_error_set(e, 400, "Invalid input: image_config.aspect_ratio must be one of %s",
                      list);
        return -1;
    }
    if (sz && !in_list(image_sizes, cJSON_GetStringValue(sz))) {
        join(image_sizes, list, sizeof list);
        orr_error_set(e, 400, "Invalid input: image_config.image_size must be one of %s", list);
        return -1;
    }
    if (ar)
        snprintf(p->aspect, sizeof p->aspect, "%s", ar->valuestring);
    if (sz)
        snprintf(p->image_size, sizeof p->image_size, "%s", sz->valuestring);
    return 0;
}

/* Checks model: a string naming a catalogue model. */
static int check_model(const cJSON *root, orr_params *p, orr_error *e)
{
    const cJSON *mv = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!mv || cJSON_IsNull(mv)) {
        /* The service would use the account's default model; the emulator has no account. */
        orr_error_set(e, 400, "Invalid input: model is required (this emulator has no account "
                      "default model)");
        return -1;
    }
    if (!cJSON_IsString(mv)) {
        orr_error_set(e, 400, "Invalid input: model must be a string");
        return -1;
    }
    p->model = orr_model_find(mv->valuestring);
    if (!p->model) {
        orr_error_set(e, 400, "%.200s is not a valid model ID", mv->valuestring);
        return -1;
    }
    return 0;
}

/* Checks everything but the JSON parse. */
static int check_root(const cJSON *root, orr_params *p, orr_error *e)
{
    if (check_model(root, p, e))
        return -1;
    const cJSON *stream = cJSON_GetObjectItemCaseSensitive(root, "stream");
    if (stream && !cJSON_IsBool(stream) && !cJSON_IsNull(stream)) {
        orr_error_set(e, 400, "Invalid input: stream must be a boolean");
        return -1;
    }
    if (cJSON_IsTrue(stream)) {
        orr_error_set(e, 400, "stream: true is not supported by this emulator (it answers "
                      "whole responses only); send stream: false");
        return -1;
    }
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages");
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(root, "prompt");
    bool have_msgs = cJSON_IsArray(msgs) && cJSON_GetArraySize(msgs) > 0;
    if (!have_msgs && !(cJSON_IsString(prompt) && prompt->valuestring[0])) {
        orr_error_set(e, 400, "Input required: specify \"prompt\" or \"messages\"");
        return -1;
    }
    int i = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, (have_msgs ? msgs : NULL))
        if (check_message(m, i++, p->model, p, e))
            return -1;
    return check_modalities(root, p->model, p, e) || check_image_config(root, p, e) ? -1 : 0;
}

int orr_validate(const emu_request *req, orr_params *p, orr_error *e)
{
    memset(p, 0, sizeof *p);
    cJSON *root = cJSON_ParseWithLength((const char *)req->body, req->body_size);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        orr_error_set(e, 400, "Invalid JSON in request body");
        return -1;
    }
    int rc = check_root(root, p, e);
    if (rc == 0) {
        p->prompt = last_user_text(root);
        p->prompt_tokens = (int)(all_text_length(root) + 3) / 4 + 258 * p->input_images;
        if (p->prompt_tokens < 1)
            p->prompt_tokens = 1;
    }
    cJSON_Delete(root);
    return rc;
}

void orr_params_free(orr_params *p)
{
    free(p->prompt);
    p->prompt = NULL;
}

void orr_peek_request(const emu_request *req, char **model, char **prompt)
{
    cJSON *root = cJSON_ParseWithLength((const char *)req->body, req->body_size);
    const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "model"));
    *model = strdup(m ? m : "openrouter/auto");
    *prompt = root ? last_user_text(root) : strdup("");
    if (!*model || !*prompt)
        abort();
    cJSON_Delete(root);
}
