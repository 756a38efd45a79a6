/* routing_state.c - see routing_state.h. */
#include "providers/fallback/routing_state.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

typedef struct cooldown {
    double until_ms;
    ig_error_class why;
} cooldown;

struct ig_routing_state {
    pthread_mutex_t lock;
    cooldown cooldowns[IG_PROVIDER_COUNT];
    double latency_s[IG_PROVIDER_COUNT][IG_OP_COUNT]; /* 0 = none observed */
    uint64_t rng; /* splitmix64 state */
};

ig_routing_state *ig_routing_state_new(bool seeded, uint64_t seed)
{
    ig_routing_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    if (!seeded && getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)s;
    s->rng = seed;
    return s;
}

void ig_routing_state_free(ig_routing_state *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

double ig_cooldown_left_ms(ig_routing_state *s, ig_provider_id provider, double now_ms,
                           ig_error_class *why)
{
    pthread_mutex_lock(&s->lock);
    cooldown c = s->cooldowns[provider];
    pthread_mutex_unlock(&s->lock);
    if (why)
        *why = c.why;
    return c.until_ms > now_ms ? c.until_ms - now_ms : 0;
}

void ig_cooldown_start(ig_routing_state *s, ig_provider_id provider, double until_ms,
                       ig_error_class why)
{
    pthread_mutex_lock(&s->lock);
    if (until_ms > s->cooldowns[provider].until_ms)
        s->cooldowns[provider] = (cooldown){until_ms, why};
    pthread_mutex_unlock(&s->lock);
}

double ig_latency_estimate_s(ig_routing_state *s, ig_provider_id provider,
                             ig_operation op, double seed_s, bool *observed)
{
    pthread_mutex_lock(&s->lock);
    double latency = s->latency_s[provider][op];
    pthread_mutex_unlock(&s->lock);
    if (observed)
        *observed = latency > 0;
    return latency > 0 ? latency : seed_s;
}

void ig_latency_observe(ig_routing_state *s, ig_provider_id provider, ig_operation op,
                        double seconds, double seed_s)
{
    pthread_mutex_lock(&s->lock);
    double *latency = &s->latency_s[provider][op];
    double before = *latency > 0 ? *latency : seed_s;
    *latency = before + IG_LATENCY_WEIGHT * (seconds - before);
    if (*latency <= 0)
        *latency = 1e-6; /* stays "observed" */
    pthread_mutex_unlock(&s->lock);
}

/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit step per draw. */
double ig_routing_draw(ig_routing_state *s)
{
    pthread_mutex_lock(&s->lock);
    uint64_t z = (s->rng += 0x9E3779B97F4A7C15ull);
    pthread_mutex_unlock(&s->lock);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}
