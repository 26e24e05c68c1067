#!/usr/bin/env python3
"""Greedy text generation on the tiny GPT-2 fixture with Python onnxruntime + tokenizers, the
baseline of bench/generate.ts: the same ONNX graph with its key/value cache, one prompt at a time,
NEW_TOKENS tokens each (end-of-text ignored, as min_new_tokens makes the proxy do). Prints one JSON line."""
import json
import os
import sys
import time

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

model_dir, prompts, new_tokens, rounds = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
session = onnxruntime.InferenceSession(os.path.join(model_dir, "onnx", "model.onnx"), providers=["CPUExecutionProvider"])
outputs = [o.name for o in session.get_outputs()]
empty = {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), dtype=np.float32) for i in session.get_inputs() if i.name.startswith("past_key_values")}


def generate(prompt):
    ids = tokenizer.encode(prompt).ids
    feed = {"input_ids": np.array([ids], dtype=np.int64), "position_ids": np.arange(len(ids))[None], **empty}
    new = []
    while len(new) < new_tokens:
        feed["attention_mask"] = np.ones((1, len(ids) + len(new)), dtype=np.int64)
        result = dict(zip(outputs, session.run(None, feed)))
        new.append(int(result["logits"][0, -1].argmax()))
        feed = {"input_ids": np.array([[new[-1]]], dtype=np.int64), "position_ids": np.array([[len(ids) + len(new) - 1]]),
                **{n.replace("present", "past_key_values"): v for n, v in result.items() if n.startswith("present")}}
    return tokenizer.decode(ids + new)


best = None
for _ in range(rounds):
    start = time.perf_counter()
    texts = [generate(p) for p in prompts]
    elapsed = time.perf_counter() - start
    best = elapsed if best is None else min(best, elapsed)
print(json.dumps({"seconds": round(best, 4), "tokens": new_tokens * len(prompts), "onnxruntime": onnxruntime.__version__, "first_text": texts[0]}))
