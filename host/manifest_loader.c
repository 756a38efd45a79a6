/* manifest_loader.c - see manifest_loader.h. */
#include "manifest_loader.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_util.h"
#include "json_parse.h"

/* Error context threaded through the validators. */
typedef struct load_ctx {
    const char *path;
    char *err;
    size_t errsz;
} load_ctx;

__attribute__((format(printf, 2, 3))) static int fail(load_ctx *ctx,
                                                      const char *fmt, ...)
{
    if (ctx->errsz == 0)
        return -1;
    int n = snprintf(ctx->err, ctx->errsz, "%s: ", ctx->path);
    if (n < 0 || (size_t)n >= ctx->errsz)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err + n, ctx->errsz - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *string_member(const cJSON *obj, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
    return s && *s ? s : NULL;
}

/* A required non-empty string member, or NULL after reporting it. */
static const char *require_string(load_ctx *ctx, const cJSON *obj,
                                  const char *where, const char *key)
{
    const char *s = string_member(obj, key);
    if (!s)
        fail(ctx, "%s%s must be a non-empty string", where, key);
    return s;
}

/*
 * Parses one parameter list entry. what names the owner for messages, e.g.
 * "symbol agentos_ext_open".
 */
static int parse_param(load_ctx *ctx, const cJSON *item, const char *what,
                       size_t index, agx_param *out)
{
    if (!cJSON_IsObject(item))
        return fail(ctx, "%s: param %zu must be an object", what, index);
    out->name = string_member(item, "name");
    if (!out->name)
        return fail(ctx, "%s: param %zu has no \"name\"", what, index);
    const char *type = string_member(item, "type");
    if (!type)
        return fail(ctx, "%s: param %zu (%s) has no \"type\"", what, index,
                    out->name);
    out->type = agx_type_find(type);
    if (!out->type)
        return fail(ctx,
                    "%s: param %zu (%s) has unknown type \"%s\" (known: void, "
                    "int32, uint32, int64, pointer, string, string_static, "
                    "string_owned, buffer, callback)",
                    what, index, out->name, type);
    if (!out->type->param_ok)
        return fail(ctx, "%s: param %zu (%s): type \"%s\" is not allowed for "
                         "a parameter", what, index, out->name, type);
    out->callback = NULL;
    if (out->type->kind == AGX_KIND_CALLBACK) {
        out->callback = string_member(item, "callback");
        if (!out->callback)
            return fail(ctx, "%s: param %zu (%s) of type \"callback\" must name "
                             "its signature in \"callback\"", what, index,
                        out->name);
    }
    return 0;
}

/* Parses {"returns": T, "params": [...]} into sig (name already set). */
static int parse_signature(load_ctx *ctx, const cJSON *obj, const char *what,
                           agx_signature *sig)
{
    const char *returns = string_member(obj, "returns");
    if (!returns)
        return fail(ctx, "%s has no \"returns\"", what);
    sig->returns = agx_type_find(returns);
    if (!sig->returns)
        return fail(ctx, "%s: unknown return type \"%s\"", what, returns);
    if (!sig->returns->return_ok)
        return fail(ctx, "%s: type \"%s\" is not allowed as a return type",
                    what, returns);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(obj, "params");
    if (!cJSON_IsArray(params))
        return fail(ctx, "%s: \"params\" must be an array", what);
    int count = cJSON_GetArraySize(params);
    sig->params = calloc((size_t)count + 1, sizeof *sig->params);
    if (!sig->params)
        return fail(ctx, "out of memory");
    sig->nparams = (size_t)count;
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, params)
    {
        if (parse_param(ctx, item, what, i, &sig->params[i]) != 0)
            return -1;
        i++;
    }
    /* A buffer's size is the next argument. */
    for (i = 0; i < sig->nparams; i++) {
        if (strcmp(sig->params[i].type->name, "buffer") != 0)
            continue;
        if (i + 1 >= sig->nparams ||
            strcmp(sig->params[i + 1].type->name, "uint32") != 0)
            return fail(ctx, "%s: param %zu (%s) of type \"buffer\" must be "
                             "followed by its uint32 size", what, i,
                        sig->params[i].name);
    }
    return 0;
}

static int parse_callbacks(load_ctx *ctx, const cJSON *abi, agx_manifest *m)
{
    const cJSON *callbacks = cJSON_GetObjectItemCaseSensitive(abi, "callbacks");
    if (!callbacks)
        return 0;
    if (!cJSON_IsObject(callbacks))
        return fail(ctx, "abi.callbacks must be an object");
    int count = cJSON_GetArraySize(callbacks);
    m->callbacks = calloc((size_t)count + 1, sizeof *m->callbacks);
    if (!m->callbacks)
        return fail(ctx, "out of memory");
    const cJSON *entry;
    cJSON_ArrayForEach(entry, callbacks)
    {
        char what[200];
        snprintf(what, sizeof what, "callback %s", entry->string);
        agx_signature *sig = &m->callbacks[m->ncallbacks++];
        sig->name = entry->string;
        if (!cJSON_IsObject(entry))
            return fail(ctx, "%s must be an object", what);
        if (parse_signature(ctx, entry, what, sig) != 0)
            return -1;
        for (size_t i = 0; i < sig->nparams; i++)
            if (sig->params[i].type->kind == AGX_KIND_CALLBACK)
                return fail(ctx, "%s: param %zu (%s): callbacks cannot take "
                                 "callbacks", what, i, sig->params[i].name);
    }
    return 0;
}

static int parse_symbols(load_ctx *ctx, const cJSON *abi, agx_manifest *m)
{
    const cJSON *symbols = cJSON_GetObjectItemCaseSensitive(abi, "symbols");
    if (!cJSON_IsArray(symbols) || cJSON_GetArraySize(symbols) == 0)
        return fail(ctx, "abi.symbols must be a non-empty array");
    int count = cJSON_GetArraySize(symbols);
    m->symbols = calloc((size_t)count, sizeof *m->symbols);
    if (!m->symbols)
        return fail(ctx, "out of memory");
    const cJSON *entry;
    cJSON_ArrayForEach(entry, symbols)
    {
        size_t index = m->nsymbols;
        agx_signature *sig = &m->symbols[m->nsymbols++];
        if (!cJSON_IsObject(entry))
            return fail(ctx, "abi.symbols[%zu] must be an object", index);
        sig->name = string_member(entry, "name");
        if (!sig->name)
            return fail(ctx, "abi.symbols[%zu] has no \"name\"", index);
        if (agx_manifest_symbol(m, sig->name) != sig)
            return fail(ctx, "symbol %s is declared twice", sig->name);
        char what[200];
        snprintf(what, sizeof what, "symbol %s", sig->name);
        if (parse_signature(ctx, entry, what, sig) != 0)
            return -1;
        for (size_t i = 0; i < sig->nparams; i++) {
            const char *cb = sig->params[i].callback;
            if (cb && !agx_manifest_callback(m, cb))
                return fail(ctx, "symbol %s: param %zu (%s) names callback "
                                 "\"%s\", which abi.callbacks does not declare",
                            sig->name, i, sig->params[i].name, cb);
        }
    }
    return 0;
}

/* versionSymbol must be uint32(void); freeSymbol must be void(pointer). */
static int check_special_symbols(load_ctx *ctx, const agx_manifest *m)
{
    const agx_signature *v = agx_manifest_symbol(m, m->version_symbol);
    if (!v)
        return fail(ctx, "abi.versionSymbol %s is not declared in abi.symbols",
                    m->version_symbol);
    if (v->returns->kind != AGX_KIND_UINT32 || v->nparams != 0)
        return fail(ctx, "abi.versionSymbol %s must be declared as returning "
                         "uint32 with no params", m->version_symbol);
    const agx_signature *f = agx_manifest_symbol(m, m->free_symbol);
    if (!f)
        return fail(ctx, "abi.freeSymbol %s is not declared in abi.symbols",
                    m->free_symbol);
    if (f->returns->kind != AGX_KIND_VOID || f->nparams != 1 ||
        f->params[0].type->kind != AGX_KIND_POINTER)
        return fail(ctx, "abi.freeSymbol %s must be declared as returning void "
                         "with one pointer param", m->free_symbol);
    return 0;
}

static int parse_abi(load_ctx *ctx, agx_manifest *m)
{
    const cJSON *abi = cJSON_GetObjectItemCaseSensitive(m->root, "abi");
    if (!cJSON_IsObject(abi))
        return fail(ctx, "\"abi\" must be an object");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(abi, "version");
    if (!cJSON_IsNumber(version) || version->valuedouble < 1 ||
        version->valuedouble > (double)UINT32_MAX ||
        (double)(long)version->valuedouble != version->valuedouble)
        return fail(ctx, "abi.version must be a positive integer");
    m->abi_version = (long)version->valuedouble;
    if (!(m->library = require_string(ctx, abi, "abi.", "library")) ||
        !(m->version_symbol = require_string(ctx, abi, "abi.", "versionSymbol")) ||
        !(m->free_symbol = require_string(ctx, abi, "abi.", "freeSymbol")))
        return -1;
    if (parse_callbacks(ctx, abi, m) != 0 || parse_symbols(ctx, abi, m) != 0)
        return -1;
    return check_special_symbols(ctx, m);
}

static int parse_document(load_ctx *ctx, const char *text, size_t len,
                          agx_manifest *m)
{
    long offset = 0;
    m->root = agx_json_parse(text, len, &offset);
    if (!m->root)
        return fail(ctx, "not valid JSON (error near byte %ld)", offset);
    if (!cJSON_IsObject(m->root))
        return fail(ctx, "the manifest must be a JSON object");
    if (!(m->id = require_string(ctx, m->root, "", "id")) ||
        !(m->version = require_string(ctx, m->root, "", "version")))
        return -1;
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(m->root, "tools");
    if (tools && !cJSON_IsArray(tools))
        return fail(ctx, "\"tools\" must be an array");
    return parse_abi(ctx, m);
}

static int resolve_paths(load_ctx *ctx, const char *path, agx_manifest *m)
{
    char *real = realpath(path, NULL);
    m->path = real ? real : strdup(path);
    if (!m->path || !(m->dir = agx_path_dirname(m->path)))
        return fail(ctx, "out of memory");
    m->library_path = m->library[0] == '/' ? strdup(m->library)
                                            : agx_path_join(m->dir, m->library);
    if (!m->library_path)
        return fail(ctx, "out of memory");
    return 0;
}

int agx_manifest_load(const char *path, agx_manifest *out, char *err,
                      size_t errsz)
{
    memset(out, 0, sizeof *out);
    load_ctx ctx = {path, err, errsz};
    size_t len = 0;
    char *text = agx_read_file(path, &len);
    if (!text)
        return fail(&ctx, "cannot read the manifest");
    int rc = parse_document(&ctx, text, len, out);
    free(text);
    if (rc == 0)
        rc = resolve_paths(&ctx, path, out);
    if (rc != 0)
        agx_manifest_free(out);
    return rc;
}

static void free_signatures(agx_signature *sigs, size_t count)
{
    for (size_t i = 0; sigs && i < count; i++)
        free(sigs[i].params);
    free(sigs);
}

void agx_manifest_free(agx_manifest *m)
{
    if (!m)
        return;
    free_signatures(m->symbols, m->nsymbols);
    free_signatures(m->callbacks, m->ncallbacks);
    free(m->path);
    free(m->dir);
    free(m->library_path);
    cJSON_Delete(m->root);
    memset(m, 0, sizeof *m);
}

const agx_signature *agx_manifest_symbol(const agx_manifest *m,
                                         const char *name)
{
    for (size_t i = 0; name && i < m->nsymbols; i++)
        if (m->symbols[i].name && !strcmp(m->symbols[i].name, name))
            return &m->symbols[i];
    return NULL;
}

const agx_signature *agx_manifest_callback(const agx_manifest *m,
                                           const char *name)
{
    for (size_t i = 0; name && i < m->ncallbacks; i++)
        if (!strcmp(m->callbacks[i].name, name))
            return &m->callbacks[i];
    return NULL;
}
