#!/usr/bin/env python3
"""Golden data for Gemma 3 generation (prompt enhancement): a tiny random Gemma 3 with a
SigLIP vision tower, run by Hugging Face transformers (Gemma3ForConditionalGeneration),
saved in the folder layout the plugin reads, plus the reference's greedy generations.

    python3 tools/gemma_golden.py [OUT_DIR]     (default tests/golden/gemma_gen)

Needs torch, transformers 4.57.x, sentencepiece, safetensors, pillow. Writes to OUT_DIR:
  model/            model.safetensors (bf16), config.json, generation_config.json,
                    tokenizer.model (a tiny BPE trained here with Gemma's control pieces)
  golden.safetensors  f32 tensors (ids as exact floats):
    text.input_ids [n], text.greedy [k], text.logits [S][vocab]   (text-only chat)
    image.input_ids, image.greedy, image.logits                  (image + text chat)
    image.pixels [H][W][3] (0..255 values of the uint8 input image),
    image.pixel_values [3][size][size] (processor output), image.features [tokens][hidden]
  metadata "case": the prompts, the system prompt and the settings, as JSON.

Everything is seeded: a rerun gives the same files (the lead reruns it on the lent GPU
machine to confirm). Only the facts of the chat template (Gemma 3's turn layout) are
written out here; the tokenization and image expansion are transformers' own.
"""
import json
import os
import sys
import tempfile

import numpy as np
import sentencepiece as spm
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import (Gemma3Config, Gemma3ForConditionalGeneration, Gemma3ImageProcessor, Gemma3Processor,
                          GemmaTokenizer, GenerationConfig)

HERE = os.path.dirname(os.path.abspath(__file__))
CONTROL = ["<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>"]
SYSTEM = "Rewrite the prompt as one vivid paragraph."
TEXT_PROMPT = "a cat walks on a wall at 5 pm"
IMAGE_PROMPT = "the boat sails away"
NEW_TOKENS = 12
LOGIT_STEPS = 3
IMAGE_SIZE, PATCH, MM_TOKENS = 28, 7, 4


def train_tokenizer(path):
    """A 400-piece BPE like Gemma's: byte fallback, split digits, no dummy prefix, no
    whitespace folding, the turn and image markers as atomic pieces."""
    prefix = path[: -len(".model")]
    spm.SentencePieceTrainer.train(
        input=os.path.join(HERE, "make_tiny", "corpus.txt"), model_prefix=prefix, vocab_size=400,
        model_type="bpe", byte_fallback=True, split_digits=True, normalization_rule_name="identity",
        add_dummy_prefix=False, remove_extra_whitespaces=False, user_defined_symbols=CONTROL,
        pad_id=0, eos_id=1, bos_id=2, unk_id=3, pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>",
        unk_piece="<unk>", num_threads=1, minloglevel=2)
    os.remove(prefix + ".vocab")


def chat_text(system, content):
    """Gemma 3's chat layout (system folded into the first user turn, generation prompt)."""
    first = system + "\n\n" if system else ""
    return ("<bos><start_of_turn>user\n" + first + content + "<end_of_turn>\n"
            "<start_of_turn>model\n")


def build_model(n_pieces, image_token):
    torch.manual_seed(1234)
    cfg = Gemma3Config(
        text_config=dict(
            vocab_size=n_pieces + 16, hidden_size=64, intermediate_size=96, num_hidden_layers=3,
            num_attention_heads=4, num_key_value_heads=2, head_dim=16, query_pre_attn_scalar=16,
            sliding_window=8, layer_types=["sliding_attention", "full_attention", "sliding_attention"],
            rope_theta=1e6, rope_scaling={"rope_type": "linear", "factor": 8.0}, rope_local_base_freq=1e4,
            rms_norm_eps=1e-6, max_position_embeddings=512, hidden_activation="gelu_pytorch_tanh"),
        vision_config=dict(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            image_size=IMAGE_SIZE, patch_size=PATCH, layer_norm_eps=1e-6, vision_use_head=False,
            hidden_act="gelu_pytorch_tanh"),
        mm_tokens_per_image=MM_TOKENS, image_token_index=image_token,
        boi_token_index=CONTROL_IDS["<start_of_image>"], eoi_token_index=CONTROL_IDS["<end_of_image>"],
        pad_token_id=0, bos_token_id=2, eos_token_id=[1, CONTROL_IDS["<end_of_turn>"]])
    model = Gemma3ForConditionalGeneration(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and p.dim() == 1 and "bias" not in name:
                p.copy_(torch.randn_like(p) * 0.1)  # Gemma norms store w in x * (1 + w)
            elif name.endswith("bias"):
                p.copy_(torch.randn_like(p) * 0.05)
            else:
                p.copy_(torch.randn_like(p) * (1.0 / max(p.shape[-1], 1)) ** 0.5)
            p.copy_(p.to(torch.bfloat16).float())  # what the bf16 file holds
    return model


def greedy(model, inputs):
    out = model.generate(**inputs, max_new_tokens=NEW_TOKENS, do_sample=False, output_logits=True,
                         return_dict_in_generate=True)
    n = inputs["input_ids"].shape[1]
    gen = out.sequences[0, n:].float()
    logits = torch.stack([l[0].float() for l in out.logits[:LOGIT_STEPS]])
    return gen, logits


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "golden", "gemma_gen")
    model_dir = os.path.join(out_dir, "model")
    os.makedirs(model_dir, exist_ok=True)
    tok_path = os.path.join(model_dir, "tokenizer.model")
    train_tokenizer(tok_path)
    sp = spm.SentencePieceProcessor(model_file=tok_path)
    n_pieces = sp.get_piece_size()
    global CONTROL_IDS
    CONTROL_IDS = {p: sp.piece_to_id(p) for p in CONTROL}
    image_token = n_pieces  # past the pieces, like Gemma 3's <image_soft_token>

    with tempfile.TemporaryDirectory() as td:
        tok = GemmaTokenizer(vocab_file=tok_path, add_bos_token=True, add_eos_token=False,
                             extra_special_tokens={"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>",
                                                   "image_token": "<image_soft_token>"})
        tok.add_special_tokens({"additional_special_tokens": CONTROL + ["<image_soft_token>"]})
        assert tok.convert_tokens_to_ids("<image_soft_token>") == image_token, "soft token id"
        tok.save_pretrained(td)
        tok = GemmaTokenizer.from_pretrained(td)
    improc = Gemma3ImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    proc = Gemma3Processor(image_processor=improc, tokenizer=tok, image_seq_length=MM_TOKENS)

    model = build_model(n_pieces, image_token)
    model.save_pretrained(model_dir, safe_serialization=True)
    # Keep one bf16 file: the tiny folder stays small.
    from safetensors.torch import load_file
    st_path = os.path.join(model_dir, "model.safetensors")
    sd = {k: v.to(torch.bfloat16).contiguous() for k, v in load_file(st_path).items()}
    save_file(sd, st_path, metadata={"format": "pt"})
    GenerationConfig(do_sample=True, top_k=7, top_p=0.9, bos_token_id=2, pad_token_id=0,
                     eos_token_id=[1, CONTROL_IDS["<end_of_turn>"]]).save_pretrained(model_dir)

    golden = {}
    text_in = proc(text=chat_text(SYSTEM, TEXT_PROMPT.strip()), return_tensors="pt")
    golden["text.input_ids"] = text_in["input_ids"][0].float()
    with torch.no_grad():
        golden["text.greedy"], golden["text.logits"] = greedy(model, {"input_ids": text_in["input_ids"],
                                                                      "attention_mask": text_in["attention_mask"]})

    rng = np.random.default_rng(7)
    h, w = 40, 52
    yy, xx = np.mgrid[0:h, 0:w]
    pixels = np.stack([(xx * 5) % 256, (yy * 6) % 256, rng.integers(0, 256, (h, w))], -1).astype(np.uint8)
    img = Image.fromarray(pixels, "RGB")
    image_in = proc(text=chat_text(SYSTEM, "<start_of_image>" + IMAGE_PROMPT.strip()), images=img,
                    return_tensors="pt")
    golden["image.input_ids"] = image_in["input_ids"][0].float()
    golden["image.pixels"] = torch.from_numpy(pixels).float()
    golden["image.pixel_values"] = image_in["pixel_values"][0].float()
    with torch.no_grad():
        golden["image.features"] = model.model.get_image_features(image_in["pixel_values"])[0].float()
        golden["image.greedy"], golden["image.logits"] = greedy(model, dict(image_in))

    case = {"system": SYSTEM, "text_prompt": TEXT_PROMPT, "image_prompt": IMAGE_PROMPT,
            "new_tokens": NEW_TOKENS, "logit_steps": LOGIT_STEPS, "image_token": image_token,
            "transformers": __import__("transformers").__version__, "torch": torch.__version__}
    save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(out_dir, "golden.safetensors"),
              metadata={"case": json.dumps(case)})
    for k, v in golden.items():
        print(k, tuple(v.shape), v.flatten()[:16].tolist() if "ids" in k or "greedy" in k else "")


if __name__ == "__main__":
    main()
