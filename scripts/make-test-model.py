#!/usr/bin/env python3
"""Writes a BERT-architecture model in Hugging Face layout with ONNX weights: onnx/model.onnx,
config.json, a WordPiece tokenizer.json + tokenizer_config.json, and the sentence-transformers
modules.json / 1_Pooling/config.json / sentence_bert_config.json. Weights are random (seeded):
the model exercises tokenization, inference, pooling and normalization, not semantics.

The graph is built node by node with onnx.helper, so no torch export is needed. With
--reference, python onnxruntime + tokenizers compute embeddings of a few sentences the way
sentence-transformers does (mean pooling over the attention mask, L2 normalization) and store
them in reference.json: the TypeScript pipeline is tested against an independent implementation.

  pip install onnx numpy                      # generation
  pip install onnxruntime tokenizers          # --reference (and bench/embed's baseline)

Fixture:  python3 scripts/make-test-model.py --out test/fixtures/models/pgml-test/tiny-bert --reference
Classifier fixture: ... --out test/fixtures/models/pgml-test/tiny-bert-sentiment --head classification
Benchmark (all-MiniLM-L6-v2's shape): --layers 6 --hidden 384 --heads 12 --intermediate 1536 --vocab-size 30522
"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = """the a an of to and in is was for on that with as it by at from he she they we you i
this be are were not or but have has had will would can could do does did said one two new
cat cats dog dogs sat sit sitting mat rug kitten puppy animal pet house home car train city
weather hot hottest cold years year day today star lives alone huge once famous movie film
stock market markets fell rose price prices company earnings report news world people
good bad great terrible love hate happy sad best worst amazing awful like enjoy""".split()
SUFFIXES = ["##s", "##ing", "##ed", "##er", "##est", "##ly", "##y", "##n"]
PUNCT = list(".,!?;:'\"()-")


def vocabulary(size):
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    digits = [str(d) for d in range(10)]
    vocab = SPECIAL + PUNCT + letters + digits + ["##" + c for c in letters + digits] + SUFFIXES + WORDS
    seen = set()
    vocab = [t for t in vocab if not (t in seen or seen.add(t))]
    # Larger vocabularies (benchmark shape) are padded with two-letter pieces, so real text
    # tokenizes into a realistic mix of whole words and subwords.
    filler = (a + b for a in letters for b in letters)
    while len(vocab) < size:
        piece = next(filler, None)
        if piece is None:
            vocab.append(f"[unused{len(vocab)}]")
        else:
            for t in (piece, "##" + piece):
                if t not in seen and len(vocab) < size:
                    seen.add(t)
                    vocab.append(t)
    return vocab


def tokenizer_json(vocab, max_length):
    ids = {t: i for i, t in enumerate(vocab)}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for t in SPECIAL
        ],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
            ],
            "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": ids},
    }


class Graph:
    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.count = 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def weight(self, name, shape, scale=0.02, value=None):
        data = value if value is not None else (self.rng.standard_normal(shape) * scale)
        self.inits.append(numpy_helper.from_array(np.asarray(data, dtype=np.float32), name))
        return name

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, **attrs):
        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def linear(self, x, prefix, n_in, n_out):
        w = self.weight(f"{prefix}.weight", (n_in, n_out))
        b = self.weight(f"{prefix}.bias", (n_out,), scale=0.01)
        return self.op("Add", [self.op("MatMul", [x, w]), b])

    def layer_norm(self, x, prefix, hidden):
        g = self.weight(f"{prefix}.gamma", None, value=np.ones(hidden))
        b = self.weight(f"{prefix}.beta", None, value=np.zeros(hidden))
        return self.op("LayerNormalization", [x, g, b], axis=-1, epsilon=1e-12)


def build(args, vocab_size):
    rng = np.random.default_rng(args.seed)
    g = Graph(rng)
    H, heads = args.hidden, args.heads
    dh = H // heads
    g.const("zero_i64", np.array(0, dtype=np.int64))
    g.const("one_i64", np.array(1, dtype=np.int64))
    g.const("one_f", np.array(1.0, dtype=np.float32))
    g.const("half_f", np.array(0.5, dtype=np.float32))
    g.const("sqrt2_f", np.array(np.sqrt(2.0), dtype=np.float32))
    g.const("neg_big_f", np.array(-10000.0, dtype=np.float32))
    g.const("scale_f", np.array(1.0 / np.sqrt(dh), dtype=np.float32))
    g.const("mask_axes", np.array([1, 2], dtype=np.int64))
    g.const("heads_shape", np.array([0, 0, heads, dh], dtype=np.int64))
    g.const("merge_shape", np.array([0, 0, H], dtype=np.int64))

    words = g.op("Gather", [g.weight("embeddings.word", (vocab_size, H)), "input_ids"])
    seq_len = g.op("Gather", [g.op("Shape", ["input_ids"]), "one_i64"], axis=0)
    positions = g.op("Range", ["zero_i64", seq_len, "one_i64"])
    pos = g.op("Gather", [g.weight("embeddings.position", (args.max_positions, H)), positions])
    types = g.op("Gather", [g.weight("embeddings.token_type", (2, H)), "token_type_ids"])
    x = g.layer_norm(g.op("Add", [g.op("Add", [words, pos]), types]), "embeddings.norm", H)

    # Padding positions get -10000 added to their attention scores, as BERT's extended mask does.
    mask = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    mask = g.op("Mul", [g.op("Sub", ["one_f", mask]), "neg_big_f"])
    mask = g.op("Unsqueeze", [mask, "mask_axes"])

    for layer in range(args.layers):
        p = f"layer{layer}"
        def split(t):
            return g.op("Reshape", [t, "heads_shape"])
        q = g.op("Transpose", [split(g.linear(x, f"{p}.query", H, H))], perm=[0, 2, 1, 3])
        k = g.op("Transpose", [split(g.linear(x, f"{p}.key", H, H))], perm=[0, 2, 3, 1])
        v = g.op("Transpose", [split(g.linear(x, f"{p}.value", H, H))], perm=[0, 2, 1, 3])
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), "scale_f"]), mask])
        context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
        context = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), "merge_shape"])
        x = g.layer_norm(g.op("Add", [g.linear(context, f"{p}.output", H, H), x]), f"{p}.attention_norm", H)
        h = g.linear(x, f"{p}.intermediate", H, args.intermediate)
        gelu = g.op("Mul", [g.op("Mul", [h, "half_f"]), g.op("Add", ["one_f", g.op("Erf", [g.op("Div", [h, "sqrt2_f"])])])])
        x = g.layer_norm(g.op("Add", [g.linear(gelu, f"{p}.ffn_output", args.intermediate, H), x]), f"{p}.output_norm", H)

    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    outputs = [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", H])]
    if args.head == "classification":
        cls = g.op("Gather", [x, "zero_i64"], axis=1)
        pooled = g.op("Tanh", [g.linear(cls, "pooler", H, H)])
        logits = g.linear(pooled, "classifier", H, len(args.labels))
        g.nodes.append(helper.make_node("Identity", [logits], ["logits"]))
        outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", len(args.labels)])]

    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"]) for n in ("input_ids", "attention_mask", "token_type_ids")]
    graph = helper.make_graph(g.nodes, "bert", inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="pgml-proxy make-test-model")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


REFERENCE_SENTENCES = [
    "The cat sat on the mat.",
    "Hottest weather in 100 years",
    "Once A Huge Star, Today He Lives Alone in Westlake.",
    "",
    "unbelievable zyx qwerty",
    # Longer than --max-seq-length: truncated like sentence-transformers truncates.
    "the good dog sat on the mat " * 20,
]


def write_reference(out, max_length):
    import onnxruntime
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    session = onnxruntime.InferenceSession(os.path.join(out, "onnx", "model.onnx"), providers=["CPUExecutionProvider"])
    encodings = tokenizer.encode_batch(REFERENCE_SENTENCES)
    feed = {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }
    hidden = session.run(["last_hidden_state"], feed)[0]
    mask = feed["attention_mask"][:, :, None].astype(np.float32)
    mean = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    normalized = mean / np.linalg.norm(mean, axis=1, keepdims=True)
    reference = {
        "sentences": REFERENCE_SENTENCES,
        "input_ids": [e.ids[: sum(e.attention_mask)] for e in encodings],
        "mean": mean.tolist(),
        "mean_normalized": normalized.tolist(),
        "cls": hidden[:, 0, :].tolist(),
    }
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--intermediate", type=int, default=64)
    parser.add_argument("--vocab-size", type=int, default=0, help="pad the vocabulary to this size (0: just the built-in tokens)")
    parser.add_argument("--max-positions", type=int, default=64)
    parser.add_argument("--max-seq-length", type=int, default=32, help="sentence-transformers' truncation length")
    parser.add_argument("--head", choices=["none", "classification"], default="none")
    parser.add_argument("--labels", nargs="+", default=["NEGATIVE", "POSITIVE"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reference", action="store_true")
    args = parser.parse_args()

    vocab = vocabulary(args.vocab_size)
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "1_Pooling"), exist_ok=True)
    onnx.save(build(args, len(vocab)), os.path.join(args.out, "onnx", "model.onnx"))

    config = {
        "architectures": ["BertForSequenceClassification" if args.head == "classification" else "BertModel"],
        "model_type": "bert",
        "vocab_size": len(vocab),
        "hidden_size": args.hidden,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "intermediate_size": args.intermediate,
        "hidden_act": "gelu",
        "max_position_embeddings": args.max_positions,
        "type_vocab_size": 2,
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
    }
    if args.head == "classification":
        config["id2label"] = {str(i): label for i, label in enumerate(args.labels)}
        config["label2id"] = {label: i for i, label in enumerate(args.labels)}
    files = {
        "config.json": config,
        "tokenizer.json": tokenizer_json(vocab, args.max_positions),
        "tokenizer_config.json": {
            "tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": args.max_positions,
            "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]",
        },
        "special_tokens_map.json": {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]"},
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": args.max_seq_length, "do_lower_case": False},
        # Named prompts, as e5-style models ship them (pgml.embed's prompt_name).
        "config_sentence_transformers.json": {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None},
        "1_Pooling/config.json": {
            "word_embedding_dimension": args.hidden, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        },
    }
    for name, content in files.items():
        with open(os.path.join(args.out, name), "w") as f:
            json.dump(content, f, indent=1)
            f.write("\n")
    if args.reference:
        write_reference(args.out, args.max_seq_length)


if __name__ == "__main__":
    main()
