/* stability_upscale.c - makes a Stability upscale the size that was asked
 * for (see stability.h). Stability has no 2x: fast is always 4x and the
 * conservative and creative upscalers aim at about 4 megapixels. */
#include <cjson/cJSON.h>

#include "core/result.h"
#include "image/image_ops.h"
#include "providers/stability/stability.h"

int ig_stability_finish_upscale(ig_image_store *store, const ig_request *req,
                                const ig_applied *applied, const ig_stored_image *stored,
                                cJSON *result, ig_error *err)
{
    const char *model = applied->caps->model;
    int want_w = req->target_width, want_h = req->target_height;
    if (stored->width == want_w && stored->height == want_h) {
        ig_result_add_image(result, stored);
        return 0;
    }
    if (stored->width < want_w || stored->height < want_h) {
        ig_result_add_image(result, stored);
        ig_result_warn(result, "scale", "Stability's %s upscaler returned %dx%d, less than "
                       "the %dx%d asked for; the image is as the provider made it", model,
                       stored->width, stored->height, want_w, want_h);
        return 0;
    }
    ig_png shrunk;
    if (ig_ops_shrink_file(stored->path, want_w, want_h, applied->output_format, &shrunk,
                           err) != 0)
        return -1;
    cJSON *meta = ig_backend_image_meta(req, "stability", model, NULL);
    cJSON_AddStringToObject(meta, "resizedFrom", stored->id);
    ig_stored_image out;
    int rc = ig_store_put(store, shrunk.data, shrunk.size, meta, &out, err);
    cJSON_Delete(meta);
    ig_png_clear(&shrunk);
    if (rc != 0)
        return -1;
    ig_result_add_image(result, &out);
    ig_result_warn(result, "scale", "Stability's %s upscaler made %dx%d; it was shrunk "
                   "locally to the %dx%d asked for. The provider's image is kept as %s (%s)",
                   model, stored->width, stored->height, want_w, want_h, stored->id,
                   stored->path);
    return 0;
}
