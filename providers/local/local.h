/*
 * local.h - the embedded offline provider ("local"): upscale_image on the
 * CPU, with no key and no network.
 *
 * Two methods: lanczos3 (lanczos3.h: exact, instant) and neural (rdn.h:
 * the idealo RDN psnr-small x2 network; 4x is two passes). "auto" picks
 * neural when its estimated time fits the call's budget. The per-instance
 * state holds the network, loaded on first use, and the speed this
 * instance has observed, which sharpens the estimate.
 */
#ifndef IG_LOCAL_H
#define IG_LOCAL_H

#include "image/image_pixels.h"
#include "providers/backend.h"
#include "providers/local/rdn.h"

#define IG_LOCAL_MODEL_AUTO "auto"
#define IG_LOCAL_MODEL_LANCZOS3 "lanczos3"
#define IG_LOCAL_MODEL_NEURAL "rdn-psnr-small-x2"
#define IG_LOCAL_WEIGHTS_FILE "rdn-psnr-small-x2.bin"

/* Time budget of method auto when the call gives no maxSeconds. */
#define IG_LOCAL_DEFAULT_BUDGET_S 60.0

extern const ig_backend ig_local_backend;
extern const ig_model_caps ig_local_models[];

/* The model a request's method names: auto, lanczos3 or the network. */
const char *ig_local_default_model(ig_operation op, const ig_request *req);

/* --- per-instance state (local_state.c); all functions thread-safe --- */
typedef struct ig_local_state ig_local_state;

/* For ig_backend.state_new / state_free. */
void *ig_local_state_new(const struct ig_config *config);
void ig_local_state_free(void *state);

/*
 * The network, loaded from the weights directory on first use and kept for
 * the instance's life (borrowed; valid until ig_local_state_free). NULL with
 * IG_ERR_PROVIDER_UNAVAILABLE and a hint when the weights are missing or
 * damaged; a failed load is retried by the next call.
 */
const ig_rdn *ig_local_network(ig_local_state *state, ig_error *err);

/* Seconds the network is expected to take for macs multiply-accumulates:
 * from this instance's observed speed, else a documented seed figure. */
double ig_local_estimate_seconds(ig_local_state *state, double macs);

/* Records a finished neural run, so later estimates follow this machine. */
void ig_local_observe(ig_local_state *state, double macs, double seconds);

/* --- the neural pipeline (local_neural.c) --- */

/* Multiply-accumulates of a neural upscale of a w x h image by scale (2 or
 * 4: two 2x passes). */
double ig_local_neural_macs(const ig_rdn *net, int w, int h, int scale);

/*
 * Enlarges in (any bands) by scale with the network, then, when the target
 * is smaller than that, shrinks to target_w x target_h with Lanczos3. Grey
 * images go through the network as RGB and come back grey; alpha is
 * enlarged with Lanczos3. run carries threads, cancel and progress. Returns
 * 0 with *out filled (caller clears), or -1 with err (IG_ERR_CANCELED when
 * run->cancel was set).
 */
int ig_local_neural_upscale(const ig_rdn *net, const ig_pixels *in, int scale, int target_w,
                            int target_h, const ig_rdn_run *run, ig_pixels *out,
                            ig_error *err);

#endif
