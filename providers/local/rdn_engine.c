/*
 * rdn_engine.c - running the network (see rdn.h).
 *
 * Feature maps are planar float channels, each plane zero-padded by PAD
 * pixels on every side. A k x k convolution (k <= 5) is then k*k sgemm
 * calls, one per kernel tap: out[cout x n] += tap[cout x cin] * in shifted,
 * where the shifted input is the same planes read from another offset
 * (ldb = plane size), and n covers whole padded rows. The columns that fall
 * into the padding are computed too and zeroed afterwards, which keeps the
 * zero border that "same" padding needs, without any im2col copy.
 * Concatenations are free: the dense block's channels sit one after another
 * in one buffer. Residual adds are free too: the sum is preloaded and the
 * sgemm accumulates onto it.
 */
#include <cblas.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "providers/local/rdn_internal.h"

#define PAD 2    /* the widest kernel is 5x5 */
#define SLACK 8  /* the last plane's shifted reads run up to 2*PAD-1 past its end */

typedef struct frame {
    int w, h;     /* interior */
    int wp;       /* padded row length */
    size_t plane; /* floats per channel */
} frame;

static frame frame_of(int w, int h)
{
    frame f = {w, h, w + 2 * PAD, (size_t)(h + 2 * PAD) * (size_t)(w + 2 * PAD)};
    return f;
}

static float *planes(const frame *f, int channels)
{
    return calloc((size_t)channels * f->plane + SLACK, sizeof(float));
}

/* Index of interior pixel (x, y) within a plane. */
static size_t at(const frame *f, int x, int y)
{
    return (size_t)(y + PAD) * f->wp + (size_t)(x + PAD);
}

/* out (cout planes) = beta * out + conv(in) without bias; taps are
 * cout x cin matrices with row stride lda (lda > cin selects input columns
 * of a wider layer, as GFF_1 does per block). */
static void convolve(const frame *f, int k, int cin, int cout, const float *taps, int lda,
                     const float *in, float *out, float beta)
{
    int r = k / 2;
    int n = f->h * f->wp;
    float *c = out + at(f, 0, 0);
    for (int t = 0; t < k * k; t++) {
        const float *b = in + at(f, 0, 0) + (t / k - r) * f->wp + (t % k - r);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cout, n, cin, 1.0f,
                    taps + (size_t)t * cout * lda, lda, b, (int)f->plane, t ? 1.0f : beta, c,
                    (int)f->plane);
    }
}

/* Adds the bias (may be NULL), applies ReLU when asked, and zeroes the
 * padding columns the whole-row sgemm wrote into. */
static void finish(const frame *f, float *out, int cout, const float *bias, bool relu)
{
    for (int ch = 0; ch < cout; ch++) {
        float *p = out + (size_t)ch * f->plane;
        float b = bias ? bias[ch] : 0.0f;
        for (int y = 0; y < f->h; y++) {
            float *row = p + at(f, 0, y);
            for (int x = 0; x < f->w; x++) {
                float v = row[x] + b;
                row[x] = relu && v < 0.0f ? 0.0f : v;
            }
            /* right padding of this row, left padding of the next */
            memset(row + f->w, 0, sizeof(float) * 2 * PAD);
        }
    }
}

static void conv(const frame *f, const rdn_conv *c, const float *in, float *out,
                 bool accumulate, bool relu)
{
    convolve(f, c->k, c->cin, c->cout, c->taps, c->cin, in, out, accumulate ? 1.0f : 0.0f);
    finish(f, out, c->cout, c->bias, relu);
}

/* Nearest 2x of `channels` planes from frame f into frame f2. */
static void upsample(const frame *f, const frame *f2, const float *in, float *out, int channels)
{
    for (int ch = 0; ch < channels; ch++) {
        const float *src = in + (size_t)ch * f->plane;
        float *dst = out + (size_t)ch * f2->plane;
        for (int y = 0; y < f2->h; y++)
            for (int x = 0; x < f2->w; x++)
                dst[at(f2, x, y)] = src[at(f, x / 2, y / 2)];
    }
}

/* Feature maps of one tile. */
typedef struct work {
    frame f, f2;
    float *in, *fm1, *dense, *gff, *tmp, *up2, *up3, *big, *sr;
} work;

static void work_free(work *w)
{
    float *all[] = {w->in, w->fm1, w->dense, w->gff, w->tmp, w->up2, w->up3, w->big, w->sr};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
}

static int work_alloc(work *w, int width, int height)
{
    memset(w, 0, sizeof *w);
    w->f = frame_of(width, height);
    w->f2 = frame_of(2 * width, 2 * height);
    w->in = planes(&w->f, 3);
    w->fm1 = planes(&w->f, RDN_G);
    w->dense = planes(&w->f, RDN_G * (RDN_CONVS + 1));
    w->gff = planes(&w->f, RDN_G);
    w->tmp = planes(&w->f, RDN_G);
    w->up2 = planes(&w->f, RDN_UP2);
    w->up3 = planes(&w->f, RDN_UP3);
    w->big = planes(&w->f2, RDN_UP3);
    w->sr = planes(&w->f2, 3);
    if (w->in && w->fm1 && w->dense && w->gff && w->tmp && w->up2 && w->up3 && w->big && w->sr)
        return 0;
    work_free(w);
    return -1;
}

/* Progress over a whole call: STEPS_PER_TILE steps per tile. */
#define STEPS_PER_TILE (RDN_BLOCKS + 2)
typedef struct pacer {
    const ig_rdn_run *run;
    int done, total;
} pacer;

/* One step done: reports it and says whether to stop. */
static bool step(pacer *p)
{
    p->done++;
    if (p->run && p->run->progress)
        p->run->progress(p->run->progress_ctx, (double)p->done / p->total);
    return p->run && p->run->cancel && atomic_load(p->run->cancel);
}

/* The network on w->in (3 planes, 0..1) into w->sr (3 planes at 2x). */
static int forward(const ig_rdn *m, work *w, pacer *p)
{
    const frame *f = &w->f;
    size_t g_bytes = sizeof(float) * RDN_G * f->plane;
    conv(f, &m->f_m1, w->in, w->fm1, false, false);
    conv(f, &m->f_0, w->fm1, w->dense, false, false); /* x of the first block */
    if (step(p))
        return IG_RDN_CANCELED;
    for (int d = 0; d < RDN_BLOCKS; d++) {
        /* dense block: conv c reads all channels so far, appends 64 */
        for (int c = 0; c < RDN_CONVS; c++)
            conv(f, &m->block[d][c], w->dense, w->dense + (size_t)(c + 1) * RDN_G * f->plane,
                 false, true);
        memcpy(w->tmp, w->dense, g_bytes);               /* LRL = LFF(dense) + x */
        conv(f, &m->lff[d], w->dense, w->tmp, true, false);
        /* GFF_1 over the ten LRLs, one block's 64 input columns at a time */
        convolve(f, 1, RDN_G, RDN_G, m->gff1.taps + (size_t)d * RDN_G, m->gff1.cin, w->tmp,
                 w->gff, d ? 1.0f : 0.0f);
        finish(f, w->gff, RDN_G, NULL, false);
        memcpy(w->dense, w->tmp, g_bytes);               /* x of the next block */
        if (step(p))
            return IG_RDN_CANCELED;
    }
    finish(f, w->gff, RDN_G, m->gff1.bias, false);
    memcpy(w->tmp, w->fm1, g_bytes);                     /* FDF = GFF_2 + F_m1 */
    conv(f, &m->gff2, w->gff, w->tmp, true, false);
    conv(f, &m->up1, w->tmp, w->dense, false, true);
    conv(f, &m->up2, w->dense, w->up2, false, true);
    conv(f, &m->up3, w->up2, w->up3, false, false);
    upsample(f, &w->f2, w->up3, w->big, RDN_UP3);
    conv(&w->f2, &m->sr, w->big, w->sr, false, false);
    return step(p) ? IG_RDN_CANCELED : IG_RDN_OK;
}

int ig_rdn_forward(const ig_rdn *m, const float *in, int w, int h, float *out)
{
    work wk;
    if (work_alloc(&wk, w, h) != 0)
        return IG_RDN_NOMEM;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                wk.in[(size_t)c * wk.f.plane + at(&wk.f, x, y)] = in[((size_t)y * w + x) * 3 + c];
    pacer p = {NULL, 0, STEPS_PER_TILE};
    forward(m, &wk, &p);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 2 * h; y++)
            for (int x = 0; x < 2 * w; x++)
                out[((size_t)y * 2 * w + x) * 3 + c] =
                    wk.sr[(size_t)c * wk.f2.plane + at(&wk.f2, x, y)];
    work_free(&wk);
    return IG_RDN_OK;
}

/* One tile: the input crop [cx, cx+cw) x [cy, cy+ch) (interior plus halo)
 * through the network; the interior [x0, x1) x [y0, y1) written to out. */
typedef struct tile {
    int cx, cy, cw, ch, x0, y0, x1, y1;
} tile;

static int run_tile(const ig_rdn *m, const uint8_t *rgb, int w, const tile *t, uint8_t *out,
                    pacer *p)
{
    work wk;
    if (work_alloc(&wk, t->cw, t->ch) != 0)
        return IG_RDN_NOMEM;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < t->ch; y++)
            for (int x = 0; x < t->cw; x++)
                wk.in[(size_t)c * wk.f.plane + at(&wk.f, x, y)] =
                    rgb[((size_t)(t->cy + y) * w + t->cx + x) * 3 + c] / 255.0f;
    int rc = forward(m, &wk, p);
    for (int y = 2 * t->y0; rc == IG_RDN_OK && y < 2 * t->y1; y++)
        for (int x = 2 * t->x0; x < 2 * t->x1; x++)
            for (int c = 0; c < 3; c++) {
                float v = wk.sr[(size_t)c * wk.f2.plane +
                                at(&wk.f2, x - 2 * t->cx, y - 2 * t->cy)] * 255.0f;
                v = roundf(v);
                out[((size_t)y * 2 * w + x) * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v;
            }
    work_free(&wk);
    return rc;
}

/* Start of piece i of n equal pieces of len. */
static int split(int len, int n, int i)
{
    return (int)((long)len * i / n);
}

int ig_rdn_upscale2x(const ig_rdn *m, const uint8_t *rgb, int w, int h, uint8_t *out,
                     const ig_rdn_run *run)
{
    int side = run && run->tile > 0 ? run->tile : IG_RDN_DEFAULT_TILE;
    int nx = (w + side - 1) / side, ny = (h + side - 1) / side;
    pacer p = {run, 0, nx * ny * STEPS_PER_TILE};
    if (run && run->cancel && atomic_load(run->cancel))
        return IG_RDN_CANCELED;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            tile t = {.x0 = split(w, nx, i), .x1 = split(w, nx, i + 1),
                      .y0 = split(h, ny, j), .y1 = split(h, ny, j + 1)};
            t.cx = t.x0 > IG_RDN_HALO ? t.x0 - IG_RDN_HALO : 0;
            t.cy = t.y0 > IG_RDN_HALO ? t.y0 - IG_RDN_HALO : 0;
            t.cw = (t.x1 + IG_RDN_HALO < w ? t.x1 + IG_RDN_HALO : w) - t.cx;
            t.ch = (t.y1 + IG_RDN_HALO < h ? t.y1 + IG_RDN_HALO : h) - t.cy;
            int rc = run_tile(m, rgb, w, &t, out, &p);
            if (rc != IG_RDN_OK)
                return rc;
        }
    return IG_RDN_OK;
}

/* Multiply-accumulates of one conv per pixel of its frame. */
static double macs(const rdn_conv *c)
{
    return (double)c->k * c->k * c->cin * c->cout;
}

double ig_rdn_macs_per_output_pixel(const ig_rdn *m)
{
    double lr = macs(&m->f_m1) + macs(&m->f_0) + macs(&m->gff1) + macs(&m->gff2) +
                macs(&m->up1) + macs(&m->up2) + macs(&m->up3);
    for (int d = 0; d < RDN_BLOCKS; d++) {
        for (int c = 0; c < RDN_CONVS; c++)
            lr += macs(&m->block[d][c]);
        lr += macs(&m->lff[d]);
    }
    return lr / 4.0 + macs(&m->sr); /* four output pixels per input pixel */
}
