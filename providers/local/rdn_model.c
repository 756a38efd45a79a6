/* rdn_model.c - loading the weights file (see rdn.h, rdn_format.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/local/rdn_internal.h"

/* One tensor of the file, still quantised; points into the file's bytes. */
typedef struct tensor {
    char name[RDN_NAME_LEN + 1];
    uint32_t shape[4];
    float min, scale;
    const uint8_t *q;
} tensor;

typedef struct file {
    tensor tensors[RDN_MAX_TENSORS];
    int count;
} file;

static int why_fail(char *why, size_t cap, const char *fmt, const char *arg)
{
    snprintf(why, cap, fmt, arg);
    return -1;
}

/* Splits the file's bytes into tensors, checking every length. */
static int parse(const uint8_t *data, size_t size, file *f, char *why, size_t cap)
{
    size_t at = RDN_MAGIC_LEN + 4;
    uint32_t count;
    if (size < at || memcmp(data, RDN_MAGIC, RDN_MAGIC_LEN) != 0)
        return why_fail(why, cap, "%s", "not an RDN weights file (bad magic or version)");
    memcpy(&count, data + RDN_MAGIC_LEN, 4);
    if (count > RDN_MAX_TENSORS)
        return why_fail(why, cap, "%s", "weights file lists too many tensors");
    for (uint32_t i = 0; i < count; i++) {
        tensor *t = &f->tensors[i];
        if (size - at < RDN_NAME_LEN + 16 + 8)
            return why_fail(why, cap, "%s", "weights file is truncated");
        memcpy(t->name, data + at, RDN_NAME_LEN);
        t->name[RDN_NAME_LEN] = '\0';
        memcpy(t->shape, data + at + RDN_NAME_LEN, 16);
        memcpy(&t->min, data + at + RDN_NAME_LEN + 16, 4);
        memcpy(&t->scale, data + at + RDN_NAME_LEN + 20, 4);
        at += RDN_NAME_LEN + 24;
        uint64_t n = (uint64_t)t->shape[0] * t->shape[1] * t->shape[2] * t->shape[3];
        if (n > size - at)
            return why_fail(why, cap, "weights file is truncated inside %s", t->name);
        t->q = data + at;
        at += n;
    }
    f->count = (int)count;
    return at == size ? 0 : why_fail(why, cap, "%s", "weights file has trailing bytes");
}

static const tensor *find(const file *f, const char *name)
{
    for (int i = 0; i < f->count; i++)
        if (!strcmp(f->tensors[i].name, name))
            return &f->tensors[i];
    return NULL;
}

/* Dequantises layer name's kernel (HWIO) and bias into c, checking shapes. */
static int load_conv(const file *f, const char *name, int k, int cin, int cout, rdn_conv *c,
                     char *why, size_t cap)
{
    char key[RDN_NAME_LEN + 8];
    snprintf(key, sizeof key, "%s/kernel", name);
    const tensor *kt = find(f, key);
    snprintf(key, sizeof key, "%s/bias", name);
    const tensor *bt = find(f, key);
    if (!kt || !bt || kt->shape[0] != (uint32_t)k || kt->shape[1] != (uint32_t)k ||
        kt->shape[2] != (uint32_t)cin || kt->shape[3] != (uint32_t)cout ||
        bt->shape[0] != (uint32_t)cout)
        return why_fail(why, cap, "weights for %s are missing or of the wrong shape", name);
    c->k = k;
    c->cin = cin;
    c->cout = cout;
    c->taps = malloc(sizeof(float) * (size_t)k * k * cin * cout);
    c->bias = malloc(sizeof(float) * (size_t)cout);
    if (!c->taps || !c->bias)
        return why_fail(why, cap, "%s", "out of memory");
    for (int t = 0; t < k * k; t++)         /* HWIO [ky][kx][ci][co] ... */
        for (int ci = 0; ci < cin; ci++)
            for (int co = 0; co < cout; co++) /* ... to [tap][co][ci] */
                c->taps[((size_t)t * cout + co) * cin + ci] =
                    kt->min + kt->scale * kt->q[((size_t)t * cin + ci) * cout + co];
    for (int co = 0; co < cout; co++)
        c->bias[co] = bt->min + bt->scale * bt->q[co];
    return 0;
}

static int load_all(const file *f, ig_rdn *m, char *why, size_t cap)
{
    char name[32];
    int rc = load_conv(f, "F_m1", 3, 3, RDN_G, &m->f_m1, why, cap);
    rc = rc ? rc : load_conv(f, "F_0", 3, RDN_G, RDN_G, &m->f_0, why, cap);
    for (int d = 0; d < RDN_BLOCKS && !rc; d++) {
        for (int c = 0; c < RDN_CONVS && !rc; c++) {
            snprintf(name, sizeof name, "F_%d_%d", d + 1, c + 1);
            rc = load_conv(f, name, 3, RDN_G * (c + 1), RDN_G, &m->block[d][c], why, cap);
        }
        snprintf(name, sizeof name, "LFF_%d", d + 1);
        rc = rc ? rc
                : load_conv(f, name, 1, RDN_G * (RDN_CONVS + 1), RDN_G, &m->lff[d], why, cap);
    }
    rc = rc ? rc : load_conv(f, "GFF_1", 1, RDN_G * RDN_BLOCKS, RDN_G, &m->gff1, why, cap);
    rc = rc ? rc : load_conv(f, "GFF_2", 3, RDN_G, RDN_G, &m->gff2, why, cap);
    rc = rc ? rc : load_conv(f, "UPN1", 5, RDN_G, RDN_UP1, &m->up1, why, cap);
    rc = rc ? rc : load_conv(f, "UPN2", 3, RDN_UP1, RDN_UP2, &m->up2, why, cap);
    rc = rc ? rc : load_conv(f, "UPN3", 3, RDN_UP2, RDN_UP3, &m->up3, why, cap);
    rc = rc ? rc : load_conv(f, "SR", 3, RDN_UP3, 3, &m->sr, why, cap);
    return rc;
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *data = NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len > 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)len)) &&
        fread(data, 1, (size_t)len, f) != (size_t)len) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *size = len > 0 ? (size_t)len : 0;
    return data;
}

ig_rdn *ig_rdn_load(const char *path, char *why, size_t why_cap)
{
    size_t size;
    uint8_t *data = read_file(path, &size);
    if (!data) {
        why_fail(why, why_cap, "cannot read %s", path);
        return NULL;
    }
    file *f = malloc(sizeof *f);
    ig_rdn *m = calloc(1, sizeof *m);
    int rc = f && m ? parse(data, size, f, why, why_cap)
                    : why_fail(why, why_cap, "%s", "out of memory");
    if (rc == 0)
        rc = load_all(f, m, why, why_cap);
    free(f);
    free(data);
    if (rc == 0)
        return m;
    ig_rdn_free(m);
    return NULL;
}

static void conv_free(rdn_conv *c)
{
    free(c->taps);
    free(c->bias);
}

void ig_rdn_free(ig_rdn *m)
{
    if (!m)
        return;
    conv_free(&m->f_m1);
    conv_free(&m->f_0);
    for (int d = 0; d < RDN_BLOCKS; d++) {
        for (int c = 0; c < RDN_CONVS; c++)
            conv_free(&m->block[d][c]);
        conv_free(&m->lff[d]);
    }
    conv_free(&m->gff1);
    conv_free(&m->gff2);
    conv_free(&m->up1);
    conv_free(&m->up2);
    conv_free(&m->up3);
    conv_free(&m->sr);
    free(m);
}
