#!/usr/bin/env python3
"""Host-side check of the index math of kernels/cuda/kcuda_attention_wgmma.cu (no GPU).

Models, in float64: the tile loader (16-byte chunks placed by the kernel's swizzle
formula), the tensor cores reading a K-major operand through a 128-byte-swizzled
descriptor (address = start + (row/8)*SBO + (row%8)*128 + k*2, then bits [4,7) ^= bits
[7,10), as the PTX ISA describes the mode), the wgmma accumulator and A-register
fragment layouts, the online softmax with exp2 and the staged key bias, and the
epilogue's row/column mapping. Compares with plain attention; prints the relative L2
error (~1e-16 when the layouts agree) and the count of outputs never written.
Needs numpy. Usage: tools/wgmma_layout_sim.py
"""
import numpy as np

BM = BN = 128
THREADS = 256


def swz(r, x, rows):  # byte offset of 16-byte chunk x of row r (wg_swz)
    return (x >> 3) * rows * 128 + r * 128 + (((x & 7) ^ (r & 7)) << 4)


def load_tile(mem, dst, m, rows_left):  # wg_load_tile<C, ROWS>: rows r0 + i*STEP
    rows, cols = m.shape
    ch = cols // 8
    step = THREADS // ch
    for tid in range(THREADS):
        r0, x = tid // ch, tid % ch
        d = dst + swz(r0, x, rows)
        for i in range(rows // step):
            r = r0 + i * step
            for e in range(8):
                mem[d + i * step * 128 + 2 * e] = m[r, 8 * x + e] if r < rows_left else 0.0


def kstep(tile, rows, r0, k):  # wg_kstep
    return tile + (k >> 2) * rows * 128 + r0 * 128 + (k & 3) * 32


def tc_read(mem, start, nrows):  # what a descriptor (SBO 1024, swizzle 128 B) names
    out = np.zeros((nrows, 16))
    for rr in range(nrows):
        for kk in range(16):
            addr = start + (rr // 8) * 1024 + (rr % 8) * 128 + kk * 2
            out[rr, kk] = mem[addr ^ (((addr >> 7) & 7) << 4)]
    return out


def frag(tid):
    lane = tid % 32
    return (tid // 32) % 4, lane // 4, lane % 4  # warp in group, gq, tq


def acc_pos(w, gq, tq, i):  # accumulator register i of m64nN
    return 16 * w + gq + 8 * ((i // 2) % 2), 8 * (i // 4) + 2 * tq + (i % 2)


def attention(d, nq, nkv, heads, group, bias, seed):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((nq, heads, d))
    k = rng.standard_normal((nkv, heads // group, d))
    v = rng.standard_normal((nkv, heads // group, d))
    kb = rng.standard_normal(nkv) if bias else np.zeros(nkv)
    scale, log2e = 1 / np.sqrt(d), 1.4426950408889634
    nkv_pad = (nkv + BN - 1) // BN * BN
    out = np.full((nq, heads, d), np.nan)
    for h in range(heads):
        kvh = h // group
        vt = np.zeros((d, nkv_pad))
        vt[:, :nkv] = v[:, kvh, :].T
        for i0 in range(0, nq, BM):
            mem = {}
            qt = np.zeros((BM, d))
            n = min(BM, nq - i0)
            qt[:n] = q[i0:i0 + n, h]
            load_tile(mem, 0, qt, nq - i0)
            for wg in range(2):
                o = np.zeros((128, d // 2))
                m = np.full((128, 2), -np.inf)
                l = np.zeros((128, 2))
                for j0 in range(0, nkv, BN):
                    kt = np.zeros((BN, d))
                    cnt = min(BN, nkv - j0)
                    kt[:cnt] = k[j0:j0 + cnt, kvh]
                    load_tile(mem, 1 << 20, kt, nkv - j0)
                    load_tile(mem, 2 << 20, vt[:, j0:j0 + BN], d)
                    sb = [(-np.inf if j0 + c >= nkv else kb[j0 + c] * log2e) for c in range(BN)]
                    s_full = sum(tc_read(mem, kstep(0, BM, 64 * wg, kk), 64)
                                 @ tc_read(mem, kstep(1 << 20, BN, 0, kk), 128).T for kk in range(d // 16))
                    x = np.zeros((128, 64))
                    for tid in range(128):
                        w, gq, tq = frag(tid)
                        for i in range(64):
                            r, c = acc_pos(w, gq, tq, i)
                            x[tid, i] = s_full[r, c] * scale * log2e + sb[c]
                    pf = np.zeros((128, 64))
                    for tid in range(128):
                        grp = [tid - tid % 4 + t for t in range(4)]
                        for half in range(2):  # rows gq (i&2 == 0) and gq+8
                            sel = [i for i in range(64) if ((i >> 1) & 1) == half]
                            cmax = max(x[t, i] for t in grp for i in sel)
                            new = max(m[tid, half], cmax)
                            u = 0.0 if new == -np.inf else new
                            alpha = 2.0 ** (m[tid, half] - u)
                            m[tid, half] = new
                            for i in sel:
                                pf[tid, i] = 2.0 ** (x[tid, i] - u)
                            l[tid, half] = l[tid, half] * alpha + sum(pf[tid, i] for i in sel)
                            for i in range(d // 2):
                                if ((i >> 1) & 1) == half:
                                    o[tid, i] *= alpha
                    for kk in range(BN // 16):  # A of k-step kk from the P registers
                        a = np.zeros((64, 16))
                        for tid in range(128):
                            w, gq, tq = frag(tid)
                            for r in range(4):  # a[r] = (p[8kk+2r], p[8kk+2r+1])
                                row, col = 16 * w + gq + 8 * (r % 2), 2 * tq + 8 * (r // 2)
                                a[row, col], a[row, col + 1] = pf[tid, 8 * kk + 2 * r], pf[tid, 8 * kk + 2 * r + 1]
                        dm = a @ tc_read(mem, kstep(2 << 20, d, 0, kk), d).T
                        for tid in range(128):
                            w, gq, tq = frag(tid)
                            for i in range(d // 2):
                                o[tid, i] += dm[acc_pos(w, gq, tq, i)]
                for tid in range(128):
                    w, gq, tq = frag(tid)
                    grp = [tid - tid % 4 + t for t in range(4)]
                    for i in range(d // 2):
                        r, c = acc_pos(w, gq, tq, i)
                        row = i0 + 64 * wg + r
                        half = (i >> 1) & 1
                        if row < nq:
                            out[row, h, c] = o[tid, i] / sum(l[t, half] for t in grp)
    ref = np.zeros_like(out)
    for h in range(heads):
        s = q[:, h] @ k[:, h // group].T * scale + kb
        p = np.exp(s - s.max(1, keepdims=True))
        ref[:, h] = (p / p.sum(1, keepdims=True)) @ v[:, h // group]
    return np.linalg.norm(np.nan_to_num(out) - ref) / np.linalg.norm(ref), int(np.isnan(out).sum())


if __name__ == "__main__":
    for case in [(64, 130, 200, 2, 2, True, 1), (128, 70, 300, 2, 2, False, 2), (128, 129, 1, 1, 1, True, 3)]:
        err, unwritten = attention(*case)
        print(f"d={case[0]} nq={case[1]} nkv={case[2]} heads={case[3]} group={case[4]} bias={case[5]}: "
              f"rel L2 {err:.2e}, unwritten {unwritten}")
