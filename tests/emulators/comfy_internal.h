/* comfy_internal.h - state shared by the ComfyUI emulator's files. */
#ifndef IG_COMFY_INTERNAL_H
#define IG_COMFY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "emulators/comfy_emulator.h"

/* --- node catalogue (comfy_nodes.c) --- */

typedef enum comfy_kind { K_LINK, K_INT, K_FLOAT, K_STRING, K_COMBO } comfy_kind;

typedef struct comfy_input {
    const char *name;
    comfy_kind kind;
    const char *type;  /* link type ("MODEL") or the combo's list name */
    double min, max, def;
} comfy_input;

#define COMFY_MAX_INPUTS 12

typedef struct comfy_node {
    const char *class_type;
    const char *category;
    bool output_node;
    bool ipadapter; /* a ComfyUI_IPAdapter_plus node */
    const char *outputs[3];
    comfy_input inputs[COMFY_MAX_INPUTS];
} comfy_node;

/* What the emulated server has installed (read under the emulator lock). */
typedef struct comfy_installed {
    bool upscalers, ipadapter;
    cJSON *inputs; /* array of uploaded input names (borrowed) */
} comfy_installed;

/* The node named class_type, or NULL (IP-Adapter nodes only when
 * installed). */
const comfy_node *comfy_node_find(const comfy_installed *inst, const char *class_type);
/* The options of combo list `list` (caller deletes). */
cJSON *comfy_combo(const comfy_installed *inst, const char *list);
/* GET /object_info[/class] (class NULL = every node). */
cJSON *comfy_object_info(const comfy_installed *inst, const char *class_type);
/* The enlargement factor of an upscale model name (2 or 4). */
int comfy_upscale_factor(const char *model_name);

/* --- validation (comfy_validate.c) --- */

/* NULL when graph is valid, else the 400 body {error, node_errors}. */
cJSON *comfy_validate(const comfy_installed *inst, const cJSON *graph);

/* --- the emulator (comfy_emulator.c, comfy_queue.c, comfy_ws.c) --- */

typedef struct comfy_upload {
    char name[256];
    unsigned char *data;
    size_t size;
    int width, height; /* 0 when not an image */
} comfy_upload;

typedef struct comfy_output {
    char filename[160];
    int width, height;
    unsigned seed;
} comfy_output;

typedef struct comfy_job {
    char id[40];
    int number;
    char client_id[128];
    cJSON *graph;         /* NULL for a foreign prompt */
    int steps, done;      /* sampler progress */
    bool fail;            /* ends in execution_error */
    bool running, started_sent;
} comfy_job;

#define COMFY_MAX_JOBS 64
#define COMFY_MAX_UPLOADS 64
#define COMFY_MAX_OUTPUTS 256
#define COMFY_MAX_EVENTS 256

struct comfy_emulator {
    emu_server *server;
    pthread_mutex_t lock;
    char base_url[64];
    int steps, fail_next, next_number;
    bool upscalers, ipadapter;
    comfy_job jobs[COMFY_MAX_JOBS]; /* queue: running first, then pending */
    int job_count;
    cJSON *history;                 /* {id: entry} */
    cJSON *events;                  /* [{client_id, frame}] not yet sent */
    comfy_upload uploads[COMFY_MAX_UPLOADS];
    int upload_count;
    comfy_output outputs[COMFY_MAX_OUTPUTS];
    int output_count;
    cJSON *last_graph;
    int prompts, deleted, interrupted, uploads_made;
    long event_seq;                  /* numbers events for websockets */
    int ws_open;                     /* websocket sessions running */
    bool ws_stopping;
    pthread_cond_t ws_ended;
};

/* Under the lock: advances the running prompt one step (queues the
 * websocket frames of what happened). */
void comfy_tick(comfy_emulator *emu);
/* Under the lock: queues a validated graph; fills id and number. */
void comfy_enqueue(comfy_emulator *emu, const cJSON *graph, const char *client_id,
                   bool fail, char *id, int *number);
/* Under the lock: GET /queue's body. */
cJSON *comfy_queue_json(comfy_emulator *emu);
/* Under the lock: removes pending prompts (ids NULL = all); the count. */
int comfy_delete(comfy_emulator *emu, const cJSON *ids);
/* Under the lock: interrupts the running prompt (when prompt_id is NULL or
 * names it); whether one was. */
bool comfy_interrupt(comfy_emulator *emu, const char *prompt_id);
/* Under the lock: frees every job. */
void comfy_jobs_free(comfy_emulator *emu);
/* Under the lock: queues a websocket frame for client_id (NULL = all). */
void comfy_event(comfy_emulator *emu, const char *client_id, const char *type, cJSON *data);
/* Under the lock: the status frame's data {status: {exec_info}}. */
cJSON *comfy_status_data(comfy_emulator *emu);

/* The websocket route (comfy_ws.c): answers GET /ws with the upgrade. */
void comfy_ws_route(comfy_emulator *emu, const emu_request *req, emu_response *out);
/* Closes every websocket and joins their threads (at stop). */
void comfy_ws_stop(comfy_emulator *emu);

#endif
