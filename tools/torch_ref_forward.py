#!/usr/bin/env python3
"""Times the official LTX-2 transformer (Lightricks/LTX-2 `ltx-core` at 28c3c73, fetched
beside this project and never committed) at the 19B widths with random BF16 weights on one
CUDA GPU: the PyTorch side of the side-by-side GPU benchmark (`ltx2-bench`'s CUDA rows and
docs/PERFORMANCE.md).

    PYTHONPATH=<LTX-2>/packages/ltx-core/src python3 tools/torch_ref_forward.py \
        [--shapes 768x512x121,1536x1024x121] [--batches 1,2] [--fps 24] [--text 1024] \
        [--layers 48] [--reps 5] [--no-audio]

Prints one `TORCH name value unit` line per measurement (median of --reps timed forwards
after two warm-ups, CUDA events), and the peak device memory. Weights are drawn on the GPU
(normal, std 0.02): timing does not depend on their values, only on the widths.
"""
import argparse
import statistics
import sys
import time

import torch


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--shapes", default="768x512x121", help="WxHxF[,WxHxF...]")
    p.add_argument("--fps", type=float, default=24.0)
    p.add_argument("--text", type=int, default=1024)
    p.add_argument("--layers", type=int, default=48)
    p.add_argument("--batches", default="1", help="1,2: 2 = a CFG pass pair in one batch")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--no-audio", action="store_true")
    return p.parse_args()


def video_positions(b, f, h, w, fps, dev):
    # [B, 3, T, 2]: [start, end) of each token in (seconds, pixels, pixels), causal first frame
    t = torch.arange(f, device=dev, dtype=torch.float32)
    t0 = torch.clamp(t * 8 - 7, min=0) / fps
    t1 = (t * 8 + 1) / fps
    y = torch.arange(h, device=dev, dtype=torch.float32) * 32
    x = torch.arange(w, device=dev, dtype=torch.float32) * 32
    tt0, yy, xx = torch.meshgrid(t0, y, x, indexing="ij")
    tt1 = torch.meshgrid(t1, y, x, indexing="ij")[0]
    start = torch.stack([tt0.flatten(), yy.flatten(), xx.flatten()])
    end = torch.stack([tt1.flatten(), yy.flatten() + 32, xx.flatten() + 32])
    return torch.stack([start, end], dim=-1).unsqueeze(0).expand(b, -1, -1, -1).contiguous()


def audio_positions(b, n, dev):
    s = torch.arange(n, device=dev, dtype=torch.float32) / 25.0
    pos = torch.stack([s, s + 1 / 25.0], dim=-1)  # [T, 2] seconds
    return pos.view(1, 1, n, 2).expand(b, -1, -1, -1).contiguous()


def main():
    a = parse()
    from ltx_core.model.transformer.attention import AttentionFunction
    from ltx_core.model.transformer.model import LTXModel, LTXModelType

    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    name = torch.cuda.get_device_name(dev)
    kind = LTXModelType.VideoOnly if a.no_audio else LTXModelType.AudioVideo
    t0 = time.time()
    with torch.device("meta"):
        model = LTXModel(model_type=kind, num_layers=a.layers, attention_type=AttentionFunction.PYTORCH)
    model = model.to_empty(device=dev).to(torch.bfloat16)
    with torch.no_grad():
        for prm in model.parameters():
            prm.normal_(0.0, 0.02)
        for buf in model.buffers():
            if buf.is_floating_point():
                buf.normal_(0.0, 0.02)
    model.eval()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"TORCH model {n_params / 1e9:.2f} B params, {a.layers} layers, built in {time.time() - t0:.1f} s on {name}")

    ok_all = True
    for shape in a.shapes.split(","):
        width, height, frames = (int(v) for v in shape.split("x"))
        for b in (int(v) for v in a.batches.split(",")):
            ok_all &= run_shape(a, model, width, height, frames, b, dev)
    return 0 if ok_all else 1


def run_shape(a, model, width, height, frames, b, dev):
    from ltx_core.guidance.perturbations import BatchedPerturbationConfig
    from ltx_core.model.transformer.modality import Modality

    f, h, w = (frames - 1) // 8 + 1, height // 32, width // 32
    nv = f * h * w
    na = int(round(frames / a.fps * 25.0))
    g = torch.Generator(device=dev).manual_seed(0)

    def rnd(*shape):
        return torch.randn(*shape, device=dev, dtype=torch.bfloat16, generator=g)

    video = Modality(latent=rnd(b, nv, 128), timesteps=torch.full((b, nv), 0.5, device=dev, dtype=torch.bfloat16),
                     positions=video_positions(b, f, h, w, a.fps, dev), context=rnd(b, a.text, 3840))
    audio = None
    if not a.no_audio:
        audio = Modality(latent=rnd(b, na, 128), timesteps=torch.full((b, na), 0.5, device=dev, dtype=torch.bfloat16),
                         positions=audio_positions(b, na, dev), context=rnd(b, a.text, 3840))
    pert = BatchedPerturbationConfig.empty(b)
    print(f"TORCH shapes video {nv} tokens ({f}x{h}x{w}), audio {0 if a.no_audio else na} tokens, text {a.text}, batch {b}")
    torch.cuda.reset_peak_memory_stats(dev)
    times = []
    with torch.inference_mode():
        for i in range(a.reps + 2):
            torch.cuda.synchronize()
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            e0.record()
            vx, ax = model(video, audio, pert)
            e1.record()
            torch.cuda.synchronize()
            if i >= 2:
                times.append(e0.elapsed_time(e1))
    ok = torch.isfinite(vx.float()).all().item() and (ax is None or torch.isfinite(ax.float()).all().item())
    tag = f"{width}x{height}x{frames}{'' if a.no_audio else '+audio'}_b{b}"
    print(f"TORCH forward_ms_{tag} {statistics.median(times):.1f} ms (min {min(times):.1f}, reps {len(times)}, finite {ok})")
    print(f"TORCH peak_mem_{tag} {torch.cuda.max_memory_allocated(dev) / 2**30:.2f} GiB")
    return ok


if __name__ == "__main__":
    sys.exit(main())
