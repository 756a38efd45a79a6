/* local_state.c - the embedded provider's per-instance state (see local.h). */
#include "providers/local/local.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

/* Seed for the time estimate before this instance has timed a run, in
 * multiply-accumulates per second: bench_upscale_quality measured 62.6e9
 * on the 2-core development machine (tile halos included); a little less
 * is assumed. Observed runs replace it. */
#define SEED_MACS_PER_S 50e9

struct ig_local_state {
    pthread_mutex_t lock; /* guards everything below */
    char *weights_path;
    ig_rdn *net;          /* NULL until first loaded */
    double macs_per_s;    /* observed speed, 0 = none yet */
};

void *ig_local_state_new(const struct ig_config *config)
{
    ig_local_state *state = calloc(1, sizeof *state);
    size_t len = strlen(config->weights_dir) + sizeof "/" IG_LOCAL_WEIGHTS_FILE;
    if (!state || !(state->weights_path = malloc(len))) {
        free(state);
        return NULL;
    }
    snprintf(state->weights_path, len, "%s/%s", config->weights_dir, IG_LOCAL_WEIGHTS_FILE);
    pthread_mutex_init(&state->lock, NULL);
    return state;
}

void ig_local_state_free(void *opaque)
{
    ig_local_state *state = opaque;
    if (!state)
        return;
    ig_rdn_free(state->net);
    pthread_mutex_destroy(&state->lock);
    free(state->weights_path);
    free(state);
}

const ig_rdn *ig_local_network(ig_local_state *state, ig_error *err)
{
    char why[256] = "";
    pthread_mutex_lock(&state->lock);
    if (!state->net)
        state->net = ig_rdn_load(state->weights_path, why, sizeof why);
    const ig_rdn *net = state->net;
    pthread_mutex_unlock(&state->lock);
    if (net)
        return net;
    ig_fail(err, IG_ERR_PROVIDER_UNAVAILABLE, "method",
            "the neural upscaler's weights could not be loaded: %s", why);
    ig_error_hint(err, "Use method \"lanczos3\", or install the weights: scripts/setup.sh "
                       "fetches them and the build writes %s; imageGeneration.weightsDir "
                       "in the config names another directory.", IG_LOCAL_WEIGHTS_FILE);
    return NULL;
}

double ig_local_estimate_seconds(ig_local_state *state, double macs)
{
    pthread_mutex_lock(&state->lock);
    double rate = state->macs_per_s > 0 ? state->macs_per_s : SEED_MACS_PER_S;
    pthread_mutex_unlock(&state->lock);
    return macs / rate;
}

void ig_local_observe(ig_local_state *state, double macs, double seconds)
{
    if (seconds <= 0 || macs <= 0)
        return;
    double rate = macs / seconds;
    pthread_mutex_lock(&state->lock);
    /* An even moving average: follows a machine that got busier within a
     * few calls without letting one odd run decide. */
    state->macs_per_s = state->macs_per_s > 0 ? 0.5 * (state->macs_per_s + rate) : rate;
    pthread_mutex_unlock(&state->lock);
}
