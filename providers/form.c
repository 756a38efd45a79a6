/* form.c - multipart bodies (see form.h). */
#include "providers/form.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/result.h"

/* The next free part, or NULL (and overflow set) when the form is full. */
static ig_http_part *next_part(ig_form *form)
{
    if (form->n_parts >= IG_FORM_MAX_PARTS) {
        form->overflow = true;
        return NULL;
    }
    return &form->parts[form->n_parts++];
}

void ig_form_text(ig_form *form, const char *name, const char *fmt, ...)
{
    ig_http_part *part = form->n_text < IG_FORM_MAX_PARTS ? next_part(form) : NULL;
    if (!part) {
        form->overflow = true;
        return;
    }
    char *slot = form->text[form->n_text++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(slot, sizeof form->text[0], fmt, ap);
    va_end(ap);
    *part = (ig_http_part){.name = name, .value = slot};
}

void ig_form_text_ref(ig_form *form, const char *name, const char *value)
{
    ig_http_part *part = next_part(form);
    if (part)
        *part = (ig_http_part){.name = name, .value = value};
}

void ig_form_file(ig_form *form, const char *name, const unsigned char *data, size_t size,
                  const char *mime)
{
    ig_http_part *part = form->n_filenames < IG_FORM_MAX_PARTS ? next_part(form) : NULL;
    if (!part) {
        form->overflow = true;
        return;
    }
    char *filename = form->filenames[form->n_filenames++];
    const char *ext = strchr(mime, '/') ? strchr(mime, '/') + 1 : "png";
    snprintf(filename, sizeof form->filenames[0], "%s.%s", name, ext);
    *part = (ig_http_part){.name = name, .data = data, .size = size, .filename = filename,
                           .content_type = mime};
}

ig_http_part *ig_form_find(ig_form *form, const char *name)
{
    for (size_t i = 0; i < form->n_parts; i++)
        if (form->parts[i].value && !strcmp(form->parts[i].name, name))
            return &form->parts[i];
    return NULL;
}

void ig_options_warn_replaced(cJSON *result, const char *provider, const char *key)
{
    char field[64];
    snprintf(field, sizeof field, "providerOptions.%s", provider);
    ig_result_warn(result, field, "\"%s\" replaced the value the extension chose "
                   "(applied does not show it)", key);
}

void ig_form_add_options(ig_form *form, const ig_request *req, const char *provider,
                         cJSON *result)
{
    char field[64];
    snprintf(field, sizeof field, "providerOptions.%s", provider);
    const cJSON *options = cJSON_GetObjectItemCaseSensitive(req->provider_options, provider);
    const cJSON *opt;
    cJSON_ArrayForEach(opt, options)
    {
        ig_http_part *ours = ig_form_find(form, opt->string);
        if (ours) {
            ig_options_warn_replaced(result, provider, opt->string);
            ours->name = ""; /* dropped: compacted away below */
        }
        if (cJSON_IsString(opt))
            ig_form_text_ref(form, opt->string, opt->valuestring);
        else if (cJSON_IsNumber(opt))
            ig_form_text(form, opt->string, "%.17g", opt->valuedouble);
        else if (cJSON_IsBool(opt))
            ig_form_text_ref(form, opt->string, cJSON_IsTrue(opt) ? "true" : "false");
        else
            ig_result_warn(result, field, "ignored \"%s\": only strings, numbers and "
                           "booleans can be sent as form fields", opt->string);
    }
    /* Compact away replaced parts; their storage slots stay where they are. */
    size_t kept = 0;
    for (size_t i = 0; i < form->n_parts; i++)
        if (form->parts[i].name[0])
            form->parts[kept++] = form->parts[i];
    form->n_parts = kept;
}
