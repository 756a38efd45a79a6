/*
 * a1111_generate.c - the A1111 emulator's jobs: txt2img, img2img (inpaint
 * included) and extras, after pydantic validation passed (see
 * a1111_internal.h). The checks here are A1111's own, in its order:
 * sampler, always-on scripts (ControlNet units), init images and mask,
 * then the job itself, which answers real PNGs and the info JSON string.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/a1111_internal.h"
#include "emulators/emu_images.h"

#define MAX_PIXELS_PER_JOB (2048LL * 2048 * 4) /* beyond: CUDA out of memory */

/* Decodes an image field (base64 or a data:image/ URL); false when it is
 * not a decodable image. */
static bool decode_image(const char *text, emu_probe *probe)
{
    if (!text)
        return false;
    if (!strncmp(text, "data:image/", 11)) {
        const char *comma = strchr(text, ',');
        text = comma ? comma + 1 : text;
    }
    size_t size = 0;
    unsigned char *bytes = emu_base64_decode(text, &size);
    bool ok = bytes && emu_image_probe(bytes, size, probe);
    free(bytes);
    return ok;
}

/* The CUDA OOM answer of a job too large for the pretend GPU. */
void a1111_respond_oom(emu_response *out)
{
    a1111_respond_error(out, 500, "OutOfMemoryError", "",
                        "CUDA out of memory. Tried to allocate 4.00 GiB (GPU 0; 8.00 GiB "
                        "total capacity; 6.12 GiB already allocated; 1.10 GiB free; 6.50 "
                        "GiB reserved in total by PyTorch)");
}

/* Checks alwayson_scripts: only "controlnet" exists (when installed), and
 * its units must name models and modules the extension has. Fills
 * extra_params with "ControlNet <i>" entries. false when out is filled. */
static bool check_scripts(a1111_emulator *emu, const cJSON *body, cJSON *extra_params,
                          emu_response *out)
{
    const cJSON *scripts = cJSON_GetObjectItemCaseSensitive(body, "alwayson_scripts");
    const cJSON *script;
    char detail[160];
    pthread_mutex_lock(&emu->st.lock);
    bool controlnet = emu->st.controlnet;
    pthread_mutex_unlock(&emu->st.lock);
    cJSON_ArrayForEach(script, scripts)
    {
        if (strcmp(script->string, "controlnet") || !controlnet) {
            snprintf(detail, sizeof detail, "Script '%s' not found", script->string);
            a1111_respond_http(out, 422, detail);
            return false;
        }
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(script, "args");
        const cJSON *unit;
        int i = 0;
        cJSON_ArrayForEach(unit, args)
        {
            if (!cJSON_IsObject(unit) || !a1111_bool(unit, "enabled", true)) {
                i++;
                continue;
            }
            const char *module = a1111_string(unit, "module");
            const char *model = a1111_string(unit, "model");
            emu_probe probe;
            if (!module || !a1111_has_cn_module(module)) {
                a1111_respond_error(out, 500, "Exception", "", "ControlNet: unknown module");
                return false;
            }
            if (!model || !a1111_has_cn_model(model)) {
                snprintf(detail, sizeof detail, "ControlNet model %s not found.",
                         model ? model : "None");
                a1111_respond_error(out, 500, "Exception", "", detail);
                return false;
            }
            if (!decode_image(a1111_string(unit, "image"), &probe)) {
                a1111_respond_error(out, 500, "ValueError", "",
                                    "ControlNet: the unit's image is not a valid image");
                return false;
            }
            char key[32], value[400];
            snprintf(key, sizeof key, "ControlNet %d", i++);
            snprintf(value, sizeof value, "Module: %s, Model: %s, Weight: %g", module, model,
                     a1111_number(unit, "weight", 1));
            cJSON_AddStringToObject(extra_params, key, value);
        }
    }
    return true;
}

/* The checkpoint a job uses: override_settings.sd_model_checkpoint when
 * A1111 knows it, else (silently, like processing.py) the loaded one. */
static const cJSON *job_checkpoint(a1111_emulator *emu, const cJSON *body)
{
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(body, "override_settings");
    const cJSON *found = a1111_find_checkpoint(a1111_string(settings, "sd_model_checkpoint"));
    if (found)
        return found;
    pthread_mutex_lock(&emu->st.lock);
    found = a1111_find_checkpoint(emu->st.checkpoint);
    pthread_mutex_unlock(&emu->st.lock);
    return found;
}

/* processed.js(): the info string's object. */
static cJSON *info_object(const cJSON *body, const cJSON *ckpt, long long seed, int n,
                          int width, int height, int steps, cJSON *extra_params)
{
    const char *prompt = a1111_string(body, "prompt");
    const char *negative = a1111_string(body, "negative_prompt");
    cJSON *info = cJSON_CreateObject();
    cJSON_AddStringToObject(info, "prompt", prompt ? prompt : "");
    cJSON *all_prompts = cJSON_AddArrayToObject(info, "all_prompts");
    cJSON_AddStringToObject(info, "negative_prompt", negative ? negative : "");
    cJSON *all_negative = cJSON_AddArrayToObject(info, "all_negative_prompts");
    cJSON_AddNumberToObject(info, "seed", (double)seed);
    cJSON *seeds = cJSON_AddArrayToObject(info, "all_seeds");
    cJSON_AddNumberToObject(info, "subseed", (double)seed + 1000);
    cJSON *subseeds = cJSON_AddArrayToObject(info, "all_subseeds");
    cJSON *infotexts = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON_AddItemToArray(all_prompts, cJSON_CreateString(prompt ? prompt : ""));
        cJSON_AddItemToArray(all_negative, cJSON_CreateString(negative ? negative : ""));
        cJSON_AddItemToArray(seeds, cJSON_CreateNumber((double)(seed + i)));
        cJSON_AddItemToArray(subseeds, cJSON_CreateNumber((double)(seed + 1000 + i)));
        char text[512];
        snprintf(text, sizeof text, "%s\nSteps: %d, Seed: %lld, Size: %dx%d, Model: %s",
                 prompt ? prompt : "", steps, seed + i, width, height,
                 a1111_string(ckpt, "model_name"));
        cJSON_AddItemToArray(infotexts, cJSON_CreateString(text));
    }
    cJSON_AddNumberToObject(info, "subseed_strength", 0);
    cJSON_AddNumberToObject(info, "width", width);
    cJSON_AddNumberToObject(info, "height", height);
    const char *sampler = a1111_string(body, "sampler_name");
    cJSON_AddStringToObject(info, "sampler_name", sampler ? sampler : "Euler");
    cJSON_AddNumberToObject(info, "cfg_scale", a1111_number(body, "cfg_scale", 7));
    cJSON_AddNumberToObject(info, "steps", steps);
    cJSON_AddNumberToObject(info, "batch_size", a1111_number(body, "batch_size", 1));
    cJSON_AddBoolToObject(info, "restore_faces", false);
    cJSON_AddNullToObject(info, "face_restoration_model");
    cJSON_AddStringToObject(info, "sd_model_name", a1111_string(ckpt, "model_name"));
    cJSON_AddStringToObject(info, "sd_model_hash", a1111_string(ckpt, "hash"));
    cJSON_AddNullToObject(info, "sd_vae_name");
    cJSON_AddNullToObject(info, "sd_vae_hash");
    cJSON_AddNumberToObject(info, "seed_resize_from_w", -1);
    cJSON_AddNumberToObject(info, "seed_resize_from_h", -1);
    const cJSON *denoise = cJSON_GetObjectItemCaseSensitive(body, "denoising_strength");
    cJSON_AddItemToObject(info, "denoising_strength",
                          denoise ? cJSON_Duplicate(denoise, true) : cJSON_CreateNull());
    cJSON_AddItemToObject(info, "extra_generation_params", extra_params);
    cJSON_AddNumberToObject(info, "index_of_first_image", 0);
    cJSON_AddItemToObject(info, "infotexts", infotexts);
    cJSON_AddArrayToObject(info, "styles");
    cJSON_AddStringToObject(info, "job_timestamp", "20260101000000");
    cJSON_AddNumberToObject(info, "clip_skip", 1);
    cJSON_AddBoolToObject(info, "is_using_inpainting_conditioning", false);
    cJSON_AddStringToObject(info, "version", "v1.10.1");
    return info;
}

/* Checks init_images and mask (img2img); false when out is filled. */
static bool check_inputs(const cJSON *body, emu_response *out)
{
    const cJSON *init = cJSON_GetObjectItemCaseSensitive(body, "init_images");
    if (!init || cJSON_IsNull(init)) {
        a1111_respond_http(out, 404, "Init image not found");
        return false;
    }
    emu_probe probe;
    const char *mask = a1111_string(body, "mask");
    if (mask && *mask && !decode_image(mask, &probe)) {
        a1111_respond_http(out, 500, "Invalid encoded image");
        return false;
    }
    if (cJSON_GetArraySize(init) == 0) {
        a1111_respond_error(out, 500, "IndexError", "", "list index out of range");
        return false;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, init)
    {
        if (!decode_image(cJSON_GetStringValue(item), &probe)) {
            a1111_respond_http(out, 500, "Invalid encoded image");
            return false;
        }
    }
    return true;
}

/* The answer's "parameters": the request as pydantic saw it (img2img
 * drops its input images unless include_init_images). */
static cJSON *parameters(const cJSON *body, bool img2img)
{
    cJSON *p = cJSON_Duplicate(body, true);
    if (img2img && !a1111_bool(body, "include_init_images", false)) {
        cJSON_DeleteItemFromObjectCaseSensitive(p, "init_images");
        cJSON_AddNullToObject(p, "init_images");
        cJSON_DeleteItemFromObjectCaseSensitive(p, "mask");
        cJSON_AddNullToObject(p, "mask");
    }
    return p;
}

void a1111_generate(a1111_emulator *emu, const cJSON *body, bool img2img, emu_response *out)
{
    const char *sampler = a1111_string(body, "sampler_name");
    if (!sampler)
        sampler = a1111_string(body, "sampler_index");
    if (sampler && !a1111_has_sampler(sampler)) {
        a1111_respond_http(out, 400, "Sampler not found");
        return;
    }
    cJSON *extra_params = cJSON_CreateObject();
    if (!check_scripts(emu, body, extra_params, out) || (img2img && !check_inputs(body, out))) {
        cJSON_Delete(extra_params);
        return;
    }
    int width = (int)a1111_number(body, "width", 512) / 8 * 8;
    int height = (int)a1111_number(body, "height", 512) / 8 * 8;
    int batch = (int)a1111_number(body, "batch_size", 1);
    int iters = (int)a1111_number(body, "n_iter", 1);
    int steps = (int)a1111_number(body, "steps", 50);
    if (width < 8 || height < 8 || batch < 1 || iters < 1 || steps < 1) {
        cJSON_Delete(extra_params);
        a1111_respond_error(out, 500, "RuntimeError", "", "the size, batch and step "
                            "counts must be positive");
        return;
    }
    if ((long long)width * height * batch > MAX_PIXELS_PER_JOB) {
        cJSON_Delete(extra_params);
        a1111_respond_oom(out);
        return;
    }
    const cJSON *ckpt = job_checkpoint(emu, body);
    long long seed = (long long)a1111_number(body, "seed", -1);
    if (seed == -1)
        seed = a1111_random_seed(&emu->st);
    int n = batch * iters;
    a1111_job_run(&emu->st, img2img ? A1111_IMG2IMG : A1111_TXT2IMG,
                  img2img ? "scripts_img2img" : "scripts_txt2img", steps, body);
    cJSON *root = cJSON_CreateObject();
    cJSON *images = cJSON_AddArrayToObject(root, "images");
    for (int i = 0; i < n; i++) {
        size_t size = 0;
        unsigned char *png = emu_image_make(width, height, "png", 0, false,
                                            (unsigned)(seed + i), &size);
        if (!png)
            abort();
        char *b64 = emu_base64(png, size);
        cJSON_AddItemToArray(images, cJSON_CreateString(b64));
        free(b64);
        free(png);
    }
    cJSON_AddItemToObject(root, "parameters", parameters(body, img2img));
    cJSON *info = info_object(body, ckpt, seed, n, width, height, steps, extra_params);
    char *text = cJSON_PrintUnformatted(info);
    cJSON_AddStringToObject(root, "info", text);
    cJSON_free(text);
    cJSON_Delete(info);
    emu_respond_json(out, 200, root);
}

void a1111_extras(a1111_emulator *emu, const cJSON *body, emu_response *out)
{
    emu_probe probe;
    const char *image = a1111_string(body, "image");
    if (!decode_image(image ? image : "", &probe)) {
        a1111_respond_http(out, 500, "Invalid encoded image");
        return;
    }
    const char *upscaler = a1111_string(body, "upscaler_1");
    upscaler = upscaler ? upscaler : "None";
    if (!a1111_has_upscaler(upscaler)) {
        char errors[200];
        snprintf(errors, sizeof errors, "could not find upscaler named %s", upscaler);
        a1111_respond_error(out, 500, "AssertionError", "", errors);
        return;
    }
    int w = probe.width, h = probe.height;
    if (strcmp(upscaler, "None")) {
        if ((int)a1111_number(body, "resize_mode", 0) == 1) {
            int tw = (int)a1111_number(body, "upscaling_resize_w", 512);
            int th = (int)a1111_number(body, "upscaling_resize_h", 512);
            double by = fmax((double)tw / w, (double)th / h);
            bool crop = a1111_bool(body, "upscaling_crop", true);
            w = crop ? tw : (int)lround(w * by);
            h = crop ? th : (int)lround(h * by);
        } else {
            double by = a1111_number(body, "upscaling_resize", 2);
            w = (int)lround(w * by);
            h = (int)lround(h * by);
        }
    }
    if ((long long)w * h > MAX_PIXELS_PER_JOB) {
        a1111_respond_oom(out);
        return;
    }
    a1111_job_run(&emu->st, A1111_EXTRAS, "extras", 1, body);
    size_t size = 0;
    unsigned char *png = emu_image_make(w, h, "png", 0, probe.alpha, 7, &size);
    if (!png)
        abort();
    char *b64 = emu_base64(png, size);
    cJSON *root = cJSON_CreateObject();
    char html[256];
    snprintf(html, sizeof html, "<p>Postprocess upscale by: %dx%d, upscaler: %s</p>", w, h,
             upscaler);
    cJSON_AddStringToObject(root, "html_info", html);
    cJSON_AddStringToObject(root, "image", b64);
    free(b64);
    free(png);
    emu_respond_json(out, 200, root);
}
