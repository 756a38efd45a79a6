/* local_models.c - what the embedded provider can do, as data (see local.h). */
#include "providers/local/local.h"

#define ALL_FORMATS (IG_FMT_PNG | IG_FMT_JPEG | IG_FMT_WEBP)
#define UPSCALER(name)                                                        \
    {.model = (name), .operations = IG_OP_BIT(IG_OP_UPSCALE), .max_n = 1,     \
     .input_sets_size = true, .upscale_methods = true, .output_formats = ALL_FORMATS}

const ig_model_caps ig_local_models[] = {
    UPSCALER(IG_LOCAL_MODEL_AUTO),
    UPSCALER(IG_LOCAL_MODEL_LANCZOS3),
    UPSCALER(IG_LOCAL_MODEL_NEURAL),
    {0},
};

const char *ig_local_default_model(ig_operation op, const ig_request *req)
{
    if (op != IG_OP_UPSCALE)
        return NULL;
    switch (req->method) {
    case IG_METHOD_LANCZOS3:
        return IG_LOCAL_MODEL_LANCZOS3;
    case IG_METHOD_NEURAL:
        return IG_LOCAL_MODEL_NEURAL;
    default:
        return IG_LOCAL_MODEL_AUTO;
    }
}
