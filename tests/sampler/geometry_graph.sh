#!/usr/bin/env bash
# LTX2EmptyLatent follows the latent geometry of its model's checkpoint: the AV transformer
# fixture, its config given a video VAE patch of 2 (pixels per latent cell 8 x 2) and an
# audio hop of 320, makes latents of that grid and audio rate and records the geometry;
# the same node without a model keeps the released 32 px / 25 audio latents per second.
# usage: geometry_graph.sh HOST_SIM ST_EDIT GRAPH FIXTURES
set -euo pipefail
host_sim=$1 st_edit=$2 graph=$3 fixtures=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
patch=2 hop=320 rate=16000 down=4 size=64 frames=17 fps=24
"$st_edit" "$fixtures/transformer_av.weights.safetensors" "$work/a.safetensors" config vae "{\"patch_size\":$patch}"
"$st_edit" "$work/a.safetensors" "$work/b.safetensors" config audio_vae \
  "{\"model\":{\"params\":{\"ddconfig\":{\"ch\":1,\"z_channels\":1,\"num_res_blocks\":1,\"ch_mult\":[1,2,4]}}},\"preprocessing\":{\"stft\":{\"hop_length\":$hop}}}"
"$host_sim" run "$graph" --var "CKPT=$work/b.safetensors" --var "OUT=$work" --quiet

# expected sizes: latent cells of patch x 8 px (no block lists: the release x8 strides),
# audio frames round-half-even(frames / fps * rate / (hop * down))
cells() { echo $((size / $1)); }
audio() { awk -v f=$frames -v r=$fps -v lps="$1" 'BEGIN { printf "%.0f", f / r * lps }'; }
lat_t=$(((frames - 1) / 8 + 1))
check() { # FILE CELL AUDIO_T SCALE_S HOP
  local want_v="samples: tensor F32\[1,128,$lat_t,$(cells "$2"),$(cells "$2")\]"
  local want_a="audio_samples: tensor F32\[1,8,$3,16\]"
  grep -q "$want_v" "$1" || { echo "FAIL: $1 has no $want_v"; cat "$1"; exit 1; }
  grep -q "$want_a" "$1" || { echo "FAIL: $1 has no $want_a"; cat "$1"; exit 1; }
  grep -qx "  geom_scale_s: $4" "$1" && grep -qx "  geom_audio_hop: $5" "$1" ||
    { echo "FAIL: $1 does not record scale $4 / hop $5"; cat "$1"; exit 1; }
}
check "$work/with_model.txt" $((patch * 8)) "$(audio "$(awk -v r=$rate -v h=$hop -v d=$down 'BEGIN { print r / (h * d) }')")" \
  $((patch * 8)) $hop
check "$work/without_model.txt" 32 "$(audio 25)" 32 160
echo "ok: EmptyLatent follows its model's geometry"

# The sampler refuses a latent made for another geometry than its model's (the empty
# latent without a model, the sampler fixture's model with the edited audio hop).
"$st_edit" "$fixtures/sampler_distilled.weights.safetensors" "$work/s.safetensors" config audio_vae \
  "{\"model\":{\"params\":{\"ddconfig\":{\"ch\":1,\"z_channels\":1,\"num_res_blocks\":1,\"ch_mult\":[1,2,4]}}},\"preprocessing\":{\"stft\":{\"hop_length\":$hop}}}"
rc=0
"$host_sim" run "$(dirname "$graph")/sampler_geometry_mismatch.json" --var "CKPT=$work/s.safetensors" \
  --var "IO=$fixtures/sampler_distilled.io.safetensors" --var "OUT=$work" --quiet 2> "$work/err.txt" || rc=$?
want="\\(LTX2Sampler\\) input 'latent': made for a VAE of 8x32 px per latent cell and 16000 Hz / hop 160 / x4 audio, the model's is 8x32, 16000 Hz / hop $hop"
[ $rc = 1 ] && grep -Eq "$want" "$work/err.txt" ||
  { echo "FAIL: mismatched latent: exit $rc, stderr:"; cat "$work/err.txt"; exit 1; }
echo "ok: the sampler refuses a latent of another geometry"
