#!/usr/bin/env python3
"""HF transformers' full-attention decode latency on the GPU, for the shapes of `sdec bench decode`.

Random bf16 weights of the Llama-3.1-8B shape (built on the GPU), a StaticCache filled with random
keys and values up to the context (as `sdec bench decode` fills its cache: a step's time depends on
what it reads, not on the values), SDPA attention, then decode steps timed with CUDA events after a
warm-up; median over the steps. Prints one JSON object: {"<batch>x<context>": ms_per_step, ...}.

    python3 benches/hf_decode.py --contexts 4096,32768,131044 --batch 1,2 [--steps 20]
"""
import argparse
import json
import statistics
import sys

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, StaticCache


def llama31_8b(max_len):
    return LlamaConfig(
        hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
        num_key_value_heads=8, head_dim=128, vocab_size=128256, max_position_embeddings=max(max_len, 131072),
        rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=False,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 8192},
        attn_implementation="sdpa", torch_dtype=torch.bfloat16,
    )


def cache_tensors(cache):
    """(keys, values) tensors per layer, across the StaticCache layouts of transformers 4.x and 5.x."""
    if hasattr(cache, "layers"):
        return [(layer.keys, layer.values) for layer in cache.layers]
    return list(zip(cache.key_cache, cache.value_cache))


def make_cache(config, batch, max_len):
    try:
        return StaticCache(config=config, max_cache_len=max_len)
    except TypeError:
        return StaticCache(config=config, max_batch_size=batch, max_cache_len=max_len, device="cuda", dtype=torch.bfloat16)


def time_decode(model, config, batch, context, steps, warmup):
    max_len = context + warmup + steps + 1
    cache = make_cache(config, batch, max_len)
    ids = torch.ones((batch, 1), dtype=torch.long, device="cuda")
    with torch.no_grad():
        # One step at position 0 allocates the cache's tensors; then fill them up to the context.
        model(ids, past_key_values=cache, cache_position=torch.tensor([0], device="cuda"), use_cache=True)
        gen = torch.Generator(device="cuda").manual_seed(0)
        for k, v in cache_tensors(cache):
            k.normal_(generator=gen).mul_(3.0 ** 0.5)
            v.normal_(generator=gen)
        times = []
        for i in range(warmup + steps):
            pos = torch.tensor([context + i], device="cuda")
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            model(ids, past_key_values=cache, cache_position=pos, use_cache=True)
            stop.record()
            stop.synchronize()
            if i >= warmup:
                times.append(start.elapsed_time(stop))
    del cache
    torch.cuda.empty_cache()
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--contexts", default="4096,32768,131044")
    p.add_argument("--batch", default="1")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    a = p.parse_args()
    torch.manual_seed(0)
    contexts = [int(c) for c in a.contexts.split(",")]
    config = llama31_8b(max(contexts) + a.warmup + a.steps + 1)
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda"):
        model = LlamaForCausalLM(config).eval()
    print(f"transformers {transformers.__version__}, torch {torch.__version__}, {torch.cuda.get_device_name()}", file=sys.stderr)
    out = {}
    for b in [int(x) for x in a.batch.split(",")]:
        for c in contexts:
            ms = time_decode(model, config, b, c, a.steps, a.warmup)
            out[f"{b}x{c}"] = ms
            print(f"hf b{b} ctx {c}: {ms:.2f} ms/step", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
