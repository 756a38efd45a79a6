/*
 * catalog.h - the providers this extension knows, as data.
 *
 * One row per provider: its id (as used in tool arguments and config), the
 * environment variables that configure it, and the operations its real API
 * offers. Whether a backend is compiled in is separate (backends.h): the
 * provider issues add backends one by one. Immutable; any thread.
 */
#ifndef IG_CATALOG_H
#define IG_CATALOG_H

#include <stdbool.h>

typedef enum ig_provider_id {
    IG_PROVIDER_OPENAI,
    IG_PROVIDER_STABILITY,
    IG_PROVIDER_BFL,
    IG_PROVIDER_FAL,
    IG_PROVIDER_REPLICATE,
    IG_PROVIDER_OPENROUTER,
    IG_PROVIDER_SD_LOCAL,
    IG_PROVIDER_LOCAL,
    IG_PROVIDER_COUNT
} ig_provider_id;

/* The five operations, one per tool. */
typedef enum ig_operation {
    IG_OP_GENERATE,
    IG_OP_EDIT,
    IG_OP_UPSCALE,
    IG_OP_VARIATE,
    IG_OP_TRANSFER_STYLE,
    IG_OP_COUNT
} ig_operation;

#define IG_OP_BIT(op) (1u << (op))

typedef struct ig_provider_info {
    ig_provider_id id;
    const char *name;          /* "openai": the id in arguments and config */
    const char *display_name;  /* "OpenAI" */
    const char *key_env;       /* env var holding its key, or NULL */
    const char *base_url_env;  /* env var overriding its base URL, or NULL */
    bool needs_key;            /* configured by key (else by base URL / always) */
    unsigned operations;       /* IG_OP_BIT()s its API offers */
} ig_provider_info;

/* Row for id; id must be < IG_PROVIDER_COUNT. */
const ig_provider_info *ig_provider(ig_provider_id id);

/* Whether provider id's API offers op. */
bool ig_provider_offers(ig_provider_id id, ig_operation op);

/* Looks a provider up by name; returns -1 when unknown. */
int ig_provider_find(const char *name);

/* "generate", "edit", ...: the operation's short name. */
const char *ig_operation_name(ig_operation op);

#endif
