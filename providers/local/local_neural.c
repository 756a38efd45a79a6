/* local_neural.c - the neural upscale pipeline around the network: colour
 * layout, passes, shrinking to the target, alpha (see local.h). */
#include "providers/local/local.h"

#include <string.h>

#include "providers/local/lanczos3.h"

double ig_local_neural_macs(const ig_rdn *net, int w, int h, int scale)
{
    double out_pixels = 4.0 * w * h; /* the first 2x pass */
    if (scale == 4)
        out_pixels += 16.0 * w * h;  /* the second, on the doubled image */
    return ig_rdn_macs_per_output_pixel(net) * out_pixels;
}

/* Reports one pass's progress as its share [offset, offset + span) of the
 * whole upscale. */
typedef struct pass_progress {
    const ig_rdn_run *run;
    double offset, span;
} pass_progress;

static void report_pass(void *ctx, double fraction)
{
    const pass_progress *p = ctx;
    p->run->progress(p->run->progress_ctx, p->offset + p->span * fraction);
}

static int run_pass(const ig_rdn *net, const ig_pixels *rgb, ig_pixels *out,
                    const ig_rdn_run *run, double offset, double span, ig_error *err)
{
    if (ig_pixels_alloc(out, rgb->width * 2, rgb->height * 2, 3, err) != 0)
        return -1;
    pass_progress share = {run, offset, span};
    ig_rdn_run pass = *run;
    if (run->progress) {
        pass.progress = report_pass;
        pass.progress_ctx = &share;
    }
    int rc = ig_rdn_upscale2x(net, rgb->data, rgb->width, rgb->height, out->data, &pass);
    if (rc == IG_RDN_OK)
        return 0;
    ig_pixels_clear(out);
    if (rc == IG_RDN_CANCELED)
        return ig_fail(err, IG_ERR_CANCELED, NULL, "the neural upscale was stopped");
    return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory in the neural upscaler");
}

/* One band of in, as a 1-band image. */
static int band_of(const ig_pixels *in, int band, ig_pixels *out, ig_error *err)
{
    if (ig_pixels_alloc(out, in->width, in->height, 1, err) != 0)
        return -1;
    size_t n = (size_t)in->width * in->height;
    for (size_t i = 0; i < n; i++)
        out->data[i] = in->data[i * in->bands + band];
    return 0;
}

/* in resized to w x h with Lanczos3. */
static int resize(const ig_pixels *in, int w, int h, ig_pixels *out, ig_error *err)
{
    if (ig_pixels_alloc(out, w, h, in->bands, err) != 0)
        return -1;
    if (ig_lanczos3_resize(in->data, in->width, in->height, in->bands, out->data, w, h) == 0)
        return 0;
    ig_pixels_clear(out);
    return ig_fail(err, IG_ERR_INTERNAL, NULL, "out of memory resizing to %dx%d", w, h);
}

/* Puts the enlarged colour (RGB) and alpha (1 band or none) together in the
 * input's band layout: grey images come back grey (mean of R, G, B). */
static int merge(const ig_pixels *rgb, const ig_pixels *alpha, int bands, ig_pixels *out,
                 ig_error *err)
{
    if (ig_pixels_alloc(out, rgb->width, rgb->height, bands, err) != 0)
        return -1;
    size_t n = (size_t)rgb->width * rgb->height;
    int colour = alpha->data ? bands - 1 : bands;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgb->data + i * 3;
        uint8_t *o = out->data + i * bands;
        if (colour == 1)
            o[0] = (uint8_t)((p[0] + p[1] + p[2] + 1) / 3);
        else
            memcpy(o, p, 3);
        if (alpha->data)
            o[colour] = alpha->data[i];
    }
    return 0;
}

int ig_local_neural_upscale(const ig_rdn *net, const ig_pixels *in, int scale, int target_w,
                            int target_h, const ig_rdn_run *run, ig_pixels *out,
                            ig_error *err)
{
    ig_pixels rgb = {0}, once = {0}, twice = {0}, fitted = {0}, alpha = {0}, alpha_big = {0};
    double first_share = scale == 4 ? 0.2 : 1.0; /* the second pass has 4x the pixels */
    int rc = -1;
    if (ig_pixels_rgb(in, &rgb, err) != 0 ||
        run_pass(net, &rgb, &once, run, 0.0, first_share, err) != 0)
        goto done;
    if (scale == 4 && run_pass(net, &once, &twice, run, first_share, 1.0 - first_share,
                               err) != 0)
        goto done;
    /* The passes' result as it is when it has the target size (no copy). */
    const ig_pixels *colour = scale == 4 ? &twice : &once;
    if (colour->width != target_w || colour->height != target_h) {
        if (resize(colour, target_w, target_h, &fitted, err) != 0)
            goto done;
        colour = &fitted;
    }
    if (ig_pixels_has_alpha(in) &&
        (band_of(in, in->bands - 1, &alpha, err) != 0 ||
         resize(&alpha, target_w, target_h, &alpha_big, err) != 0))
        goto done;
    rc = merge(colour, &alpha_big, in->bands, out, err);
done:
    ig_pixels_clear(&rgb);
    ig_pixels_clear(&once);
    ig_pixels_clear(&twice);
    ig_pixels_clear(&fitted);
    ig_pixels_clear(&alpha);
    ig_pixels_clear(&alpha_big);
    return rc;
}
