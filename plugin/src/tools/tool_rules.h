/*
 * tool_rules.h - the cross-field rules of the five tools.
 *
 * The schema checks each field alone; these rules check fields together
 * (mask only with inpaint, size vs aspectRatio, scale vs width/height, a
 * pinned provider that is also blocked, ...) and, once the image inputs are
 * decoded, the rules that need their sizes (mask size, outpaint canvas,
 * upscale target). Every failure names the field, what was wrong and what is
 * allowed. Pure functions of their arguments; any thread.
 */
#ifndef IG_TOOL_RULES_H
#define IG_TOOL_RULES_H

#include "core/config.h"
#include "core/ig_error.h"
#include "providers/image_request.h"

typedef struct cJSON cJSON;

/* Limits of the tool layer (providers narrow them further). */
#define IG_MIN_SIDE 64
#define IG_MAX_SIDE 8192
#define IG_MAX_ASPECT 4       /* long side / short side */
#define IG_MAX_UPSCALED_SIDE 16384

/*
 * Builds *req from schema-valid args (borrowed; req borrows its strings) and
 * applies every rule that does not need pixels. Defaults are filled in.
 * A field that does not apply but only restates its default (models often
 * send defaults explicitly) is ignored with a warning added to result's
 * "warnings" instead of failing the call.
 * Returns 0, or -1 with err. req must be zeroed by the caller; clear it with
 * ig_request_clear either way.
 */
int ig_rules_build_request(ig_operation op, const char *tool, const cJSON *args,
                           const ig_config *config, ig_request *req,
                           cJSON *result, ig_error *err);

/*
 * Reads priority (the request's, else the config's) into req. Under privacy
 * refuses a pinned provider that is not private and every input given as
 * an http(s) URL, naming the field, before anything is fetched or sent.
 * Needs req's provider and image references read first. Returns 0, or -1
 * with err. tool_rules_priority.c.
 */
int ig_rules_read_priority(const cJSON *args, const ig_config *config, ig_request *req,
                           ig_error *err);

/* Applies the rules that need the decoded inputs' sizes; derives margins,
 * targets and scale. Returns 0, or -1 with err. */
int ig_rules_check_inputs(ig_request *req, ig_error *err);

#endif
