/*
 * emulator_core.h - what every loopback provider emulator shares.
 *
 * An emu_server is a libmicrohttpd daemon on 127.0.0.1 (thread per
 * connection, so a held request blocks only its own thread). The core
 * collects each request (JSON/raw bodies up to a cap, multipart/form-data
 * parts with name, filename, content type and bytes), records it in a request
 * log, applies queued faults, serves the control paths, and otherwise hands
 * the request to the provider's handler, which fills an emu_response.
 *
 * Control paths (not part of any provider API, never logged, no auth):
 *   POST   /__emulator/faults    {"path","fault","count","retryAfter","delayMs"}
 *   DELETE /__emulator/faults    drops every queued fault
 *   GET    /__emulator/requests  the request log as a JSON array
 *   DELETE /__emulator/requests  clears the request log
 *
 * Threads: every function may be called from any thread while the server
 * runs, except emu_server_stop, which must be the last call.
 */
#ifndef IG_EMULATOR_CORE_H
#define IG_EMULATOR_CORE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct emu_server emu_server;

/* One multipart/form-data part (all strings NUL-terminated, may be ""). */
typedef struct emu_part {
    char *name;
    char *filename;     /* "" for plain fields */
    char *content_type; /* "" when the part named none */
    unsigned char *data;
    size_t size;        /* data is NUL-terminated one past size */
} emu_part;

typedef enum emu_auth {
    EMU_AUTH_NOT_CHECKED, /* the server was started without an auth header */
    EMU_AUTH_ABSENT,
    EMU_AUTH_MATCHED,
    EMU_AUTH_MISMATCHED,
} emu_auth;

/* A complete request as the handler sees it (borrowed for the call). */
typedef struct emu_request {
    const char *method;
    const char *path;          /* without the query string */
    const char *content_type;  /* "" when absent */
    const unsigned char *body; /* raw body (empty for multipart); NUL-terminated */
    size_t body_size;
    const emu_part *parts;     /* multipart parts in arrival order */
    size_t part_count;
    bool multipart;
    emu_auth auth;
    const char *auth_presented; /* the auth header's value or NULL; never log it */
    void *connection;           /* struct MHD_Connection *, for extra headers */
} emu_request;

#define EMU_MAX_HEADERS 12

/*
 * Takes a connection over after "101 Switching Protocols" (websockets).
 * Runs on the connection's own thread and may block there, reading and
 * writing fd (the raw socket; extra holds bytes the client sent after its
 * request), until it returns; the core then closes the connection. It must
 * return promptly once the emulator stops (the provider tracks that).
 * ctx is the response's upgrade_ctx, which the function owns.
 */
typedef void (*emu_upgrade_fn)(void *ctx, int fd, const char *extra, size_t extra_size);

/* What a handler answers; the core sends and frees it. */
typedef struct emu_response {
    int status;
    emu_upgrade_fn upgrade;    /* set with status 101 to take the connection over */
    void *upgrade_ctx;
    char *content_type;        /* malloc'd; NULL = application/json */
    unsigned char *body;       /* malloc'd */
    size_t size;
    size_t header_count;
    char *header_names[EMU_MAX_HEADERS];  /* malloc'd */
    char *header_values[EMU_MAX_HEADERS]; /* malloc'd */
} emu_response;

typedef enum emu_fault_kind {
    EMU_FAULT_NONE,
    EMU_FAULT_429,
    EMU_FAULT_500,
    EMU_FAULT_502,
    EMU_FAULT_503,
    EMU_FAULT_TIMEOUT,    /* hold until stop (or delay_ms, then answer normally) */
    EMU_FAULT_RESET,      /* close the connection without an answer */
    EMU_FAULT_TRUNCATE,   /* announce Content-Length, send half the real body */
    EMU_FAULT_MALFORMED,  /* 200 with invalid JSON */
    EMU_FAULT_MODERATION, /* the provider's own moderation refusal */
    EMU_FAULT_EXPIRED,    /* a result download that has expired */
    EMU_FAULT_QUOTA,      /* the provider's "no credits / quota left" answer */
    EMU_FAULT_INVALID,    /* the provider's answer to an invalid parameter */
} emu_fault_kind;

typedef struct emu_fault {
    emu_fault_kind kind;
    const char *path; /* exact path, or a prefix up to a '/' ("/v1/__files");
                         NULL or "*" = any non-control path */
    int count;        /* requests it applies to; <= 0 means 1 */
    int retry_after;  /* 429: Retry-After seconds; < 0 = no header */
    int delay_ms;     /* timeout: 0 = hold until stop */
} emu_fault;

/*
 * Provider hooks, all called on connection threads (concurrently):
 * - handler: answers a normal request.
 * - fault_response: fills the provider's body for 429/500/502/503/
 *   moderation/expired/quota/invalid (the core adds Retry-After and
 *   x-ratelimit-* to 429).
 * - error_response: the provider's error shape for errors the core itself
 *   raises (body too large = 413, broken multipart = 400).
 */
typedef void (*emu_handler_fn)(void *ctx, const emu_request *req, emu_response *out);
typedef void (*emu_fault_fn)(void *ctx, const emu_request *req, const emu_fault *fault,
                             emu_response *out);
typedef void (*emu_error_fn)(void *ctx, int status, const char *message,
                             emu_response *out);

typedef struct emu_config {
    int port;                 /* 0 = ephemeral */
    const char *auth_header;  /* e.g. "Authorization"; NULL = no auth check */
    const char *auth_value;   /* the exact expected value, e.g. "Bearer sk-x" */
    size_t max_json_body;     /* non-multipart cap; 0 = 1 MiB */
    size_t max_multipart_body;/* multipart cap; 0 = 64 MiB */
    emu_handler_fn handler;
    emu_fault_fn fault_response;
    emu_error_fn error_response;
    void *ctx;
} emu_config;

/* Starts a server (the config's strings are copied). Returns NULL on failure. */
emu_server *emu_server_start(const emu_config *config);

/* Releases held requests, stops the daemon (joining its threads) and frees
 * everything. NULL is ignored. Returns once every connection has ended. */
void emu_server_stop(emu_server *server);

/* The bound port, and "http://127.0.0.1:<port>" (valid until stop). */
int emu_server_port(const emu_server *server);
const char *emu_server_url(const emu_server *server);

/* Queues a fault (copied). Faults for the same path apply in queue order.
 * Returns 0, or -1 on a bad fault. */
int emu_fault_push(emu_server *server, const emu_fault *fault);
/* Drops every queued fault. */
void emu_fault_clear(emu_server *server);
/* "429", "500", "502", "503", "timeout", "reset", "truncate", "malformed",
 * "moderation", "expired", "quota", "invalid" <-> kind (EMU_FAULT_NONE when unknown). */
emu_fault_kind emu_fault_kind_from_name(const char *name);
const char *emu_fault_kind_name(emu_fault_kind kind);

/* Requests logged so far for path (exact), or for all paths if NULL. */
size_t emu_request_count(emu_server *server, const char *path);
/* Blocks until at least n requests for path (NULL = any) are logged or
 * timeout_ms passes. Returns 0 when reached, -1 on timeout. */
int emu_wait_requests(emu_server *server, const char *path, size_t n, int timeout_ms);
/* The request log as a cJSON array (caller frees): [{method, path,
 * contentType, userAgent, accept, idempotencyKey, auth ("not_checked"|
 * "absent"|"matched"|"mismatched"), bodySize, parts:[{name, filename,
 * contentType, size}], status (0 while unanswered), fault (or null)}]. */
cJSON *emu_request_log(emu_server *server);
void emu_request_log_clear(emu_server *server);

/* --- response helpers for handlers (abort on out of memory) --- */

/* Sets status + a JSON body (printed compactly; `json` is freed). */
void emu_respond_json(emu_response *out, int status, cJSON *json);
/* Sets status + a copy of the bytes with a content type. */
void emu_respond_bytes(emu_response *out, int status, const char *content_type,
                       const void *data, size_t size);
/* Adds a header (copied); silently ignored past EMU_MAX_HEADERS. */
void emu_response_header(emu_response *out, const char *name, const char *value);
/* Frees what a response owns and zeroes it. */
void emu_response_clear(emu_response *out);

/* The first part named `name`, or NULL. */
const emu_part *emu_find_part(const emu_request *req, const char *name);

#endif
