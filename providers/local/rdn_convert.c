/*
 * rdn_convert.c - build-time tool: turns the npm package's TensorFlow.js
 * model (model.json + group1-shard1of1.bin) into the weights file the
 * extension loads (rdn_format.h), after checking that the graph is exactly
 * the one rdn_engine.c implements. A different graph is refused with the
 * first layer that differs, rather than run wrongly.
 *
 * Usage: rdn_convert MODEL_DIR OUTPUT_FILE
 */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/local/rdn_format.h"

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rdn_convert: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static char *read_all(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    rewind(f);
    char *data = malloc((size_t)*size + 1);
    if (data && fread(data, 1, (size_t)*size, f) != (size_t)*size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data)
        data[*size] = '\0';
    return data;
}

/* --- the expected graph --- */

typedef struct layer {
    char name[32];
    const char *cls;      /* Keras class */
    char inputs[10][32];  /* inbound layer names */
    int n_inputs;
    int kernel, filters;  /* Conv2D only */
    const char *activation; /* Activation only */
} layer;

static layer expected[160];
static int n_expected;

static layer *add(const char *cls, const char *name)
{
    layer *l = &expected[n_expected++];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->cls = cls;
    return l;
}

static void input(layer *l, const char *name)
{
    snprintf(l->inputs[l->n_inputs++], 32, "%s", name);
}

static void conv(const char *name, const char *from, int kernel, int filters)
{
    layer *l = add("Conv2D", name);
    input(l, from);
    l->kernel = kernel;
    l->filters = filters;
}

static void unary(const char *cls, const char *name, const char *from, const char *act)
{
    layer *l = add(cls, name);
    input(l, from);
    l->activation = act;
}

static void binary(const char *cls, const char *name, const char *a, const char *b)
{
    layer *l = add(cls, name);
    input(l, a);
    input(l, b);
}

static void build_expected(void)
{
    char x[32] = "F_0", name[32], prev[32], relu[32];
    add("InputLayer", "LR");
    conv("F_m1", "LR", 3, RDN_G);
    conv("F_0", "F_m1", 3, RDN_G);
    for (int d = 1; d <= RDN_BLOCKS; d++) {
        snprintf(prev, sizeof prev, "%s", x);
        for (int c = 1; c <= RDN_CONVS; c++) {
            snprintf(name, sizeof name, "F_%d_%d", d, c);
            conv(name, prev, 3, RDN_G);
            snprintf(relu, sizeof relu, "F_%d_%d_Relu", d, c);
            unary("Activation", relu, name, "relu");
            char concat[32];
            snprintf(concat, sizeof concat, "RDB_Concat_%d_%d", d, c);
            binary("Concatenate", concat, c == 1 ? x : prev, relu);
            snprintf(prev, sizeof prev, "%s", concat);
        }
        snprintf(name, sizeof name, "LFF_%d", d);
        conv(name, prev, 1, RDN_G);
        char lrl[32];
        snprintf(lrl, sizeof lrl, "LRL_%d", d);
        binary("Add", lrl, name, x);
        snprintf(x, sizeof x, "%s", lrl);
    }
    layer *cat = add("Concatenate", "LRLs_Concat");
    for (int d = 1; d <= RDN_BLOCKS; d++) {
        snprintf(name, sizeof name, "LRL_%d", d);
        input(cat, name);
    }
    conv("GFF_1", "LRLs_Concat", 1, RDN_G);
    conv("GFF_2", "GFF_1", 3, RDN_G);
    binary("Add", "FDF", "GFF_2", "F_m1");
    conv("UPN1", "FDF", 5, RDN_UP1);
    unary("Activation", "UPN1_Relu", "UPN1", "relu");
    conv("UPN2", "UPN1_Relu", 3, RDN_UP2);
    unary("Activation", "UPN2_Relu", "UPN2", "relu");
    conv("UPN3", "UPN2_Relu", 3, RDN_UP3);
    unary("UpSampling2D", "UPsample", "UPN3", NULL);
    conv("SR", "UPsample", 3, 3);
}

static const char *str(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static int int_at(const cJSON *obj, const char *key, int i)
{
    return (int)cJSON_GetNumberValue(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(obj, key), i));
}

/* Compares one layer of model.json with what the engine implements. */
static int check_layer(const cJSON *got, const layer *want)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(got, "config");
    const char *name = str(got, "name"), *cls = str(got, "class_name");
    if (!name || !cls || strcmp(name, want->name) || strcmp(cls, want->cls))
        return fail("layer \"%s\" (%s) where the engine expects \"%s\" (%s)",
                    name ? name : "?", cls ? cls : "?", want->name, want->cls);
    const cJSON *nodes = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(got, "inbound_nodes"), 0);
    int n = nodes ? cJSON_GetArraySize(nodes) : 0;
    if (n != want->n_inputs)
        return fail("layer %s has %d inputs, expected %d", name, n, want->n_inputs);
    for (int i = 0; i < n; i++) {
        const char *from = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetArrayItem(nodes, i), 0));
        if (!from || strcmp(from, want->inputs[i]))
            return fail("layer %s input %d is %s, expected %s", name, i, from ? from : "?",
                        want->inputs[i]);
    }
    if (!strcmp(cls, "Conv2D")) {
        const char *pad = str(cfg, "padding"), *act = str(cfg, "activation");
        bool same = pad && (!strcmp(pad, "same") || want->kernel == 1);
        if (int_at(cfg, "kernel_size", 0) != want->kernel ||
            int_at(cfg, "kernel_size", 1) != want->kernel ||
            (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cfg, "filters")) !=
                want->filters ||
            int_at(cfg, "strides", 0) != 1 || int_at(cfg, "strides", 1) != 1 || !same ||
            !act || strcmp(act, "linear") ||
            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "use_bias")))
            return fail("conv %s is not a %dx%d, %d-filter, stride-1, same, linear, "
                        "biased convolution", name, want->kernel, want->kernel, want->filters);
    } else if (!strcmp(cls, "Activation")) {
        if (!str(cfg, "activation") || strcmp(str(cfg, "activation"), want->activation))
            return fail("activation %s is not %s", name, want->activation);
    } else if (!strcmp(cls, "UpSampling2D")) {
        const char *interp = str(cfg, "interpolation");
        if (int_at(cfg, "size", 0) != 2 || int_at(cfg, "size", 1) != 2 ||
            (interp && strcmp(interp, "nearest")))
            return fail("%s is not a 2x nearest upsampling", name);
    } else if (!strcmp(cls, "Concatenate")) {
        int axis = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cfg, "axis"));
        if (axis != -1 && axis != 3)
            return fail("%s does not concatenate channels", name);
    }
    return 0;
}

static int check_graph(const cJSON *model)
{
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(model, "modelTopology"), "model_config"),
        "config");
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(config, "layers");
    if (!cJSON_IsArray(layers))
        return fail("model.json has no modelTopology.model_config.config.layers");
    build_expected();
    if (cJSON_GetArraySize(layers) != n_expected)
        return fail("the model has %d layers; the engine implements %d",
                    cJSON_GetArraySize(layers), n_expected);
    for (int i = 0; i < n_expected; i++)
        if (check_layer(cJSON_GetArrayItem(layers, i), &expected[i]) != 0)
            return 1;
    return 0;
}

/* --- the weights --- */

static void put_u32(FILE *f, uint32_t v)
{
    fwrite(&v, sizeof v, 1, f);
}

static int write_weights(const cJSON *model, const unsigned char *shard, long shard_size,
                         FILE *out)
{
    const cJSON *group = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(model, "weightsManifest"), 0);
    const cJSON *weights = cJSON_GetObjectItemCaseSensitive(group, "weights");
    int count = cJSON_GetArraySize(weights);
    if (count < 1 || count > RDN_MAX_TENSORS)
        return fail("weightsManifest lists %d tensors", count);
    fwrite(RDN_MAGIC, 1, RDN_MAGIC_LEN, out);
    put_u32(out, (uint32_t)count);
    long offset = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, weights) {
        const char *name = str(w, "name"), *dtype = str(w, "dtype");
        const cJSON *quant = cJSON_GetObjectItemCaseSensitive(w, "quantization");
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(w, "shape");
        int dims = cJSON_GetArraySize(shape);
        if (!name || strlen(name) >= RDN_NAME_LEN || !dtype || strcmp(dtype, "float32") ||
            !quant || strcmp(str(quant, "dtype") ? str(quant, "dtype") : "", "uint8") ||
            dims < 1 || dims > 4)
            return fail("tensor %s is not a uint8-quantised float32 tensor of 1-4 dims",
                        name ? name : "?");
        char padded[RDN_NAME_LEN] = {0};
        memcpy(padded, name, strlen(name));
        fwrite(padded, 1, RDN_NAME_LEN, out);
        long n = 1;
        for (int i = 0; i < 4; i++) {
            uint32_t d = i < dims ? (uint32_t)int_at(w, "shape", i) : 1;
            put_u32(out, d);
            n *= d;
        }
        float min = (float)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(quant, "min"));
        float scale = (float)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(quant, "scale"));
        fwrite(&min, sizeof min, 1, out);
        fwrite(&scale, sizeof scale, 1, out);
        if (offset + n > shard_size)
            return fail("the shard ends inside tensor %s", name);
        fwrite(shard + offset, 1, (size_t)n, out);
        offset += n;
    }
    if (offset != shard_size)
        return fail("the shard has %ld bytes the manifest does not describe",
                    shard_size - offset);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return fail("usage: rdn_convert MODEL_DIR OUTPUT_FILE");
    char path[4096];
    long json_size, shard_size;
    snprintf(path, sizeof path, "%s/model.json", argv[1]);
    char *json = read_all(path, &json_size);
    if (!json)
        return fail("cannot read %s (run scripts/setup.sh: it fetches the npm package)", path);
    cJSON *model = cJSON_Parse(json);
    free(json);
    if (!model)
        return fail("%s is not JSON", path);
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(model, "weightsManifest"), 0),
        "paths");
    const char *shard_name = cJSON_GetStringValue(cJSON_GetArrayItem(paths, 0));
    if (cJSON_GetArraySize(paths) != 1 || !shard_name || strchr(shard_name, '/')) {
        cJSON_Delete(model);
        return fail("expected exactly one weight shard in the same directory");
    }
    snprintf(path, sizeof path, "%s/%s", argv[1], shard_name);
    unsigned char *shard = (unsigned char *)read_all(path, &shard_size);
    int rc = shard ? check_graph(model) : fail("cannot read %s", path);
    if (rc == 0) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
        FILE *out = fopen(tmp, "wb");
        rc = out ? write_weights(model, shard, shard_size, out) : fail("cannot write %s", tmp);
        if (out && fclose(out) != 0)
            rc = fail("cannot write %s", tmp);
        if (rc == 0 && rename(tmp, argv[2]) != 0)
            rc = fail("cannot rename %s", tmp);
        if (rc != 0)
            remove(tmp);
    }
    free(shard);
    cJSON_Delete(model);
    return rc;
}
