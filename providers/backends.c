/* backends.c - the backends compiled into this build (see backends.h). */
#include "providers/backends.h"

#include "providers/bfl/bfl.h"
#include "providers/fal/fal.h"
#include "providers/local/local.h"
#include "providers/openai/openai.h"
#include "providers/openrouter/openrouter.h"
#include "providers/replicate/replicate.h"
#include "providers/sd_local/sd_local.h"
#include "providers/stability/stability.h"

const ig_backend *ig_backend_for(ig_provider_id id)
{
    switch (id) {
    case IG_PROVIDER_OPENAI:
        return &ig_openai_backend;
    case IG_PROVIDER_BFL:
        return &ig_bfl_backend;
    case IG_PROVIDER_FAL:
        return &ig_fal_backend;
    case IG_PROVIDER_OPENROUTER:
        return &ig_openrouter_backend;
    case IG_PROVIDER_REPLICATE:
        return &ig_replicate_backend;
    case IG_PROVIDER_STABILITY:
        return &ig_stability_backend;
    case IG_PROVIDER_SD_LOCAL:
        return &ig_sd_local_backend;
    case IG_PROVIDER_LOCAL:
        return &ig_local_backend;
    default:
        return NULL;
    }
}
