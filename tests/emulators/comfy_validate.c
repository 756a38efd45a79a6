/* comfy_validate.c - checks a graph the way ComfyUI's execution.py
 * validate_prompt does, answering its 400 body (see comfy_internal.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emulators/comfy_internal.h"

/* {"type","message","details","extra_info"}. */
static cJSON *error_item(const char *type, const char *message, const char *details,
                         const char *input_name)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", type);
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddStringToObject(e, "details", details);
    cJSON *extra = cJSON_AddObjectToObject(e, "extra_info");
    if (input_name)
        cJSON_AddStringToObject(extra, "input_name", input_name);
    return e;
}

/* The 400 body {error, node_errors}. */
static cJSON *answer(cJSON *error, cJSON *node_errors)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "error", error);
    cJSON_AddItemToObject(root, "node_errors", node_errors ? node_errors : cJSON_CreateObject());
    return root;
}

/* Whether value is one of the combo's options. */
static bool in_list(const cJSON *options, const char *value)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, options) if (cJSON_IsString(o) && !strcmp(o->valuestring, value))
        return true;
    return false;
}

/* Checks one input of one node; appends errors to errs. */
static void check_input(const comfy_installed *inst, const cJSON *graph,
                        const comfy_input *in, const cJSON *v, cJSON *errs)
{
    char details[600];
    if (!v) {
        cJSON_AddItemToArray(errs, error_item("required_input_missing",
                                              "Required input is missing", in->name, in->name));
        return;
    }
    if (cJSON_IsArray(v)) { /* a link */
        const cJSON *from = cJSON_GetArrayItem(v, 0), *slot = cJSON_GetArrayItem(v, 1);
        const cJSON *src = cJSON_IsString(from)
                               ? cJSON_GetObjectItemCaseSensitive(graph, from->valuestring) : NULL;
        const comfy_node *sn = comfy_node_find(
            inst, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src, "class_type")));
        int idx = cJSON_IsNumber(slot) ? slot->valueint : -1;
        if (cJSON_GetArraySize(v) != 2 || !src || !sn || idx < 0 || idx > 2 ||
            !sn->outputs[idx]) {
            snprintf(details, sizeof details, "%s", in->name);
            cJSON_AddItemToArray(errs, error_item("bad_linked_input", "Bad linked input, must "
                                                  "be a length-2 list of [node_id, slot_index]",
                                                  details, in->name));
            return;
        }
        const char *want = in->kind == K_LINK ? in->type
                           : in->kind == K_INT ? "INT" : in->kind == K_FLOAT ? "FLOAT"
                           : in->kind == K_STRING ? "STRING" : "COMBO";
        if (strcmp(sn->outputs[idx], want)) {
            snprintf(details, sizeof details, "%s, received_type(%s) mismatch input_type(%s)",
                     in->name, sn->outputs[idx], want);
            cJSON_AddItemToArray(errs, error_item("return_type_mismatch", "Return type "
                                                  "mismatch between linked nodes", details,
                                                  in->name));
        }
        return;
    }
    if (in->kind == K_LINK) {
        snprintf(details, sizeof details, "%s", in->name);
        cJSON_AddItemToArray(errs, error_item("bad_linked_input", "Bad linked input, must be "
                                              "a length-2 list of [node_id, slot_index]",
                                              details, in->name));
        return;
    }
    if (in->kind == K_INT || in->kind == K_FLOAT) {
        if (!cJSON_IsNumber(v) || (in->kind == K_INT && v->valuedouble != floor(v->valuedouble))) {
            snprintf(details, sizeof details, "%s", in->name);
            cJSON_AddItemToArray(errs, error_item("invalid_input_type", in->kind == K_INT
                                 ? "Failed to convert an input value to a INT value"
                                 : "Failed to convert an input value to a FLOAT value",
                                 details, in->name));
        } else if (v->valuedouble < in->min || v->valuedouble > in->max) {
            bool small = v->valuedouble < in->min;
            snprintf(details, sizeof details, "%s", in->name);
            char message[160];
            snprintf(message, sizeof message, "Value %g %s than %s of %g", v->valuedouble,
                     small ? "smaller" : "bigger", small ? "min" : "max",
                     small ? in->min : in->max);
            cJSON_AddItemToArray(errs, error_item(small ? "value_smaller_than_min"
                                                        : "value_bigger_than_max",
                                                  message, details, in->name));
        }
        return;
    }
    if (!cJSON_IsString(v)) {
        snprintf(details, sizeof details, "%s", in->name);
        cJSON_AddItemToArray(errs, error_item("invalid_input_type", "Failed to convert an "
                                              "input value to a STRING value", details,
                                              in->name));
        return;
    }
    if (in->kind != K_COMBO)
        return;
    cJSON *options = comfy_combo(inst, in->type);
    if (!in_list(options, v->valuestring)) {
        char *list = cJSON_PrintUnformatted(options);
        bool file = !strcmp(in->type, "input_files");
        snprintf(details, sizeof details, file ? "%s - Invalid image file: %s"
                                               : "%s: '%s' not in %.400s",
                 in->name, v->valuestring, list);
        cJSON_AddItemToArray(errs, error_item(file ? "custom_validation_failed"
                                                   : "value_not_in_list",
                                              file ? "Custom validation failed for node"
                                                   : "Value not in list",
                                              details, in->name));
        cJSON_free(list);
    }
    cJSON_Delete(options);
}

cJSON *comfy_validate(const comfy_installed *inst, const cJSON *graph)
{
    char details[200];
    if (!cJSON_IsObject(graph))
        return answer(error_item("invalid_prompt", "Cannot execute because the prompt is "
                                 "not an object.", "", NULL), NULL);
    const cJSON *n;
    bool outputs = false;
    cJSON_ArrayForEach(n, graph)
    {
        const cJSON *ct = cJSON_GetObjectItemCaseSensitive(n, "class_type");
        snprintf(details, sizeof details, "Node ID '#%s'", n->string);
        if (!cJSON_IsString(ct))
            return answer(error_item("invalid_prompt", "Cannot execute because a node is "
                                     "missing the class_type property.", details, NULL), NULL);
        const comfy_node *node = comfy_node_find(inst, ct->valuestring);
        if (!node) {
            char message[300];
            snprintf(message, sizeof message, "Node '%s' not found. The custom node may not "
                     "be installed.", ct->valuestring);
            cJSON *e = error_item("missing_node_type", message, details, NULL);
            cJSON *extra = cJSON_GetObjectItemCaseSensitive(e, "extra_info");
            cJSON_AddStringToObject(extra, "node_id", n->string);
            cJSON_AddStringToObject(extra, "class_type", ct->valuestring);
            return answer(e, NULL);
        }
        outputs |= node->output_node;
    }
    if (!outputs)
        return answer(error_item("prompt_no_outputs", "Prompt has no outputs", "", NULL), NULL);
    cJSON *node_errors = cJSON_CreateObject();
    cJSON_ArrayForEach(n, graph)
    {
        const comfy_node *node = comfy_node_find(
            inst, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(n, "class_type")));
        const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(n, "inputs");
        cJSON *errs = cJSON_CreateArray();
        for (size_t i = 0; i < COMFY_MAX_INPUTS && node->inputs[i].name; i++)
            check_input(inst, graph, &node->inputs[i],
                        cJSON_GetObjectItemCaseSensitive(inputs, node->inputs[i].name), errs);
        if (!cJSON_GetArraySize(errs)) {
            cJSON_Delete(errs);
            continue;
        }
        cJSON *entry = cJSON_AddObjectToObject(node_errors, n->string);
        cJSON_AddItemToObject(entry, "errors", errs);
        cJSON *deps = cJSON_AddArrayToObject(entry, "dependent_outputs");
        const cJSON *o;
        cJSON_ArrayForEach(o, graph)
        {
            const comfy_node *on = comfy_node_find(
                inst, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "class_type")));
            if (on->output_node)
                cJSON_AddItemToArray(deps, cJSON_CreateString(o->string));
        }
        cJSON_AddStringToObject(entry, "class_type", node->class_type);
    }
    if (!cJSON_GetArraySize(node_errors)) {
        cJSON_Delete(node_errors);
        return NULL;
    }
    char summary[400] = "";
    cJSON_ArrayForEach(n, node_errors)
    {
        const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(n, "errors"), 0);
        size_t len = strlen(summary);
        snprintf(summary + len, sizeof summary - len, "%s%s: %s", len ? "\n" : "",
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message")),
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "details")));
    }
    return answer(error_item("prompt_outputs_failed_validation",
                             "Prompt outputs failed validation", summary, NULL), node_errors);
}
