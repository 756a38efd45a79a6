/* backends.c - the backends compiled into this build (see backends.h). */
#include "providers/backends.h"


const ig_backend *ig_backend_for(ig_provider_id id)
{
    (void)id;
    return NULL; /* OpenAI joins when the transport lands */
}
