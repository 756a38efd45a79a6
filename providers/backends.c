/* backends.c - the backends compiled into this build (see backends.h). */
#include "providers/backends.h"

#include "providers/openai/openai.h"

const ig_backend *ig_backend_for(ig_provider_id id)
{
    switch (id) {
    case IG_PROVIDER_OPENAI:
        return &ig_openai_backend;
    default:
        return NULL;
    }
}
