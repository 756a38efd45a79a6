/*
 * backends.h - which provider backends this build contains.
 * Static table; any thread.
 */
#ifndef IG_BACKENDS_H
#define IG_BACKENDS_H

#include "providers/backend.h"

/* The backend of a provider, or NULL when this build has none. */
const ig_backend *ig_backend_for(ig_provider_id id);

#endif
