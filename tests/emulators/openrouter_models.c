/*
 * openrouter_models.c - the OpenRouter emulator's model catalogue, the pixel
 * sizes each model renders, and GET /api/v1/models.
 *
 * Sizes: OpenRouter's image-generation guide lists the Gemini aspect ratios
 * with their ~1 MP pixel sizes (1:1 1024x1024 ... 21:9 1536x672) and says
 * image_config.image_size (1K|2K|4K) is Gemini only; of the Gemini models
 * here only Gemini 3 Pro Image renders larger sizes (2K doubles each side, 4K
 * quadruples), Gemini 2.5 Flash Image stays at ~1 MP. FLUX.2 takes the same
 * buckets (all multiples of 16) and ignores image_size. OpenAI image models
 * only draw 1024x1024, 1536x1024 or 1024x1536, so the aspect picks one.
 * Prices are per output image, fixed per model (the emulator's own, close to
 * the public list prices; see orr_models).
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/openrouter_internal.h"

const orr_model orr_models[] = {
    {"google/gemini-2.5-flash-image", "Google: Gemini 2.5 Flash Image (Nano Banana)", "Google",
     "STOP", true, true, false, ORR_SIZE_BUCKETS, "png", 0.0387, 0.0387, 1290, 1290,
     0.0000003, 0.0000025, 0.001238, 1759881600, 32768,
     "Gemini 2.5 Flash Image, a.k.a. \"Nano Banana\": image generation and editing."},
    {"google/gemini-3-pro-image-preview", "Google: Nano Banana Pro (Gemini 3 Pro Image Preview)",
     "Google", "STOP", true, true, true, ORR_SIZE_BUCKETS, "png", 0.1344, 0.24, 1120, 2000,
     0.000002, 0.000012, 0.0011, 1763596800, 65536,
     "Gemini 3 Pro Image: 1K, 2K and 4K image generation and editing."},
    {"black-forest-labs/flux.2-pro", "Black Forest Labs: FLUX.2 [pro]", "Black Forest Labs",
     "stop", true, false, false, ORR_SIZE_BUCKETS, "png", 0.03, 0.03, 0, 0, 0, 0, 0.015,
     1764115200, 46864, "FLUX.2 [pro]: text-to-image and multi-reference editing."},
    {"black-forest-labs/flux.2-flex", "Black Forest Labs: FLUX.2 [flex]", "Black Forest Labs",
     "stop", true, false, false, ORR_SIZE_BUCKETS, "png", 0.06, 0.06, 0, 0, 0, 0, 0.06,
     1764115200, 67344, "FLUX.2 [flex]: typography-friendly text-to-image and editing."},
    {"openai/gpt-5-image-mini", "OpenAI: GPT-5 Image Mini", "OpenAI", "stop", true, true, false,
     ORR_SIZE_GPT, "png", 0.008448, 0.008448, 1056, 1056, 0.0000025, 0.000002, 0.0025,
     1760486400, 400000, "GPT-5 Image Mini: GPT-5 mini with GPT Image 1 Mini image output."},
    {"openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", "OpenAI", "stop", false, true, false,
     ORR_SIZE_GPT, "png", 0, 0, 0, 0, 0.00000015, 0.0000006, 0.000217, 1721260800, 128000,
     "GPT-4o mini: a small text model (image input, text output only)."},
    {NULL, NULL, NULL, NULL, false, false, false, ORR_SIZE_BUCKETS, NULL, 0, 0, 0, 0, 0, 0, 0, 0,
     0, NULL},
};

const char *const orr_aspect_ratios[] = {"1:1", "2:3", "3:2", "3:4", "4:3", "4:5",
                                         "5:4", "9:16", "16:9", "21:9", NULL};

/* The documented ~1 MP pixel size of each aspect ratio (same order). */
static const int bucket_px[][2] = {{1024, 1024}, {832, 1248}, {1248, 832}, {864, 1184},
                                   {1184, 864},  {896, 1152}, {1152, 896}, {768, 1344},
                                   {1344, 768},  {1536, 672}};

const orr_model *orr_model_find(const char *id)
{
    for (const orr_model *m = orr_models; id && m->id; m++)
        if (!strcmp(m->id, id))
            return m;
    return NULL;
}

/* Index of an aspect ratio in orr_aspect_ratios, or -1. */
static int aspect_index(const char *aspect)
{
    for (int i = 0; aspect && orr_aspect_ratios[i]; i++)
        if (!strcmp(orr_aspect_ratios[i], aspect))
            return i;
    return -1;
}

/* The bucket whose ratio is nearest to w:h (by the larger of the two
 * quotients, which orders like the distance of the logarithms). */
static int nearest_bucket(int w, int h)
{
    double want = (double)w / h, best = 1e9;
    int pick = 0;
    for (int i = 0; orr_aspect_ratios[i]; i++) {
        double r = (double)bucket_px[i][0] / bucket_px[i][1];
        double d = r > want ? r / want : want / r;
        if (d < best - 1e-12) {
            best = d;
            pick = i;
        }
    }
    return pick;
}

void orr_output_size(const orr_model *m, const char *aspect, const char *image_size,
                     int input_w, int input_h, int *width, int *height)
{
    int i = aspect_index(aspect);
    if (i < 0)
        i = input_w > 0 && input_h > 0 ? nearest_bucket(input_w, input_h) : 0;
    int w = bucket_px[i][0], h = bucket_px[i][1];
    if (m->sizing == ORR_SIZE_GPT) {
        *width = w == h ? 1024 : w > h ? 1536 : 1024;
        *height = w == h ? 1024 : w > h ? 1024 : 1536;
        return;
    }
    int scale = !m->takes_image_size      ? 1
                : !strcmp(image_size, "4K") ? 4
                : !strcmp(image_size, "2K") ? 2
                                            : 1;
    *width = w * scale;
    *height = h * scale;
}

/* A price as OpenRouter prints it: a decimal string without an exponent. */
static void add_price(cJSON *obj, const char *key, double usd)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%.10f", usd);
    char *end = buf + strlen(buf) - 1;
    while (end > buf && *end == '0')
        *end-- = 0;
    if (*end == '.')
        *end = 0;
    cJSON_AddStringToObject(obj, key, buf);
}

/* Adds a JSON array of the given strings. */
static void add_strings(cJSON *obj, const char *key, const char *const *values, size_t n)
{
    cJSON *arr = cJSON_AddArrayToObject(obj, key);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(values[i]));
}

/* One model in the Models API shape. */
static cJSON *model_json(const orr_model *m)
{
    static const char *const gemini_in[] = {"image", "text"};
    static const char *const flux_in[] = {"text", "image"};
    static const char *const gpt_in[] = {"text", "image", "file"};
    static const char *const out_both[] = {"image", "text"};
    static const char *const out_image[] = {"image"};
    static const char *const out_text[] = {"text"};
    static const char *const image_params[] = {"max_tokens", "temperature", "top_p",
                                               "seed", "response_format", "structured_outputs"};
    bool gemini = !strncmp(m->id, "google/", 7), flux = !strncmp(m->id, "black-forest", 12);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", m->id);
    cJSON_AddStringToObject(o, "canonical_slug", m->id);
    cJSON_AddStringToObject(o, "hugging_face_id", "");
    cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddNumberToObject(o, "created", (double)m->created);
    cJSON_AddStringToObject(o, "description", m->description);
    cJSON_AddNumberToObject(o, "context_length", m->context_length);
    cJSON *arch = cJSON_AddObjectToObject(o, "architecture");
    cJSON_AddStringToObject(arch, "modality", !m->image_out ? "text+image->text"
                                              : m->text_out ? "text+image->text+image"
                                                            : "text+image->image");
    if (gemini)
        add_strings(arch, "input_modalities", gemini_in, 2);
    else if (flux)
        add_strings(arch, "input_modalities", flux_in, 2);
    else
        add_strings(arch, "input_modalities", gpt_in, 3);
    if (m->image_out && m->text_out)
        add_strings(arch, "output_modalities", out_both, 2);
    else
        add_strings(arch, "output_modalities", m->image_out ? out_image : out_text, 1);
    cJSON_AddStringToObject(arch, "tokenizer", gemini ? "Gemini" : flux ? "Other" : "GPT");
    cJSON_AddNullToObject(arch, "instruct_type");
    cJSON *pricing = cJSON_AddObjectToObject(o, "pricing");
    add_price(pricing, "prompt", m->prompt_price);
    add_price(pricing, "completion", m->completion_price);
    add_price(pricing, "request", 0);
    add_price(pricing, "image", m->input_image_price);
    if (m->image_out && m->image_tokens)
        add_price(pricing, "image_output", m->image_price / m->image_tokens);
    add_price(pricing, "web_search", 0);
    add_price(pricing, "internal_reasoning", 0);
    cJSON *top = cJSON_AddObjectToObject(o, "top_provider");
    cJSON_AddNumberToObject(top, "context_length", m->context_length);
    cJSON_AddNumberToObject(top, "max_completion_tokens", m->text_out ? 32768 : 0);
    cJSON_AddBoolToObject(top, "is_moderated", !strncmp(m->id, "openai/", 7));
    cJSON_AddNullToObject(o, "per_request_limits");
    add_strings(o, "supported_parameters", image_params, flux ? 1 : 6);
    return o;
}

/* Whether a model produces one of the comma-separated modalities. */
static bool model_matches(const orr_model *m, const char *list)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (!strcmp(t, "all") || (!strcmp(t, "image") && m->image_out) ||
            (!strcmp(t, "text") && m->text_out))
            return true;
    return false;
}

/* Whether every comma-separated value is a modality the Models API knows. */
static bool modalities_known(const char *list)
{
    static const char *const known[] = {"text", "image", "audio", "embeddings", "speech",
                                        "transcription", "all", NULL};
    char buf[128];
    if (!*list || strlen(list) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        bool ok = false;
        for (size_t i = 0; known[i]; i++)
            ok |= !strcmp(known[i], t);
        if (!ok)
            return false;
    }
    return true;
}

void orr_respond_models(const emu_request *req, emu_response *out)
{
    const char *list = MHD_lookup_connection_value((struct MHD_Connection *)req->connection,
                                                   MHD_GET_ARGUMENT_KIND, "output_modalities");
    if (!list)
        list = "text"; /* the documented default: text models only */
    if (!modalities_known(list)) {
        orr_error e;
        orr_error_set(&e, 400, "Invalid output_modalities: '%.100s'. Use a comma-separated "
                      "list of text, image, audio, embeddings, or all.", list);
        orr_respond_error(out, &e, false);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *data = cJSON_AddArrayToObject(root, "data");
    for (const orr_model *m = orr_models; m->id; m++)
        if (model_matches(m, list))
            cJSON_AddItemToArray(data, model_json(m));
    emu_respond_json(out, 200, root);
}
