/*
 * privacy.h - which providers keep a call on this machine (priority
 * "privacy" uses only those).
 *
 * The embedded provider always does. Local Stable Diffusion does when its
 * base URL names this machine (localhost or a loopback address) or a
 * private address inside one of imageGeneration.privateNetworks. Host
 * names other than localhost are not resolved: a name could resolve
 * elsewhere by the time of the request, so only addresses are trusted.
 * Hosted providers never do. Pure functions of the config; any thread.
 */
#ifndef IG_PRIVACY_H
#define IG_PRIVACY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

/* Whether provider id keeps a call private; when not, why (a sentence
 * fragment naming the reason) goes to why[cap]. */
bool ig_provider_is_private(const ig_config *config, ig_provider_id id, char *why,
                            size_t cap);

/* Checks one imageGeneration.privateNetworks entry: an IPv4/IPv6 address
 * or CIDR network ("192.168.1.20", "10.0.0.0/8", "fd00::/8") inside the
 * private ranges. Returns 0, or -1 with a reason in why[cap]. */
int ig_private_network_check(const char *entry, char *why, size_t cap);

#endif
