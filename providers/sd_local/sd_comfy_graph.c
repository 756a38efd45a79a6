/* sd_comfy_graph.c - the API-format graph of each operation (see
 * sd_comfy.h). Node ids are small fixed numbers so a graph reads the same
 * in every log; node and input names are those of ComfyUI's nodes.py and
 * of ComfyUI_IPAdapter_plus. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/result.h"
#include "providers/sd_local/sd_comfy.h"

/* Node ids. */
enum {
    N_CKPT = 1, N_POS, N_NEG, N_LATENT, N_SAMPLER, N_DECODE, N_SAVE,
    N_IMAGE, N_MASK, N_PAD, N_REPEAT, N_REF_IMAGE, N_IPA_LOADER, N_IPA_APPLY,
    N_UPSCALE_LOADER, N_UPSCALE, N_RESIZE,
};

int ig_comfy_default_side(const char *checkpoint)
{
    char lower[256];
    size_t i = 0;
    for (; checkpoint[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)checkpoint[i]);
    lower[i] = '\0';
    return strstr(lower, "xl") || strstr(lower, "sd3") || strstr(lower, "flux") ? 1024 : 512;
}

/* Adds node id of class_type; returns its (borrowed) inputs object. */
static cJSON *node(cJSON *graph, int id, const char *class_type)
{
    char key[12];
    snprintf(key, sizeof key, "%d", id);
    cJSON *n = cJSON_AddObjectToObject(graph, key);
    cJSON_AddStringToObject(n, "class_type", class_type);
    return cJSON_AddObjectToObject(n, "inputs");
}

/* inputs[name] = [from, output] (a link to another node's output). */
static void link(cJSON *inputs, const char *name, int from, int output)
{
    char key[12];
    snprintf(key, sizeof key, "%d", from);
    cJSON *l = cJSON_AddArrayToObject(inputs, name);
    cJSON_AddItemToArray(l, cJSON_CreateString(key));
    cJSON_AddItemToArray(l, cJSON_CreateNumber(output));
}

double ig_comfy_reference_weight(ig_consistency mode)
{
    return mode == IG_CONSISTENCY_STRICT ? 1.0 : mode == IG_CONSISTENCY_LOOSE ? 0.4 : 0.7;
}

/* LoadImage of an uploaded input; outputs IMAGE 0, MASK 1. */
static void load_image(cJSON *graph, int id, const char *name)
{
    cJSON_AddStringToObject(node(graph, id, "LoadImage"), "image", name);
}

/* VAE encoders crop to the latent grid (multiples of 8): say so when the
 * picture sent is not on it. */
static void warn_crop(cJSON *result, int w, int h)
{
    if (w % 8 || h % 8)
        ig_result_warn(result, "image", "ComfyUI's VAE crops to multiples of 8: the %dx%d "
                       "picture comes back as %dx%d", w, h, w / 8 * 8, h / 8 * 8);
}

/* The model KSampler uses: the checkpoint's, or IP-Adapter's on top of it
 * when a reference image is honoured. */
static int sampler_model(cJSON *graph, const ig_request *req, const ig_applied *applied,
                         const comfy_plan *plan, cJSON *result)
{
    if (req->op != IG_OP_GENERATE || !applied->send_reference ||
        !req->images[IG_ROLE_REFERENCE].data)
        return N_CKPT;
    if (!plan->info->ip_adapter || !plan->inputs->reference[0]) {
        ig_result_warn(result, "referenceImageUrl", "not honoured: this ComfyUI server has "
                       "no IP-Adapter nodes (install ComfyUI_IPAdapter_plus and its models); "
                       "the image was made from the prompt alone");
        return N_CKPT;
    }
    load_image(graph, N_REF_IMAGE, plan->inputs->reference);
    cJSON *loader = node(graph, N_IPA_LOADER, "IPAdapterUnifiedLoader");
    link(loader, "model", N_CKPT, 0);
    cJSON_AddStringToObject(loader, "preset", "PLUS (high strength)");
    cJSON *apply = node(graph, N_IPA_APPLY, "IPAdapterAdvanced");
    link(apply, "model", N_IPA_LOADER, 0);
    link(apply, "ipadapter", N_IPA_LOADER, 1);
    link(apply, "image", N_REF_IMAGE, 0);
    cJSON_AddNumberToObject(apply, "weight", ig_comfy_reference_weight(req->consistency));
    cJSON_AddStringToObject(apply, "weight_type", "linear");
    cJSON_AddStringToObject(apply, "combine_embeds", "concat");
    cJSON_AddNumberToObject(apply, "start_at", 0.0);
    cJSON_AddNumberToObject(apply, "end_at", 1.0);
    cJSON_AddStringToObject(apply, "embeds_scaling", "V only");
    return N_IPA_APPLY;
}

/* The latent KSampler starts from (node N_LATENT or N_REPEAT), and the
 * denoise it runs with. */
static int latent(cJSON *graph, const ig_request *req, const ig_applied *applied,
                  const comfy_plan *plan, cJSON *result, double *denoise)
{
    *denoise = 1.0;
    if (req->op == IG_OP_GENERATE) {
        cJSON *empty = node(graph, N_LATENT, "EmptyLatentImage");
        int side = ig_comfy_default_side(plan->info->checkpoint);
        cJSON_AddNumberToObject(empty, "width", applied->width ? applied->width : side);
        cJSON_AddNumberToObject(empty, "height", applied->height ? applied->height : side);
        cJSON_AddNumberToObject(empty, "batch_size", applied->n);
        return N_LATENT;
    }
    const ig_image *image = &req->images[IG_ROLE_IMAGE];
    load_image(graph, N_IMAGE, plan->inputs->image);
    cJSON *enc;
    if (req->mode == IG_EDIT_IMG2IMG) {
        enc = node(graph, N_LATENT, "VAEEncode");
        link(enc, "pixels", N_IMAGE, 0);
        *denoise = req->strength;
        warn_crop(result, image->info.width, image->info.height);
    } else if (req->mode == IG_EDIT_INPAINT) {
        cJSON *mask = node(graph, N_MASK, "LoadImageMask");
        cJSON_AddStringToObject(mask, "image", plan->inputs->mask);
        cJSON_AddStringToObject(mask, "channel", "red"); /* greyscale: white = change */
        enc = node(graph, N_LATENT, "VAEEncodeForInpaint");
        link(enc, "pixels", N_IMAGE, 0);
        link(enc, "mask", N_MASK, 0);
        cJSON_AddNumberToObject(enc, "grow_mask_by", IG_COMFY_GROW_MASK);
        warn_crop(result, image->info.width, image->info.height);
    } else {
        const ig_margins *m = &req->margins;
        cJSON *pad = node(graph, N_PAD, "ImagePadForOutpaint");
        link(pad, "image", N_IMAGE, 0);
        cJSON_AddNumberToObject(pad, "left", m->left);
        cJSON_AddNumberToObject(pad, "top", m->top);
        cJSON_AddNumberToObject(pad, "right", m->right);
        cJSON_AddNumberToObject(pad, "bottom", m->bottom);
        cJSON_AddNumberToObject(pad, "feathering", IG_COMFY_FEATHERING);
        enc = node(graph, N_LATENT, "VAEEncodeForInpaint");
        link(enc, "pixels", N_PAD, 0);
        link(enc, "mask", N_PAD, 1);
        cJSON_AddNumberToObject(enc, "grow_mask_by", IG_COMFY_GROW_MASK);
        warn_crop(result, image->info.width + m->left + m->right,
                  image->info.height + m->top + m->bottom);
    }
    link(enc, "vae", N_CKPT, 2);
    if (applied->n <= 1)
        return N_LATENT;
    cJSON *repeat = node(graph, N_REPEAT, "RepeatLatentBatch");
    link(repeat, "samples", N_LATENT, 0);
    cJSON_AddNumberToObject(repeat, "amount", applied->n);
    return N_REPEAT;
}

/* CheckpointLoaderSimple -> prompts -> KSampler -> VAEDecode. */
static void diffusion(cJSON *graph, const ig_request *req, const ig_applied *applied,
                      const comfy_plan *plan, cJSON *result)
{
    cJSON_AddStringToObject(node(graph, N_CKPT, "CheckpointLoaderSimple"), "ckpt_name",
                            plan->info->checkpoint);
    cJSON *pos = node(graph, N_POS, "CLIPTextEncode");
    cJSON_AddStringToObject(pos, "text", req->prompt ? req->prompt : "");
    link(pos, "clip", N_CKPT, 1);
    cJSON *neg = node(graph, N_NEG, "CLIPTextEncode");
    const char *negative = applied->send_negative_prompt ? req->negative_prompt : NULL;
    cJSON_AddStringToObject(neg, "text", negative ? negative : "");
    link(neg, "clip", N_CKPT, 1);
    double denoise;
    int from = latent(graph, req, applied, plan, result, &denoise);
    int model = sampler_model(graph, req, applied, plan, result);
    cJSON *ks = node(graph, N_SAMPLER, "KSampler");
    link(ks, "model", model, 0);
    cJSON_AddNumberToObject(ks, "seed", (double)plan->seed);
    cJSON_AddNumberToObject(ks, "steps", IG_COMFY_STEPS);
    cJSON_AddNumberToObject(ks, "cfg", IG_COMFY_CFG);
    cJSON_AddStringToObject(ks, "sampler_name", IG_COMFY_SAMPLER);
    cJSON_AddStringToObject(ks, "scheduler", IG_COMFY_SCHEDULER);
    link(ks, "positive", N_POS, 0);
    link(ks, "negative", N_NEG, 0);
    link(ks, "latent_image", from, 0);
    cJSON_AddNumberToObject(ks, "denoise", denoise);
    /* providerOptions.stable-diffusion-local tunes the sampler (steps, cfg,
     * sampler_name, scheduler). */
    ig_backend_json_options(ks, req, IG_COMFY, result);
    cJSON *dec = node(graph, N_DECODE, "VAEDecode");
    link(dec, "samples", N_SAMPLER, 0);
    link(dec, "vae", N_CKPT, 2);
}

/* LoadImage -> ImageUpscaleWithModel -> ImageScale to exactly the size
 * asked for (the model's own factor may be 2, 4 or 8). */
static void upscale(cJSON *graph, const ig_request *req, const comfy_plan *plan)
{
    const ig_image *image = &req->images[IG_ROLE_IMAGE];
    int w = req->target_width > 0 ? req->target_width : image->info.width * req->scale;
    int h = req->target_height > 0 ? req->target_height : image->info.height * req->scale;
    load_image(graph, N_IMAGE, plan->inputs->image);
    cJSON_AddStringToObject(node(graph, N_UPSCALE_LOADER, "UpscaleModelLoader"), "model_name",
                            plan->info->upscale_model);
    cJSON *up = node(graph, N_UPSCALE, "ImageUpscaleWithModel");
    link(up, "upscale_model", N_UPSCALE_LOADER, 0);
    link(up, "image", N_IMAGE, 0);
    cJSON *fit = node(graph, N_RESIZE, "ImageScale");
    link(fit, "image", N_UPSCALE, 0);
    cJSON_AddStringToObject(fit, "upscale_method", "lanczos");
    cJSON_AddNumberToObject(fit, "width", w);
    cJSON_AddNumberToObject(fit, "height", h);
    cJSON_AddStringToObject(fit, "crop", "disabled");
}

cJSON *ig_comfy_graph(const ig_request *req, const ig_applied *applied,
                      const comfy_plan *plan, cJSON *result, ig_error *err)
{
    cJSON *graph = cJSON_CreateObject();
    if (!graph) {
        ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    int last = N_DECODE;
    if (req->op == IG_OP_UPSCALE) {
        upscale(graph, req, plan);
        last = N_RESIZE;
    } else {
        diffusion(graph, req, applied, plan, result);
    }
    cJSON *save = node(graph, N_SAVE, "SaveImage");
    link(save, "images", last, 0);
    cJSON_AddStringToObject(save, "filename_prefix", plan->prefix);
    return graph;
}
