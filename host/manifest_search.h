/*
 * manifest_search.h - find <name>.ext.json on the extension search path.
 *
 * Search order: each directory of $AGENTOS_EXTENSIONS_PATH (colon-separated,
 * empty entries skipped), then <directory of this executable>/extensions,
 * then IG_HOST_INSTALL_EXT_PATH (<libdir>/agentos/extensions). In each
 * directory, <dir>/<name>.ext.json and then <dir>/<name>/<name>.ext.json.
 * Reads the environment and /proc/self/exe; call from one thread at a time
 * with respect to setenv.
 */
#ifndef AGX_MANIFEST_SEARCH_H
#define AGX_MANIFEST_SEARCH_H

#include <stddef.h>

/*
 * Finds the manifest of extension `name`. A name containing '/' is taken as
 * the path of a manifest file itself (no search). argv0 is used to locate
 * the executable when /proc/self/exe is unavailable (may be NULL).
 * Returns a malloc'd path (the caller frees it), or NULL with a message
 * listing every place searched in err (size errsz).
 */
char *agx_manifest_find(const char *name, const char *argv0, char *err,
                        size_t errsz);

/* True when name can be an extension id: non-empty, no '/', not "." or "..". */
int agx_extension_name_ok(const char *name);

#endif
