/*
 * redact.h - keeps secrets out of every string that leaves the extension.
 *
 * A redactor knows the secret values in force for an instance (API keys from
 * the config and from the providers' environment variables, captured at
 * open) and replaces each occurrence with "[REDACTED]". Results, errors, log
 * lines, progress and events all pass through it, and so do a call's tool
 * name and arguments before anything can shorten them (a secret cut in half
 * no longer matches). Immutable after creation; any thread.
 */
#ifndef IG_REDACT_H
#define IG_REDACT_H

#include "core/config.h"

typedef struct ig_redactor ig_redactor;

/* Collects the secrets of config + environment. NULL on out of memory. */
ig_redactor *ig_redactor_new(const ig_config *config);
void ig_redactor_free(ig_redactor *r);

/* Adds one more secret value (copied). Only before sharing between threads.
 * Values shorter than 6 characters are ignored: too short to be a key and
 * redacting them would mangle ordinary text. */
void ig_redactor_add(ig_redactor *r, const char *secret);

/*
 * Returns a malloc'd copy of text with every secret replaced; NULL when text
 * is NULL or memory is exhausted. r may be NULL (plain copy).
 */
char *ig_redact(const ig_redactor *r, const char *text);

#endif
