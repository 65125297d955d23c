/* store.h — the checkpoint store: safetensors files memory-mapped (never copied),
 * validated strictly, shared when opened twice, sharded checkpoints read through
 * their *.safetensors.index.json, and the `__metadata__` (LTX-2 `config`) exposed. */
#ifndef LTX2_STORE_H
#define LTX2_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "kernels.h"
#include "tensor.h"

struct json_object;
typedef struct ltx2_store ltx2_store;
typedef struct ltx2_checkpoint ltx2_checkpoint;

/* One tensor entry of a checkpoint; data points into the mapping. */
typedef struct ltx2_st_tensor {
    const char *name;
    ltx2_dtype dtype;
    int ndim;
    int64_t shape[LTX2_MAX_DIMS];
    const void *data;
    size_t nbytes;
} ltx2_st_tensor;

/* The store of one plugin instance (thread-safe). Files opened through it twice
 * (same device+inode) share one mapping. */
ltx2_store *ltx2_store_new(void);
void ltx2_store_free(ltx2_store *s); /* checkpoints still referenced stay valid */

/* Opens `path`: a .safetensors file, a *.safetensors.index.json, or a folder holding
 * one of them (model.safetensors / model.safetensors.index.json / a single
 * *.safetensors). Errors name the file and the cause (missing, truncated, Git-LFS
 * pointer, bad header, ...). */
ltx2_status ltx2_checkpoint_open(ltx2_store *s, const char *path, ltx2_checkpoint **out,
                                 ltx2_error *err);
void ltx2_checkpoint_retain(ltx2_checkpoint *c);
void ltx2_checkpoint_release(ltx2_checkpoint *c); /* NULL-safe */

const char *ltx2_checkpoint_path(const ltx2_checkpoint *c);
size_t ltx2_checkpoint_count(const ltx2_checkpoint *c);
const ltx2_st_tensor *ltx2_checkpoint_at(const ltx2_checkpoint *c, size_t i); /* sorted by name */
const ltx2_st_tensor *ltx2_checkpoint_find(const ltx2_checkpoint *c, const char *name);
/* True when some tensor name starts with prefix (e.g. "vae.decoder."). */
bool ltx2_checkpoint_has_prefix(const ltx2_checkpoint *c, const char *prefix);
/* printf-style name: ltx2_checkpoint_findf(c, "%sblocks.%d.attn1.to_q.weight", prefix, i) */
const ltx2_st_tensor *ltx2_checkpoint_findf(const ltx2_checkpoint *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A `__metadata__` string value (first shard that has it), or NULL. */
const char *ltx2_checkpoint_meta(const ltx2_checkpoint *c, const char *key);
/* All `__metadata__` as one JSON object of strings ("{}" when none; owned by the
 * checkpoint; for a sharded checkpoint the first shard holding a key wins). */
const char *ltx2_checkpoint_meta_json(const ltx2_checkpoint *c);
/* The mapping of shard i (tests: two opens of one file share it); NULL past the end. */
const void *ltx2_checkpoint_mapping(const ltx2_checkpoint *c, size_t shard, size_t *size);
/* The `config` metadata parsed with json-c (owned by the checkpoint), or NULL. */
struct json_object *ltx2_checkpoint_config(const ltx2_checkpoint *c);
/* A tensor handle over the mapped bytes (keeps the checkpoint alive); NULL if absent. */
ltx2_tensor *ltx2_checkpoint_tensor(ltx2_checkpoint *c, const char *name);

/* ---- model-building helpers: every failure names the key ---- */
/* Looks up `name`, checks ndim and each dim (-1 = any) and that the dtype is a float
 * type. */
ltx2_status ltx2_ckpt_require(const ltx2_checkpoint *c, const char *name, int ndim,
                              const int64_t *shape, const ltx2_st_tensor **out, ltx2_error *err);
/* A 2-D weight [rows][cols] as a kernel matrix in its stored dtype (FP8 E4M3 picks up
 * the per-tensor scale stored beside it, `<name minus .weight>.weight_scale`). */
ltx2_status ltx2_ckpt_mat(const ltx2_checkpoint *c, const char *name, int64_t rows, int64_t cols,
                          kmat *out, ltx2_error *err);
/* A small 1-D tensor widened to a malloc'd f32 array of n (norm weights, biases). */
ltx2_status ltx2_ckpt_vec(const ltx2_checkpoint *c, const char *name, int64_t n, float **out,
                          ltx2_error *err);
/* Any float tensor of exactly numel elements widened to a malloc'd f32 array. */
ltx2_status ltx2_ckpt_f32(const ltx2_checkpoint *c, const char *name, int64_t numel, float **out,
                          ltx2_error *err);

/* ---- the parser alone (fuzzers, tests) ---- */
/* Parses a safetensors image held in memory (header + data of file_size bytes):
 * validates everything the mapped path validates. On success returns the entries
 * through a callback-free summary: the number of tensors. */
ltx2_status ltx2_safetensors_check(const uint8_t *bytes, size_t file_size, size_t *n_tensors,
                                   ltx2_error *err);
/* True when the bytes look like a Git-LFS pointer file. */
bool ltx2_is_lfs_pointer(const uint8_t *bytes, size_t size);

#endif
