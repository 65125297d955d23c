/* text_encoder.h — the TEXT_ENCODER payload ("ltx2.text_encoder"): tokenizer, Gemma 3
 * (releasable and re-opened on demand), feature projection and the two connectors,
 * and the whole prompt → conditioning chain. */
#ifndef LTX2_TEXT_ENCODER_H
#define LTX2_TEXT_ENCODER_H
#include <pthread.h>
#include <stdint.h>
#include "error.h"
#include "kernels.h"
#include "store/store.h"
#include "tensor.h"
#include "text/connector.h"
#include "text/gemma3.h"
#include "text/gemma3_vision.h"
#include "text/spm_shim.h"

#define LTX2_TEXT_ENCODER_PAYLOAD "ltx2.text_encoder"

typedef struct ltx2_text_encoder {
    pthread_mutex_t lock;       /* one encode at a time; guards gemma */
    ltx2_spm *spm;
    char *gemma_path;           /* to re-open after a release */
    ltx2_gemma3_config gemma_cfg; /* resolved config (dims filled) for re-opening */
    ltx2_gemma3 *gemma;         /* NULL after ltx2_text_encoder_release_gemma */
    ltx2_gemma3_vision *vision; /* loaded by the first image prompt enhancement; released with gemma */
    char *gemma_dir;            /* the Gemma folder: config.json, generation_config.json */
    ltx2_checkpoint *ltx;       /* retained: projection and connectors point into it */
    kmat proj;                  /* aggregate_embed [out][hidden * (layers+1)] */
    lx_resident proj_resident;  /* proj on a device, after the first device encode */
    ltx2_connector video, audio;
    int64_t default_max_length;
} ltx2_text_encoder;

void ltx2_text_encoder_free(void *te); /* payload destructor */

/* Drops the Gemma weights (the mapping goes once nothing else uses the file). */
void ltx2_text_encoder_release_gemma(ltx2_text_encoder *te);

/* Under te->lock: re-opens Gemma after a release (store may be NULL while it is loaded),
 * and with want_vision its vision tower (an error when the checkpoint has none). */
ltx2_status ltx2_text_encoder_ensure_gemma(ltx2_text_encoder *te, ltx2_store *store, int want_vision,
                                           ltx2_error *err);

/* Everything one prompt gives. Tensors are F32 (ids and masks as exact floats, like the
 * fixtures). hidden_states / features are NULL unless asked for. */
typedef struct ltx2_text_encoding {
    int64_t max_len, n_valid;
    int64_t n_dropped;          /* prompt tokens cut off by max_len (the caller warns) */
    ltx2_tensor *token_ids;     /* [1, max_len] */
    ltx2_tensor *token_mask;    /* [1, max_len] 1 = token */
    ltx2_tensor *hidden_states; /* [layers+1, max_len, hidden], padded rows 0 */
    ltx2_tensor *features;      /* [1, max_len, out], padded rows 0 */
    ltx2_tensor *video_context; /* [1, max_len, Dv] */
    ltx2_tensor *audio_context; /* [1, max_len, Da] */
    ltx2_tensor *context_mask;  /* [1, max_len], all ones after register filling */
} ltx2_text_encoding;
void ltx2_text_encoding_release(ltx2_text_encoding *e);

/* Encodes one prompt. store re-opens Gemma when it was released (may be NULL
 * otherwise). progress is called per Gemma layer (done/total over the layers). On a
 * device context Gemma, the feature extractor and the connectors run there (weights
 * uploaded once per device); the encoding's tensors come back in host memory (a few MB:
 * the contexts; the hidden states only when asked for). */
ltx2_status ltx2_text_encoder_encode(ltx2_text_encoder *te, ltx2_store *store, const kctx *ctx, const char *prompt,
                                     int64_t max_len, int intermediates, ltx2_layer_progress progress, void *user,
                                     ltx2_text_encoding *out, ltx2_error *err);

#endif
