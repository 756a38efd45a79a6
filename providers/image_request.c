/* image_request.c - see image_request.h. */
#include "providers/image_request.h"

static const char *const role_fields[IG_ROLE_COUNT] = {
    [IG_ROLE_IMAGE] = "image",
    [IG_ROLE_MASK] = "mask",
    [IG_ROLE_STYLE] = "styleImage",
    [IG_ROLE_REFERENCE] = "referenceImageUrl",
};

const char *ig_image_role_field(ig_image_role role)
{
    return role < IG_ROLE_COUNT ? role_fields[role] : "image";
}

void ig_request_clear(ig_request *req)
{
    if (!req)
        return;
    for (int role = 0; role < IG_ROLE_COUNT; role++)
        ig_image_clear(&req->images[role]);
}

const char *ig_upscale_method_name(ig_upscale_method method)
{
    static const char *const names[] = {"auto", "lanczos3", "neural"};
    return method <= IG_METHOD_NEURAL ? names[method] : "auto";
}
