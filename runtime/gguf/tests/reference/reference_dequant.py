# Independent dequantization (gguf-py) used for tests/real_model_reader.rs::matches_reference_values.
# Needs: pip install gguf numpy.  Usage: python reference_dequant.py MODEL.gguf
import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize
import sys
r = GGUFReader(sys.argv[1])
want = {"token_embd.weight","blk.0.attn_q.weight","blk.3.ffn_down.weight","blk.0.attn_norm.weight"}
for t in r.tensors:
    if t.name in want:
        d = dequantize(t.data, t.tensor_type).astype(np.float32)
        print(t.name, t.tensor_type.name, d.shape, d.ravel()[:4])
