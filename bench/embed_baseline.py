"""Python side of bench/embed.ts: what sentence-transformers does for an ONNX model, written out with
onnxruntime + tokenizers (pip install onnxruntime tokenizers): sort by length, batches of 32 padded
to their longest text, truncation to max_seq_length, mean pooling over the attention mask, L2
normalization.

  python3 embed_baseline.py MODEL_DIR SENTENCES_FILE   one sentence per line; prints one JSON line
  python3 embed_baseline.py MODEL_DIR SENTENCES_FILE --single
      each sentence alone (batch of one, as one `SELECT pgml.embed(m, $1)` embeds it): the p50 latency
      and every call's milliseconds
"""
import json
import os
import sys
import time

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

BATCH = 32


def embed(tokenizer, session, inputs, texts):
    encoded = tokenizer.encode_batch(texts)
    feed = {
        "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
    }
    hidden = session.run(None, {k: v for k, v in feed.items() if k in inputs})[0]
    mask = feed["attention_mask"][:, :, None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return pooled


def single(tokenizer, session, inputs, sentences):
    for text in sentences[:20]:  # warm-up
        embed(tokenizer, session, inputs, [text])
    times = []
    for text in sentences:
        start = time.perf_counter()
        embed(tokenizer, session, inputs, [text])
        times.append((time.perf_counter() - start) * 1000)
    ordered = sorted(times)
    print(json.dumps({"sentences": len(sentences), "single_p50_ms": ordered[len(ordered) // 2], "single_ms": times}))


def main(model_dir, sentences_file, mode=None):
    with open(sentences_file) as f:
        sentences = f.read().split("\n")
    with open(os.path.join(model_dir, "sentence_bert_config.json")) as f:
        max_length = json.load(f)["max_seq_length"]
    load_start = time.perf_counter()
    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding()
    session = onnxruntime.InferenceSession(os.path.join(model_dir, "onnx", "model.onnx"), providers=["CPUExecutionProvider"])
    load_seconds = time.perf_counter() - load_start
    inputs = {i.name for i in session.get_inputs()}

    if mode == "--single":
        return single(tokenizer, session, inputs, sentences)
    start = time.perf_counter()
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    out = np.zeros((len(sentences), 0), dtype=np.float32)
    for begin in range(0, len(order), BATCH):
        ids = order[begin : begin + BATCH]
        pooled = embed(tokenizer, session, inputs, [sentences[i] for i in ids])
        if out.shape[1] == 0:
            out = np.zeros((len(sentences), pooled.shape[1]), dtype=np.float32)
        out[ids] = pooled
    seconds = time.perf_counter() - start
    print(json.dumps({
        "sentences": len(sentences),
        "seconds": seconds,
        "load_seconds": load_seconds,
        "threads": session.get_session_options().intra_op_num_threads,
        "first": out[0].tolist(),
    }))


if __name__ == "__main__":
    main(*sys.argv[1:4])
