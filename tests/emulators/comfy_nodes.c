/* comfy_nodes.c - the nodes the ComfyUI emulator knows (the core nodes a
 * txt2img/img2img/inpaint/outpaint/upscale workflow uses, and optionally
 * ComfyUI_IPAdapter_plus's two), as data, and /object_info (see
 * comfy_internal.h). Input names, types and ranges follow nodes.py. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "emulators/comfy_internal.h"

#define BIG 16384
#define SEED_MAX 18446744073709551615.0

static const comfy_node nodes[] = {
    {"CheckpointLoaderSimple", "loaders", false, false, {"MODEL", "CLIP", "VAE"},
     {{"ckpt_name", K_COMBO, "checkpoints", 0, 0, 0}}},
    {"CLIPTextEncode", "conditioning", false, false, {"CONDITIONING"},
     {{"text", K_STRING, NULL, 0, 0, 0}, {"clip", K_LINK, "CLIP", 0, 0, 0}}},
    {"EmptyLatentImage", "latent", false, false, {"LATENT"},
     {{"width", K_INT, NULL, 16, BIG, 512}, {"height", K_INT, NULL, 16, BIG, 512},
      {"batch_size", K_INT, NULL, 1, 4096, 1}}},
    {"KSampler", "sampling", false, false, {"LATENT"},
     {{"model", K_LINK, "MODEL", 0, 0, 0}, {"seed", K_INT, NULL, 0, SEED_MAX, 0},
      {"steps", K_INT, NULL, 1, 10000, 20}, {"cfg", K_FLOAT, NULL, 0, 100, 8},
      {"sampler_name", K_COMBO, "samplers", 0, 0, 0}, {"scheduler", K_COMBO, "schedulers", 0, 0, 0},
      {"positive", K_LINK, "CONDITIONING", 0, 0, 0}, {"negative", K_LINK, "CONDITIONING", 0, 0, 0},
      {"latent_image", K_LINK, "LATENT", 0, 0, 0}, {"denoise", K_FLOAT, NULL, 0, 1, 1}}},
    {"VAEDecode", "latent", false, false, {"IMAGE"},
     {{"samples", K_LINK, "LATENT", 0, 0, 0}, {"vae", K_LINK, "VAE", 0, 0, 0}}},
    {"VAEEncode", "latent", false, false, {"LATENT"},
     {{"pixels", K_LINK, "IMAGE", 0, 0, 0}, {"vae", K_LINK, "VAE", 0, 0, 0}}},
    {"VAEEncodeForInpaint", "latent/inpaint", false, false, {"LATENT"},
     {{"pixels", K_LINK, "IMAGE", 0, 0, 0}, {"vae", K_LINK, "VAE", 0, 0, 0}, {"mask", K_LINK, "MASK", 0, 0, 0},
      {"grow_mask_by", K_INT, NULL, 0, 64, 6}}},
    {"RepeatLatentBatch", "latent/batch", false, false, {"LATENT"},
     {{"samples", K_LINK, "LATENT", 0, 0, 0}, {"amount", K_INT, NULL, 1, 64, 1}}},
    {"SaveImage", "image", true, false, {NULL},
     {{"images", K_LINK, "IMAGE", 0, 0, 0}, {"filename_prefix", K_STRING, NULL, 0, 0, 0}}},
    {"LoadImage", "image", false, false, {"IMAGE", "MASK"},
     {{"image", K_COMBO, "input_files", 0, 0, 0}}},
    {"LoadImageMask", "mask", false, false, {"MASK"},
     {{"image", K_COMBO, "input_files", 0, 0, 0}, {"channel", K_COMBO, "channels", 0, 0, 0}}},
    {"ImagePadForOutpaint", "image", false, false, {"IMAGE", "MASK"},
     {{"image", K_LINK, "IMAGE", 0, 0, 0}, {"left", K_INT, NULL, 0, BIG, 0},
      {"top", K_INT, NULL, 0, BIG, 0}, {"right", K_INT, NULL, 0, BIG, 0},
      {"bottom", K_INT, NULL, 0, BIG, 0}, {"feathering", K_INT, NULL, 0, BIG, 40}}},
    {"ImageScale", "image/upscaling", false, false, {"IMAGE"},
     {{"image", K_LINK, "IMAGE", 0, 0, 0}, {"upscale_method", K_COMBO, "upscale_methods", 0, 0, 0},
      {"width", K_INT, NULL, 0, BIG, 512}, {"height", K_INT, NULL, 0, BIG, 512},
      {"crop", K_COMBO, "crops", 0, 0, 0}}},
    {"ImageScaleBy", "image/upscaling", false, false, {"IMAGE"},
     {{"image", K_LINK, "IMAGE", 0, 0, 0}, {"upscale_method", K_COMBO, "upscale_methods", 0, 0, 0},
      {"scale_by", K_FLOAT, NULL, 0.01, 8, 1}}},
    {"UpscaleModelLoader", "loaders", false, false, {"UPSCALE_MODEL"},
     {{"model_name", K_COMBO, "upscale_models", 0, 0, 0}}},
    {"ImageUpscaleWithModel", "image/upscaling", false, false, {"IMAGE"},
     {{"upscale_model", K_LINK, "UPSCALE_MODEL", 0, 0, 0}, {"image", K_LINK, "IMAGE", 0, 0, 0}}},
    {"IPAdapterUnifiedLoader", "ipadapter", false, true, {"MODEL", "IPADAPTER"},
     {{"model", K_LINK, "MODEL", 0, 0, 0}, {"preset", K_COMBO, "ipadapter_presets", 0, 0, 0}}},
    {"IPAdapterAdvanced", "ipadapter", false, true, {"MODEL"},
     {{"model", K_LINK, "MODEL", 0, 0, 0}, {"ipadapter", K_LINK, "IPADAPTER", 0, 0, 0},
      {"image", K_LINK, "IMAGE", 0, 0, 0}, {"weight", K_FLOAT, NULL, -1, 5, 1},
      {"weight_type", K_COMBO, "weight_types", 0, 0, 0}, {"combine_embeds", K_COMBO, "combine", 0, 0, 0},
      {"start_at", K_FLOAT, NULL, 0, 1, 0}, {"end_at", K_FLOAT, NULL, 0, 1, 1},
      {"embeds_scaling", K_COMBO, "embeds_scaling", 0, 0, 0}}},
};

/* Combo lists; "input_files" and the model lists depend on the server. */
static const struct {
    const char *name;
    const char *options[12];
} combos[] = {
    {"checkpoints", {"v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors"}},
    {"upscale_models", {"RealESRGAN_x2plus.pth", "4x-UltraSharp.pth"}},
    {"samplers", {"euler", "euler_ancestral", "heun", "dpm_2", "lms", "dpmpp_2m",
                  "dpmpp_2m_sde", "dpmpp_3m_sde", "ddim", "uni_pc"}},
    {"schedulers", {"normal", "karras", "exponential", "sgm_uniform", "simple",
                    "ddim_uniform", "beta"}},
    {"channels", {"alpha", "red", "green", "blue"}},
    {"upscale_methods", {"nearest-exact", "bilinear", "area", "bicubic", "lanczos"}},
    {"crops", {"disabled", "center"}},
    {"ipadapter_presets", {"LIGHT - SD1.5 only (low strength)", "STANDARD (medium strength)",
                           "VIT-G (medium strength)", "PLUS (high strength)",
                           "PLUS FACE (portraits)", "FULL FACE - SD1.5 only (portraits "
                           "stronger)"}},
    {"weight_types", {"linear", "ease in", "ease out", "ease in-out", "reverse in-out",
                      "weak input", "weak output", "weak middle", "strong middle",
                      "style transfer", "composition", "strong style transfer"}},
    {"combine", {"concat", "add", "subtract", "average", "norm average"}},
    {"embeds_scaling", {"V only", "K+V", "K+V w/ C penalty", "K+mean(V) w/ C penalty"}},
};

const comfy_node *comfy_node_find(const comfy_installed *inst, const char *class_type)
{
    for (size_t i = 0; class_type && i < sizeof nodes / sizeof *nodes; i++)
        if (!strcmp(nodes[i].class_type, class_type))
            return nodes[i].ipadapter && !inst->ipadapter ? NULL : &nodes[i];
    return NULL;
}

cJSON *comfy_combo(const comfy_installed *inst, const char *list)
{
    if (!strcmp(list, "input_files"))
        return cJSON_Duplicate(inst->inputs, true);
    cJSON *out = cJSON_CreateArray();
    if (!strcmp(list, "upscale_models") && !inst->upscalers)
        return out;
    for (size_t i = 0; i < sizeof combos / sizeof *combos; i++)
        if (!strcmp(combos[i].name, list))
            for (size_t j = 0; j < 12 && combos[i].options[j]; j++)
                cJSON_AddItemToArray(out, cJSON_CreateString(combos[i].options[j]));
    return out;
}

int comfy_upscale_factor(const char *name)
{
    for (const char *p = name; *p; p++)
        if ((*p == '2' || *p == '4') &&
            (tolower((unsigned char)p[1]) == 'x' || (p > name && tolower((unsigned char)p[-1]) == 'x')))
            return *p - '0';
    return 4;
}

/* One input's spec: [type, {default, min, max}] or [[options], {}]. */
static cJSON *input_spec(const comfy_installed *inst, const comfy_input *in)
{
    cJSON *spec = cJSON_CreateArray(), *opts = cJSON_CreateObject();
    static const char *const kinds[] = {NULL, "INT", "FLOAT", "STRING"};
    if (in->kind == K_COMBO) {
        cJSON_AddItemToArray(spec, comfy_combo(inst, in->type));
    } else {
        cJSON_AddItemToArray(spec, cJSON_CreateString(in->kind == K_LINK ? in->type
                                                                          : kinds[in->kind]));
        if (in->kind == K_INT || in->kind == K_FLOAT) {
            cJSON_AddNumberToObject(opts, "default", in->def);
            cJSON_AddNumberToObject(opts, "min", in->min);
            cJSON_AddNumberToObject(opts, "max", in->max);
        } else if (in->kind == K_STRING) {
            cJSON_AddBoolToObject(opts, "multiline", !strcmp(in->name, "text"));
        }
    }
    cJSON_AddItemToArray(spec, opts);
    return spec;
}

/* One node's description, as server.py node_info builds it. */
static cJSON *describe(const comfy_installed *inst, const comfy_node *n)
{
    cJSON *d = cJSON_CreateObject();
    cJSON *input = cJSON_AddObjectToObject(d, "input");
    cJSON *required = cJSON_AddObjectToObject(input, "required");
    cJSON *order = cJSON_AddArrayToObject(cJSON_AddObjectToObject(d, "input_order"),
                                          "required");
    for (size_t i = 0; i < COMFY_MAX_INPUTS && n->inputs[i].name; i++) {
        cJSON_AddItemToObject(required, n->inputs[i].name, input_spec(inst, &n->inputs[i]));
        cJSON_AddItemToArray(order, cJSON_CreateString(n->inputs[i].name));
    }
    cJSON *out = cJSON_AddArrayToObject(d, "output");
    cJSON *is_list = cJSON_AddArrayToObject(d, "output_is_list");
    cJSON *names = cJSON_AddArrayToObject(d, "output_name");
    for (size_t i = 0; i < 3 && n->outputs[i]; i++) {
        cJSON_AddItemToArray(out, cJSON_CreateString(n->outputs[i]));
        cJSON_AddItemToArray(is_list, cJSON_CreateFalse());
        cJSON_AddItemToArray(names, cJSON_CreateString(n->outputs[i]));
    }
    cJSON_AddStringToObject(d, "name", n->class_type);
    cJSON_AddStringToObject(d, "display_name", n->class_type);
    cJSON_AddStringToObject(d, "description", "");
    cJSON_AddStringToObject(d, "python_module", n->ipadapter
                                                    ? "custom_nodes.ComfyUI_IPAdapter_plus"
                                                    : "nodes");
    cJSON_AddStringToObject(d, "category", n->category);
    cJSON_AddBoolToObject(d, "output_node", n->output_node);
    return d;
}

cJSON *comfy_object_info(const comfy_installed *inst, const char *class_type)
{
    cJSON *all = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
        if (nodes[i].ipadapter && !inst->ipadapter)
            continue;
        if (class_type && strcmp(class_type, nodes[i].class_type))
            continue;
        cJSON_AddItemToObject(all, nodes[i].class_type, describe(inst, &nodes[i]));
    }
    return all;
}
