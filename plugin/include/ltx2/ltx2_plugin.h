/*
 * ltx2_plugin.h — the public C ABI of the LTX-2 node plugin.
 *
 * This is the only header a host (node-graph editor, host-sim, tests) compiles
 * against. C11, no dependencies beyond <stdint.h>/<stddef.h>.
 *
 * Loading
 *   The plugin exports exactly one symbol, LTX2_ENTRY_SYMBOL ("ltx2_plugin_entry").
 *   The host fills an ltx2_host_api and calls it; the plugin answers with an
 *   ltx2_plugin table, or refuses with LTX2_ERR_VERSION when the host's ABI major
 *   differs from the plugin's. Each call to the entry creates an independent plugin
 *   instance (its own registry and thread pool); plugin->unload(plugin) frees it.
 *
 * Versioning
 *   Every struct crossing the boundary begins with `uint32_t struct_size`. A minor
 *   version only appends fields at the end of structs and functions at the end of
 *   tables; readers check struct_size before touching a field added later
 *   (LTX2_HAS_FIELD). A different major is incompatible and is refused.
 *
 * Values and ownership
 *   - Tensors (ltx2_tensor) and objects (ltx2_object) are opaque and refcounted.
 *     They are created with one reference; retain/release through the plugin table.
 *   - Inputs passed to execute() are BORROWED for the duration of the call and are
 *     IMMUTABLE: a node never writes into an input tensor or object. A node that
 *     keeps an input beyond the call retains it.
 *   - Outputs written by execute() MOVE one reference to the host. A node that
 *     returns one of its inputs retains it first. Output strings are allocated by
 *     the plugin; the host frees any output value with plugin->value_release().
 *   - Tensor data may be owned by the heap or by a memory-mapped file (weights);
 *     either way it lives as long as the tensor has a reference.
 *   - Strings given to the plugin are valid for the call only; strings returned in
 *     descriptors live as long as the plugin instance.
 *
 * Errors
 *   Functions return ltx2_status. Inside execute()/validate() a node reports the
 *   cause with ctx->set_error(ctx, code, input_name, message), naming the input
 *   when one is at fault. LTX2_CANCELLED is not an error: the node unwound because
 *   the host asked it to stop.
 *
 * Progress and cancellation
 *   Long loops call ctx->progress(value, max, phase); it returns LTX2_CANCELLED
 *   once the host wants the run stopped, and the node then releases what it made
 *   and returns LTX2_CANCELLED. Tight loops may poll *ctx->cancel_flag instead.
 *
 * Devices (ABI 1.2)
 *   A tensor lives on the CPU or on CUDA device N (ltx2_tensor_desc.device and
 *   .device_index); a device tensor's data pointer is device memory, never read on
 *   the host. A host that wants a node on a GPU sets ctx->device/device_index for a
 *   node type flagged LTX2_NODE_CUDA; the node then takes and returns device tensors.
 *   Everything else runs on the CPU. A 1.0/1.1 host's ctx has no device field: nodes
 *   run on the CPU and return CPU tensors. Device tensors reach the host's memory only
 *   through tensor_copy_to / tensor_read. The CUDA backend is a module beside the
 *   plugin (libltx2cuda.so, or $LTX2_CUDA_MODULE); without it, a driver or a GPU,
 *   device_count(LTX2_DEVICE_CUDA) is 0 and device requests fail with
 *   LTX2_ERR_UNSUPPORTED ("CUDA backend not available: <why>").
 */
#ifndef LTX2_PLUGIN_H
#define LTX2_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LTX2_ABI_MAJOR 1u
#define LTX2_ABI_MINOR 2u

#if defined(_WIN32)
#define LTX2_EXPORT __declspec(dllexport)
#else
#define LTX2_EXPORT __attribute__((visibility("default")))
#endif

/* True when a struct of the given size contains `field` (minor-version check). */
#define LTX2_HAS_FIELD(ptr, type, field) \
    ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* ---------------------------------------------------------------- status */
typedef int32_t ltx2_status;
enum {
    LTX2_OK = 0,
    LTX2_CANCELLED = 1,         /* cooperative cancel honoured: not an error */
    LTX2_ERR_FAILED = 10,       /* generic failure */
    LTX2_ERR_BAD_INPUT = 11,    /* shape / dtype / range / missing value in an input */
    LTX2_ERR_OOM = 12,          /* allocation failed */
    LTX2_ERR_IO = 13,           /* file missing, unreadable, corrupt, LFS pointer */
    LTX2_ERR_UNSUPPORTED = 14,  /* dtype, device or feature not supported */
    LTX2_ERR_VERSION = 15,      /* ABI major mismatch */
    LTX2_ERR_INTERNAL = 16      /* a bug: invariant broken */
};

/* ---------------------------------------------------------------- tensors */
typedef enum ltx2_dtype {
    LTX2_F32 = 0,
    LTX2_F16 = 1,
    LTX2_BF16 = 2,
    LTX2_F8_E4M3 = 3,
    LTX2_F8_E5M2 = 4,
    LTX2_I64 = 5,
    LTX2_I32 = 6,
    LTX2_U8 = 7,
    LTX2_DTYPE_COUNT
} ltx2_dtype;

typedef enum ltx2_device { LTX2_DEVICE_CPU = 0, LTX2_DEVICE_CUDA = 1 } ltx2_device;

typedef enum ltx2_owner {
    LTX2_OWNER_HEAP = 0,   /* plugin-allocated buffer */
    LTX2_OWNER_MAPPED = 1, /* slice of a memory-mapped file (weights) */
    LTX2_OWNER_VIEW = 2    /* view on another tensor's storage */
} ltx2_owner;

#define LTX2_MAX_DIMS 8

typedef struct ltx2_tensor ltx2_tensor; /* opaque, refcounted */
typedef struct ltx2_object ltx2_object; /* opaque, refcounted */

/* A read-only description of a tensor (DLPack-like). Strides are in elements. */
typedef struct ltx2_tensor_desc {
    uint32_t struct_size;
    int32_t dtype;  /* ltx2_dtype */
    int32_t device; /* ltx2_device */
    int32_t owner;  /* ltx2_owner */
    int32_t ndim;
    int64_t shape[LTX2_MAX_DIMS];
    int64_t strides[LTX2_MAX_DIMS];
    void *data; /* first element (device memory when device != CPU) */
    /* ABI 1.2: the device's ordinal (0 on the CPU). */
    int32_t device_index;
} ltx2_tensor_desc;

/* ---------------------------------------------------------------- values on ports */
typedef enum ltx2_value_kind {
    LTX2_V_NONE = 0, /* optional input not connected / no value */
    LTX2_V_INT = 1,
    LTX2_V_FLOAT = 2,
    LTX2_V_BOOL = 3,
    LTX2_V_STRING = 4,
    LTX2_V_TENSOR = 5,
    LTX2_V_OBJECT = 6
} ltx2_value_kind;

typedef struct ltx2_value {
    int32_t kind; /* ltx2_value_kind */
    int32_t reserved;
    union {
        int64_t i;
        double f;
        int32_t b;
        const char *s;
        ltx2_tensor *t;
        ltx2_object *o;
    } u;
} ltx2_value;

/* ---------------------------------------------------------------- node descriptors */
enum ltx2_port_flags {
    LTX2_PORT_OPTIONAL = 1u << 0,  /* may be left out: the host passes the default, or NONE without one */
    LTX2_PORT_MULTILINE = 1u << 1, /* STRING shown as a text box */
    LTX2_PORT_SEED = 1u << 2,      /* INT used as a random seed */
    LTX2_PORT_ADVANCED = 1u << 3,  /* hidden by default in an editor */
    LTX2_PORT_FILE = 1u << 4,      /* STRING that names a file to read */
    /* A file of the host's input folder picked with an upload button (ComfyUI's
     * image_upload/video_upload/audio_upload). An editor's saved workflow keeps one
     * extra widgets_values slot after such an input. */
    LTX2_PORT_UPLOAD = 1u << 5
};

typedef struct ltx2_port {
    uint32_t struct_size;
    uint32_t flags;          /* ltx2_port_flags */
    const char *name;        /* input/output name, e.g. "frame_rate" */
    const char *type;        /* "INT","FLOAT","BOOLEAN","STRING","COMBO","LATENT",... */
    const char *tooltip;     /* may be NULL */
    ltx2_value def;          /* default (kind NONE when absent) */
    ltx2_value min, max, step; /* numeric bounds (kind NONE when absent) */
    const char *const *options; /* COMBO options, NULL-terminated; NULL otherwise */
} ltx2_port;

enum ltx2_node_flags {
    LTX2_NODE_OUTPUT = 1u << 0,       /* an output node: the host runs its ancestors */
    LTX2_NODE_CANCELLABLE = 1u << 1,  /* honours cancellation inside execute */
    LTX2_NODE_PROGRESS = 1u << 2,     /* reports progress */
    LTX2_NODE_EXPERIMENTAL = 1u << 3,
    LTX2_NODE_DEPRECATED = 1u << 4,
    /* ABI 1.2: runs on a CUDA device when ctx->device asks for one (inputs are copied
     * there as needed; outputs stay on the device). Without the flag a node runs on the
     * CPU whatever the ctx says. */
    LTX2_NODE_CUDA = 1u << 5
};

typedef struct ltx2_plugin ltx2_plugin;
typedef struct ltx2_exec_ctx ltx2_exec_ctx;

typedef struct ltx2_node_type {
    uint32_t struct_size;
    uint32_t node_version; /* bumped when the meaning of a port changes */
    uint64_t flags;        /* ltx2_node_flags */
    const char *class_type; /* unique class name, e.g. "LTX2SaveTensors" */
    const char *display_name;
    const char *category;   /* e.g. "ltx2/io" */
    const char *description;
    const ltx2_port *inputs;
    uint32_t n_inputs;
    const ltx2_port *outputs;
    uint32_t n_outputs;

    /* Lifecycle. init creates one instance per graph node; execute may be called
     * several times on it (never concurrently); free releases it. */
    ltx2_status (*init)(const ltx2_plugin *plugin, const struct ltx2_node_type *type,
                        void **out_instance);
    ltx2_status (*execute)(void *instance, ltx2_exec_ctx *ctx,
                           const ltx2_value *inputs, /* n_inputs, borrowed */
                           ltx2_value *outputs);     /* n_outputs, moved to host */
    void (*free)(void *instance);
    /* Optional: checks inputs without running (NULL = nothing beyond the ports). */
    ltx2_status (*validate)(const struct ltx2_node_type *type, ltx2_exec_ctx *ctx,
                            const ltx2_value *inputs);
    /* Appended (read with LTX2_HAS_FIELD): NULL, or n_inputs entries naming the
     * model folder kind a FILE input's value is a name in, as ComfyUI's folder_paths
     * ("checkpoints", "text_encoders", "loras", "vae", "latent_upscale_models";
     * "input" for the host's input folder); NULL entries for other inputs. A host
     * with model folders resolves a relative name there; others take it as a path. */
    const char *const *input_folders;
} ltx2_node_type;

/* ---------------------------------------------------------------- per-call context */
enum ltx2_log_level { LTX2_LOG_DEBUG = 0, LTX2_LOG_INFO = 1, LTX2_LOG_WARN = 2, LTX2_LOG_ERROR = 3 };

/* Filled by the host for each execute()/validate() call. */
struct ltx2_exec_ctx {
    uint32_t struct_size;
    const char *node_id;    /* the graph's node id, for messages */
    const char *class_type;
    void *host_data;        /* opaque to the plugin */
    const volatile int32_t *cancel_flag; /* nonzero once cancel was requested; never NULL */
    /* Returns LTX2_CANCELLED once the run must stop, LTX2_OK otherwise. */
    ltx2_status (*progress)(ltx2_exec_ctx *ctx, double value, double max, const char *phase);
    void (*log)(ltx2_exec_ctx *ctx, int32_t level, const char *message);
    /* Records the error of this call; input_name may be NULL. The host copies. */
    void (*set_error)(ltx2_exec_ctx *ctx, ltx2_status code, const char *input_name,
                      const char *message);
    /* ABI 1.1: bit i set = output i has a consumer in this run. A node may skip
     * building an output whose bit is clear (leave it NONE). Hosts that cannot tell
     * set every bit; a 1.0 host's struct lacks the field (see ltx2 node helpers). */
    uint64_t outputs_wanted;
    /* ABI 1.2: where the node runs. device is an ltx2_device; a node type without
     * LTX2_NODE_CUDA ignores it and runs on the CPU. device_index is the CUDA ordinal.
     * stream is the device stream to order work on, NULL = the plugin's own stream for
     * that device (the only value this plugin accepts today). A host leaves all three
     * zero for the CPU. */
    int32_t device;
    int32_t device_index;
    void *stream;
    /* ABI 1.2, appended (check LTX2_HAS_FIELD): device memory in bytes (all of this plugin
     * instance's allocations on that device, other models included) the node may plan
     * for; 0 = the device's budget (ltx2_host_api.vram_budget). The smaller of the two
     * applies. A model node places its weights with it before any work: resident when the
     * weights and the run's activations fit, else streamed (the transformer's blocks live
     * in pinned host memory and pass through device slots during each forward), else the
     * execute fails with LTX2_ERR_OOM naming the node, what needs the memory and the
     * bytes. The first run of a model on a device decides its residency; later runs only
     * check that their activations fit. Ignored by nodes running on the CPU. */
    uint64_t vram_budget;
};

/* ---------------------------------------------------------------- host → plugin */
typedef struct ltx2_host_api {
    uint32_t struct_size;
    uint16_t abi_major, abi_minor; /* the ABI the host was compiled against */
    const char *host_name;
    const char *host_version;
    int32_t num_threads; /* compute threads the plugin may use; 0 = one per core */
    void *host_data;     /* passed back to log() */
    /* Plugin-level log, outside any node call (may be NULL). */
    void (*log)(void *host_data, int32_t level, const char *message);
    /* ABI 1.2: device memory (bytes) the plugin may allocate on each CUDA device it
     * uses; 0 = all the memory free when the device is first used. Running past it is
     * an LTX2_ERR_OOM naming the node and the bytes needed. */
    uint64_t vram_budget;
} ltx2_host_api;

/* ABI 1.2: what device_info reports about one device. */
typedef struct ltx2_device_info {
    uint32_t struct_size;  /* set by the caller */
    char name[256];        /* "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)"; "CPU" */
    uint64_t total_bytes;  /* memory of the card (0 for the CPU) */
    uint64_t budget_bytes; /* what the plugin may use (vram_budget, or the free memory) */
    uint64_t in_use_bytes; /* allocated now by this plugin instance */
    uint64_t peak_bytes;   /* most allocated at once since the device was opened */
    /* Appended (check LTX2_HAS_FIELD): the residency the last model placed on the device
     * chose, e.g. "transformer resident, 35.18 GiB of weights" or "transformer streamed: 15
     * of 48 blocks resident + 4 slots of 0.72 GiB, 23.73 GiB uploaded per pass"; "" when
     * no model planned one. */
    char residency[256];
} ltx2_device_info;

/* ---------------------------------------------------------------- plugin → host */
struct ltx2_plugin {
    uint32_t struct_size;
    uint16_t abi_major, abi_minor; /* the ABI the plugin was compiled against */
    const char *plugin_id;         /* reverse-DNS identity */
    const char *plugin_version;    /* "MAJOR.MINOR.PATCH" */
    uint32_t n_node_types;
    const ltx2_node_type *const *node_types;
    void *self; /* plugin-private state; hosts never touch it */

    /* Frees this instance. Every tensor/object handed out must be released first. */
    void (*unload)(ltx2_plugin *plugin);
    /* Changes the compute thread count (0 = one per core). Not during execute. */
    ltx2_status (*set_num_threads)(ltx2_plugin *plugin, int32_t n);

    /* Handles. */
    void (*tensor_retain)(ltx2_tensor *t);
    void (*tensor_release)(ltx2_tensor *t);
    void (*tensor_describe)(const ltx2_tensor *t, ltx2_tensor_desc *out);
    /* Creates a contiguous CPU tensor; data == NULL leaves it zeroed. */
    ltx2_status (*tensor_create)(int32_t dtype, int32_t ndim, const int64_t *shape,
                                 const void *data, ltx2_tensor **out);

    void (*object_retain)(ltx2_object *o);
    void (*object_release)(ltx2_object *o);
    const char *(*object_type)(const ltx2_object *o); /* "LATENT", "MODEL", ... */
    uint32_t (*object_count)(const ltx2_object *o);
    /* i-th entry: key and a borrowed value (valid while the object lives). */
    ltx2_status (*object_entry)(const ltx2_object *o, uint32_t i, const char **key,
                                ltx2_value *value);
    /* Borrowed value of a key; kind NONE when absent. */
    ltx2_value (*object_get)(const ltx2_object *o, const char *key);
    /* JSON metadata attached to the object (never NULL; "{}" when empty). */
    const char *(*object_metadata)(const ltx2_object *o);

    /* Releases whatever reference or allocation an output value carries and sets it
     * to NONE. */
    void (*value_release)(ltx2_value *v);

    /* ---- ABI 1.2: devices (check LTX2_HAS_FIELD(plugin, ltx2_plugin, ...) first). */
    /* Number of usable devices of a kind: 1 for LTX2_DEVICE_CPU, the CUDA devices the
     * backend module sees for LTX2_DEVICE_CUDA (0 when it, a driver or a GPU is
     * missing), 0 for anything else. Never fails. */
    int32_t (*device_count)(ltx2_plugin *plugin, int32_t device);
    /* Opens the device (CUDA: on first use, with the host's vram_budget) and fills
     * *out (out->struct_size set by the caller; fields past it are left alone).
     * LTX2_OK; LTX2_ERR_UNSUPPORTED for an unknown device or an unusable backend
     * ("CUDA backend not available: <why>"); LTX2_ERR_BAD_INPUT for an ordinal that does
     * not exist; LTX2_ERR_FAILED when the device fails to start. error (may be NULL)
     * receives the reason of any failure. */
    ltx2_status (*device_info)(ltx2_plugin *plugin, int32_t device, int32_t device_index,
                               ltx2_device_info *out, char *error, size_t error_size);
    /* tensor_create on a device: a contiguous tensor with data (host memory, the
     * tensor's bytes row-major) copied in, or zeroed when data is NULL. LTX2_DEVICE_CPU
     * is tensor_create. Errors as device_info, LTX2_ERR_BAD_INPUT for a bad dtype or
     * shape, LTX2_ERR_OOM past the budget. *out is NULL on failure. */
    ltx2_status (*tensor_create_on)(ltx2_plugin *plugin, int32_t device, int32_t device_index,
                                    int32_t dtype, int32_t ndim, const int64_t *shape,
                                    const void *data, ltx2_tensor **out);
    /* A contiguous copy of t on the device (t retained instead when it already is a
     * contiguous tensor there). Copies to a device wait until t's bytes were read;
     * copies to the CPU wait for the data. Errors as tensor_create_on. */
    ltx2_status (*tensor_copy_to)(ltx2_plugin *plugin, ltx2_tensor *t, int32_t device,
                                  int32_t device_index, ltx2_tensor **out);
    /* Copies t's elements, row-major and contiguous, into host memory dst of dst_size
     * bytes, wherever t lives; waits for the data. LTX2_ERR_BAD_INPUT when dst_size is
     * less than the tensor's bytes (nothing written); LTX2_ERR_OOM / LTX2_ERR_FAILED
     * when the staging copy or the device fails. */
    ltx2_status (*tensor_read)(ltx2_plugin *plugin, ltx2_tensor *t, void *dst, size_t dst_size);
};

/* The single exported entry point. On success *out stays valid until unload(). */
typedef ltx2_status (*ltx2_plugin_entry_fn)(const ltx2_host_api *host, ltx2_plugin **out,
                                            char *error, size_t error_size);
#define LTX2_ENTRY_SYMBOL "ltx2_plugin_entry"
LTX2_EXPORT ltx2_status ltx2_plugin_entry(const ltx2_host_api *host, ltx2_plugin **out,
                                          char *error, size_t error_size);

#ifdef __cplusplus
}
#endif
#endif /* LTX2_PLUGIN_H */
