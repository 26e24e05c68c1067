"""Logits before and after the generation penalties, for test/unit/pgml/embeddings/penalties.test.ts,
and greedy decoding of the tiny GPT-2 (test/fixtures/models/pgml-test/tiny-gpt2, its ONNX graph on
onnxruntime) with them, for test/integration/pgml-generation-args.test.ts.

OpenAI's frequency_penalty and presence_penalty, as its API reference defines them
(mu[j] -= c[j] * frequency_penalty + (c[j] > 0) * presence_penalty, c[j] counting token j among
the generated tokens, not the prompt's), written with torch the way vLLM applies them; and Hugging
Face's repetition_penalty through transformers' own RepetitionPenaltyLogitsProcessor.

    python3 scripts/make-penalty-fixtures.py > test/fixtures/penalties.json
"""
import json
import os

import numpy as np
import onnxruntime
import torch
import transformers

GPT2 = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "models", "pgml-test", "tiny-gpt2")

VOCAB = 40


def case(seed, prompt_length, generated_length, frequency, presence, repetition):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, VOCAB, generator=g, dtype=torch.float32) * 3
    ids = torch.randint(0, VOCAB // 3, (2, prompt_length + generated_length), generator=g)
    generated = ids[:, prompt_length:]
    counts = torch.zeros(2, VOCAB, dtype=torch.float32)
    counts.scatter_add_(1, generated, torch.ones_like(generated, dtype=torch.float32))
    openai = logits - frequency * counts - presence * (counts > 0).to(torch.float32)
    hf = transformers.RepetitionPenaltyLogitsProcessor(repetition)(ids, logits.clone())
    return {
        "input_ids": ids.tolist(),
        "prompt_length": prompt_length,
        "logits": logits.tolist(),
        "frequency_penalty": frequency,
        "presence_penalty": presence,
        "openai": openai.tolist(),
        "repetition_penalty": repetition,
        "huggingface": hf.tolist(),
    }


def openai_penalties(logits, generated, frequency, presence):
    counts = torch.zeros_like(logits)
    if generated:
        counts.scatter_add_(1, torch.tensor([generated]), torch.ones(1, len(generated)))
    return logits - frequency * counts - presence * (counts > 0).to(torch.float32)


def greedy(session, tok, prompt, max_new_tokens, frequency=0.0, presence=0.0, repetition=1.0):
    """Greedy decoding from an empty cache, as check_causal_graph in make-transformer-models.py
    does, with the penalties applied to each step's logits."""
    ids = tok(prompt)["input_ids"]
    past = {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), dtype=np.float32) for i in session.get_inputs() if i.name.startswith("past_key_values")}
    feed = {"input_ids": np.array([ids], dtype=np.int64), "position_ids": np.arange(len(ids))[None], **past}
    new = []
    for _ in range(max_new_tokens):
        feed["attention_mask"] = np.ones((1, len(ids) + len(new)), dtype=np.int64)
        outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feed)))
        logits = torch.from_numpy(outputs["logits"][:, -1].copy())
        if repetition != 1.0:
            logits = transformers.RepetitionPenaltyLogitsProcessor(repetition)(torch.tensor([ids + new]), logits)
        logits = openai_penalties(logits, new, frequency, presence)
        new.append(int(logits[0].argmax()))
        if new[-1] == tok.eos_token_id:
            break
        feed = {"input_ids": np.array([[new[-1]]], dtype=np.int64), "position_ids": np.array([[len(ids) + len(new) - 1]]),
                **{n.replace("present", "past_key_values"): v for n, v in outputs.items() if n.startswith("present")}}
    return {"prompt": prompt, "frequency_penalty": frequency, "presence_penalty": presence, "repetition_penalty": repetition,
            "new_ids": new, "text": tok.decode(new, skip_special_tokens=True)}


def generations():
    session = onnxruntime.InferenceSession(os.path.join(GPT2, "onnx", "model.onnx"), providers=["CPUExecutionProvider"])
    tok = transformers.AutoTokenizer.from_pretrained(GPT2)
    return [
        greedy(session, tok, prompt, 12, *penalties)
        for prompt in ["The cat sat", "Stock markets"]
        for penalties in [(0.0, 0.0), (0.0, 1.5), (1.0, 0.0), (-0.8, 0.3), (0.0, -2.0), (0.0, 0.0, 1.8)]
    ]


def main():
    cases = [
        case(1, 5, 12, 0.5, 0.0, 1.3),
        case(2, 3, 20, 0.0, 1.5, 0.7),
        case(3, 8, 9, 1.2, -0.6, 2.0),
        case(4, 4, 0, 2.0, 2.0, 1.1),
        case(5, 1, 30, -1.0, 0.25, 1.5),
    ]
    print(json.dumps({"transformers": transformers.__version__, "torch": torch.__version__, "cases": cases, "generations": generations()}))


if __name__ == "__main__":
    main()
