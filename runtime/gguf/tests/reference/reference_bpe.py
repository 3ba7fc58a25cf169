# Independent reference used to produce the expected ids in tests/real_model_tokenizer.rs.
# Needs: pip install gguf regex.  Usage: python reference_bpe.py MODEL.gguf texts.json
# Independent naive byte-level BPE reference for the smollm pre-tokenizer.
import regex, sys, json
from gguf import GGUFReader
r = GGUFReader(sys.argv[1])
def strarr(name):
    f = r.fields[name]
    return [bytes(f.parts[i]).decode() for i in f.data]
tokens = strarr("tokenizer.ggml.tokens"); merges = strarr("tokenizer.ggml.merges")
f = r.fields["tokenizer.ggml.token_type"]; types = [int(f.parts[i][0]) for i in f.data]
ids = {}
for i,t in enumerate(tokens): ids.setdefault(t, i)
rank = {tuple(m.split(" ",1)): i for i,m in enumerate(merges)}
bs = list(range(33,127))+list(range(161,173))+list(range(174,256)); cs=bs[:]; n=0
for b in range(256):
    if b not in bs: bs.append(b); cs.append(256+n); n+=1
b2c = {b: chr(c) for b,c in zip(bs,cs)}
specials = sorted([t for t,ty in zip(tokens,types) if ty in (3,4)], key=len, reverse=True)
spec_re = regex.compile("(" + "|".join(regex.escape(s) for s in specials) + ")")
gpt2 = regex.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")
def bpe(word):
    parts = list(word)
    while len(parts) > 1:
        best = min(((rank.get((a,b), 1<<60), i) for i,(a,b) in enumerate(zip(parts, parts[1:]))))
        if best[0] == 1<<60: break
        i = best[1]; parts[i:i+2] = [parts[i]+parts[i+1]]
    return [ids[p] for p in parts]
def encode(text):
    out = []
    for seg in spec_re.split(text):
        if seg == "": continue
        if seg in ids and seg in specials: out.append(ids[seg]); continue
        for piece in regex.split(r"(\p{N})", seg):
            if piece == "": continue
            for w in gpt2.findall(piece):
                out += bpe("".join(b2c[b] for b in w.encode()))
    return out
texts = json.load(open(sys.argv[2]))
print(json.dumps([encode(t) for t in texts]))
