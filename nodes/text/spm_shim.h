/* spm_shim.h — the minimal C view of libsentencepiece (C++) the text encoder needs:
 * load a .model file, encode UTF-8 text to piece ids. Errors come back as text. */
#ifndef LTX2_SPM_SHIM_H
#define LTX2_SPM_SHIM_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ltx2_spm ltx2_spm;

/* Loads a SentencePiece model file. Returns NULL and fills msg (msg_size bytes) on failure. */
ltx2_spm *ltx2_spm_load(const char *path, char *msg, size_t msg_size);
void ltx2_spm_free(ltx2_spm *spm); /* NULL-safe */

/* Number of pieces in the model, and the special ids the model declares (-1 = none). */
int32_t ltx2_spm_vocab_size(const ltx2_spm *spm);
int32_t ltx2_spm_bos_id(const ltx2_spm *spm);
int32_t ltx2_spm_pad_id(const ltx2_spm *spm);

/* Encodes `len` bytes of UTF-8 text (no BOS/EOS added) into a malloc'd array of ids
 * (*out_ids, freed with free(); NULL when *out_n == 0). Returns 0 on success, -1 on
 * failure with msg filled. */
int ltx2_spm_encode(const ltx2_spm *spm, const char *text, size_t len, int32_t **out_ids,
                    size_t *out_n, char *msg, size_t msg_size);

/* The id of a piece given by its text (e.g. "<start_of_turn>"), or -1 when the model
 * has no such piece. */
int32_t ltx2_spm_piece_id(const ltx2_spm *spm, const char *piece);
int32_t ltx2_spm_eos_id(const ltx2_spm *spm);

/* Decodes ids to UTF-8 (byte-fallback pieces joined into characters, "▁" as a space),
 * leaving out control pieces, the names in skip[0..n_skip) and ids outside the model.
 * Returns a malloc'd string, or NULL with msg filled. */
char *ltx2_spm_decode(const ltx2_spm *spm, const int32_t *ids, size_t n, const int32_t *skip, size_t n_skip,
                      char *msg, size_t msg_size);

#ifdef __cplusplus
}
#endif
#endif
