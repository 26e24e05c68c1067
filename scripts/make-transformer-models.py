#!/usr/bin/env python3
"""Writes tiny random-weight transformer models, one per architecture pgml.transform and
pgml.rank run, in the layout transformers.js loads (config.json, tokenizer files, onnx/*.onnx),
and expected.json: what Python transformers (and sentence-transformers for the cross-encoder)
answer on the same weights. The TypeScript side is tested against those answers.

  python3 -m pip install torch transformers onnx onnxruntime tokenizers sentence-transformers
  python3 scripts/make-transformer-models.py --out test/fixtures/models/pgml-test

Models (seeded; random weights, so the text they generate is nonsense, but exactly reproducible):
  tiny-bert-nli         BertForSequenceClassification, labels contradiction/neutral/entailment
                        (text-classification and zero-shot-classification)
  tiny-bert-ner         BertForTokenClassification (token-classification)
  tiny-bert-qa          BertForQuestionAnswering (question-answering)
  tiny-bert-mlm         BertForMaskedLM (fill-mask)
  tiny-cross-encoder    BertForSequenceClassification with one label (pgml.rank)
  tiny-gpt2             GPT2LMHeadModel, exported with its key/value cache (text-generation)
  tiny-bart             BartForConditionalGeneration, encoder + decoder with cache
                        (summarization, translation, text2text-generation)
"""
import argparse
import importlib.util
import json
import os

import numpy as np
import onnxruntime
import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17

# The WordPiece vocabulary and tokenizer of the embedding fixtures (make-test-model.py).
_spec = importlib.util.spec_from_file_location("make_test_model", os.path.join(HERE, "make-test-model.py"))
make_test_model = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_test_model)

BERT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, max_position_embeddings=128, initializer_range=0.5)

CORPUS = """The cat sat on the mat. The dog sat on the rug. Stock markets fell sharply today.
The weather was hot and the city was quiet. She loves her new car and he loves his old house.
Translate English to French: the house is small. Summarize: the company reported earnings.
Paris is the capital of France. Berlin is the capital of Germany. John lives in London.
""" * 4


def bert_tokenizer(out):
    vocab = make_test_model.vocabulary(0)
    files = {
        "tokenizer.json": make_test_model.tokenizer_json(vocab, 128),
        "tokenizer_config.json": {
            "tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 128,
            "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]",
        },
        "special_tokens_map.json": {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]"},
    }
    for name, content in files.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(content, f, indent=1)
            f.write("\n")
    return len(vocab)


def bpe_tokenizer(out, specials, model_max_length):
    """A byte-level BPE tokenizer (GPT-2's and BART's kind) trained on a small corpus."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=list(specials.values()), initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS.splitlines(), trainer)
    if "bos_token" in specials and specials.get("bos_token") != specials.get("eos_token"):
        bos, eos = specials["bos_token"], specials["eos_token"]
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
            special_tokens=[(bos, tok.token_to_id(bos)), (eos, tok.token_to_id(eos))],
        )
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=model_max_length, **specials)
    fast.save_pretrained(out)
    return fast


# A chat template, so that PostgresML's chat examples (pgml.transform and transform_stream with
# chat messages) run on the GPT-2 fixture.
GPT2_CHAT_TEMPLATE = "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"


def add_chat_template(out, template):
    """Written into tokenizer_config.json, where transformers.js reads it."""
    path = os.path.join(out, "tokenizer_config.json")
    with open(path) as f:
        config = json.load(f)
    config["chat_template"] = template
    with open(path, "w") as f:
        json.dump(config, f, indent=1)
        f.write("\n")


def export(module, args, path, input_names, output_names, dynamic_axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Export restores the wrapper's mode afterwards; a wrapper left in training mode would put
    # the model in it too (dropout), and the references computed after would be random.
    module.eval()
    torch.onnx.export(
        module, args, path, input_names=input_names, output_names=output_names,
        dynamic_axes=dynamic_axes, opset_version=OPSET, dynamo=False,
    )


def save_config(model, out, **extra):
    config = model.config.to_dict()
    # As save_pretrained writes it: pipelines given only {"model": ...} read the task from it.
    config["architectures"] = [type(model).__name__]
    config.update(extra)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
        f.write("\n")


def encoder_inputs(tokenizer):
    enc = tokenizer(["the cat sat", "hello"], ["on the mat", "world"], return_tensors="pt", padding=True)
    return enc


def export_bert(model, out, output_names, tokenizer):
    model.eval()
    enc = encoder_inputs(tokenizer)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch_size", 1: "sequence_length"} for n in names}
    for o in output_names:
        axes[o] = {0: "batch_size"} if o in ("logits",) and not isinstance(model, (transformers.BertForTokenClassification, transformers.BertForMaskedLM)) else {0: "batch_size", 1: "sequence_length"}

    class Wrapped(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            result = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return tuple(result[o] for o in output_names)

    export(Wrapped(model), tuple(enc[n] for n in names), os.path.join(out, "onnx", "model.onnx"), names, output_names, axes)
    model.save_pretrained(out, safe_serialization=True)
    # transformers.js reads the ONNX graph; the torch weights stay only long enough for the references.
    os.remove(os.path.join(out, "model.safetensors"))


def answer_question(model, tok, question, context, max_answer_len=15):
    """transformers 4.x QuestionAnsweringPipeline's answer (transformers 5 dropped the pipeline):
    softmax over the context's tokens, the best span of at most max_answer_len tokens by
    start * end probability, its characters cut from the context."""
    enc = tok(question, context, return_tensors="pt", return_offsets_mapping=True)
    offsets = enc.pop("offset_mapping")[0].tolist()
    with torch.no_grad():
        result = model(**enc)
    # The context's tokens, and [CLS]: its logit takes part in the softmax, then its probability is zeroed.
    context_token = torch.tensor([s == 1 or i == 0 for i, s in enumerate(enc.sequence_ids(0))])
    scores = []
    for logits in (result.start_logits[0], result.end_logits[0]):
        masked = torch.where(context_token, logits, torch.tensor(-10000.0))
        probs = torch.softmax(masked.double(), dim=-1)
        probs[0] = 0.0
        scores.append(probs)
    outer = scores[0][:, None] * scores[1][None, :]
    candidates = torch.tril(torch.triu(outer), max_answer_len - 1)
    best = int(torch.argmax(candidates))
    s, e = divmod(best, candidates.shape[1])
    start, end = offsets[s][0], offsets[e][1]
    return {"score": float(candidates[s, e]), "start": start, "end": end, "answer": context[start:end]}


def bert_models(root, expected):
    from transformers import pipeline

    def make(name, cls, **config):
        out = os.path.join(root, name)
        os.makedirs(out, exist_ok=True)
        vocab_size = bert_tokenizer(out)
        torch.manual_seed(len(name))
        model = cls(transformers.BertConfig(vocab_size=vocab_size, **BERT, **config))
        tokenizer = transformers.AutoTokenizer.from_pretrained(out)
        return out, model.eval(), tokenizer

    nli_labels = {0: "contradiction", 1: "neutral", 2: "entailment"}
    out, model, tok = make("tiny-bert-nli", transformers.BertForSequenceClassification, id2label=nli_labels, label2id={v: k for k, v in nli_labels.items()})
    texts = ["The cat sat on the mat.", "Stock markets fell sharply today", "I love my new car"]
    classify = pipeline("text-classification", model=model, tokenizer=tok)
    zero_shot = pipeline("zero-shot-classification", model=model, tokenizer=tok)
    expected["text-classification"] = {"model": "pgml-test/tiny-bert-nli", "inputs": texts, "output": classify(texts), "top_k_null": classify(texts, top_k=None)}
    expected["zero-shot-classification"] = {
        "model": "pgml-test/tiny-bert-nli", "inputs": texts[:2], "args": {"candidate_labels": ["cats", "money", "cars"]},
        "output": zero_shot(texts[:2], candidate_labels=["cats", "money", "cars"]),
        "multi_label": zero_shot(texts[:2], candidate_labels=["cats", "money", "cars"], multi_label=True),
    }
    export_bert(model, out, ["logits"], tok)

    ner_labels = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
    out, model, tok = make("tiny-bert-ner", transformers.BertForTokenClassification, id2label=ner_labels, label2id={v: k for k, v in ner_labels.items()})
    ner = pipeline("token-classification", model=model, tokenizer=tok)
    texts = ["John lives in London", "Paris is the capital of France"]
    expected["token-classification"] = {"model": "pgml-test/tiny-bert-ner", "inputs": texts, "output": ner(texts)}
    export_bert(model, out, ["logits"], tok)

    out, model, tok = make("tiny-bert-qa", transformers.BertForQuestionAnswering)
    question = {"question": "Where does John live?", "context": "John lives in London. Paris is the capital of France."}
    expected["question-answering"] = {"model": "pgml-test/tiny-bert-qa", "inputs": [question], "output": answer_question(model, tok, **question)}
    export_bert(model, out, ["start_logits", "end_logits"], tok)

    out, model, tok = make("tiny-bert-mlm", transformers.BertForMaskedLM)
    fill = pipeline("fill-mask", model=model, tokenizer=tok)
    texts = ["The cat sat on the [MASK].", "Paris is the [MASK] of France"]
    expected["fill-mask"] = {"model": "pgml-test/tiny-bert-mlm", "inputs": texts[:1], "output": fill(texts[:1]), "two_inputs": texts, "two_output": fill(texts)}
    export_bert(model, out, ["logits"], tok)

    out, model, tok = make("tiny-cross-encoder", transformers.BertForSequenceClassification, num_labels=1)
    export_bert(model, out, ["logits"], tok)
    model.save_pretrained(os.path.join(root, ".cross-encoder-torch"))
    tok.save_pretrained(os.path.join(root, ".cross-encoder-torch"))


def rank_reference(root, expected):
    from sentence_transformers import CrossEncoder

    torch_dir = os.path.join(root, ".cross-encoder-torch")
    encoder = CrossEncoder(torch_dir, device="cpu")
    query = "Where do cats sit?"
    documents = ["The cat sat on the mat.", "Stock markets fell sharply today", "The dog sat on the rug", "Paris is the capital of France"]
    ranked = encoder.rank(query, documents, return_documents=True)
    expected["rank"] = {
        "model": "pgml-test/tiny-cross-encoder", "query": query, "documents": documents,
        "output": [{"corpus_id": int(r["corpus_id"]), "score": float(r["score"]), "text": r["text"]} for r in ranked],
        "sentence_transformers": __import__("sentence_transformers").__version__,
    }
    import shutil

    shutil.rmtree(torch_dir)


MASKED = -1e9  # added to the scores of keys a query must not see; finite, so fully masked rows stay numbers


def split_heads(q, k, v, heads):
    """Splits [batch, seq, hidden] projections into heads: [batch, heads, seq, head_dim]."""
    def split(z):
        return z.view(z.shape[0], z.shape[1], heads, -1).transpose(1, 2)
    return split(q), split(k), split(v)


def scores_to_output(q, k, v, bias):
    weights = torch.softmax(q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5 + bias, dim=-1)
    out = weights @ v
    return out.transpose(1, 2).reshape(out.shape[0], out.shape[2], -1)


def causal_bias(q_len, kv_len, key_mask):
    """[batch, 1, q_len, kv_len]: query i (at position kv_len - q_len + i) sees keys up to itself that the mask keeps."""
    q_pos = torch.arange(q_len) + (kv_len - q_len)
    allowed = (torch.arange(kv_len)[None, :] <= q_pos[:, None])[None, None] & key_mask[:, None, None, :].bool()
    return torch.where(allowed, 0.0, MASKED)


class CausalWithCache(torch.nn.Module):
    """GPT-2 as transformers.js calls it: flat past_key_values.N.key/value in, present.N.* out.
    The forward pass is written out over the model's own modules (the same operations as
    transformers' eager path) because tracing transformers' mask helpers bakes in the example
    shapes."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.heads = model.config.n_head

    def forward(self, input_ids, attention_mask, position_ids, *past):
        t = self.model.transformer
        x = t.wte(input_ids) + t.wpe(position_ids)
        bias = causal_bias(input_ids.shape[1], attention_mask.shape[1], attention_mask)
        presents = []
        for i, block in enumerate(t.h):
            q, k, v = split_heads(*block.attn.c_attn(block.ln_1(x)).split(block.attn.split_size, dim=2), self.heads)
            k = torch.cat([past[2 * i], k], dim=2)
            v = torch.cat([past[2 * i + 1], v], dim=2)
            presents += [k, v]
            x = x + block.attn.c_proj(scores_to_output(q, k, v, bias))
            x = x + block.mlp(block.ln_2(x))
        return (self.model.lm_head(t.ln_f(x)), *presents)


def gpt2_model(root, expected):
    out = os.path.join(root, "tiny-gpt2")
    os.makedirs(out, exist_ok=True)
    tok = bpe_tokenizer(out, {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"}, 128)
    add_chat_template(out, GPT2_CHAT_TEMPLATE)
    torch.manual_seed(7)
    config = transformers.GPT2Config(
        vocab_size=len(tok), n_positions=128, n_embd=32, n_layer=2, n_head=4,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, initializer_range=0.5,
    )
    model = transformers.GPT2LMHeadModel(config).eval()
    model.config._attn_implementation = "eager"
    heads, dim = config.n_head, config.n_embd // config.n_head

    batch, past_len, seq = 2, 3, 4
    input_ids = torch.randint(0, len(tok), (batch, seq))
    attention_mask = torch.ones(batch, past_len + seq, dtype=torch.int64)
    position_ids = torch.arange(past_len, past_len + seq).unsqueeze(0).expand(batch, -1)
    past = []
    names_in, names_out = ["input_ids", "attention_mask", "position_ids"], ["logits"]
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(config.n_layer):
        for kind in ("key", "value"):
            past.append(torch.randn(batch, heads, past_len, dim))
            names_in.append(f"past_key_values.{i}.{kind}")
            names_out.append(f"present.{i}.{kind}")
            axes[f"past_key_values.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length"}
            axes[f"present.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    with torch.no_grad():
        export(CausalWithCache(model), (input_ids, attention_mask, position_ids, *past), os.path.join(out, "onnx", "model.onnx"), names_in, names_out, axes)
    save_config(model, out)
    model.generation_config.save_pretrained(out)

    prompts = ["The cat sat", "Stock markets"]
    cases = []
    for prompt in prompts:
        ids = tok(prompt, return_tensors="pt")
        with torch.no_grad():
            generated = model.generate(**ids, max_new_tokens=8, do_sample=False, pad_token_id=tok.eos_token_id)
        new = generated[0, ids["input_ids"].shape[1]:].tolist()
        cases.append({"prompt": prompt, "prompt_ids": ids["input_ids"][0].tolist(), "new_ids": new,
                      "generated_text": prompt + tok.decode(new, skip_special_tokens=True),
                      "tokens": [tok.decode([t], skip_special_tokens=True) for t in new]})
    check_causal_graph(os.path.join(out, "onnx", "model.onnx"), config, cases)
    expected["text-generation"] = {"model": "pgml-test/tiny-gpt2", "args": {"max_new_tokens": 8}, "cases": cases}


def empty_past(session):
    return {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), dtype=np.float32) for i in session.get_inputs() if i.name.startswith("past_key_values")}


def check_causal_graph(path, config, cases):
    """Greedy decoding on the exported graph, starting from an empty cache as transformers.js
    does, must give torch's tokens: the fixture is the torch model."""
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    for case in cases:
        ids = list(case["prompt_ids"])
        feed = {"input_ids": np.array([ids], dtype=np.int64), "position_ids": np.arange(len(ids))[None], **empty_past(session)}
        new = []
        for _ in case["new_ids"]:
            feed["attention_mask"] = np.ones((1, len(ids) + len(new)), dtype=np.int64)
            outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feed)))
            new.append(int(outputs["logits"][0, -1].argmax()))
            past_len = len(ids) + len(new) - 1
            feed = {"input_ids": np.array([[new[-1]]], dtype=np.int64), "position_ids": np.array([[past_len]]),
                    **{n.replace("present", "past_key_values"): v for n, v in outputs.items() if n.startswith("present")}}
        assert new == case["new_ids"], (new, case["new_ids"])


def check_seq2seq_graphs(out, config, tok, cases):
    encoder = onnxruntime.InferenceSession(os.path.join(out, "onnx", "encoder_model.onnx"), providers=["CPUExecutionProvider"])
    decoder = onnxruntime.InferenceSession(os.path.join(out, "onnx", "decoder_model_merged.onnx"), providers=["CPUExecutionProvider"])
    for case in cases:
        enc = tok(case["input"], return_tensors="np")
        hidden = encoder.run(None, {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})[0]
        ids = [config.decoder_start_token_id]
        feed = {"input_ids": np.array([ids]), **empty_past(decoder)}
        while len(ids) < len(case["ids"]):
            feed.update(encoder_attention_mask=enc["attention_mask"], encoder_hidden_states=hidden)
            outputs = dict(zip([o.name for o in decoder.get_outputs()], decoder.run(None, feed)))
            ids.append(int(outputs["logits"][0, -1].argmax()))
            feed = {"input_ids": np.array([[ids[-1]]]), **{n.replace("present", "past_key_values"): v for n, v in outputs.items() if n.startswith("present")}}
        # transformers forces EOS at the last step; the graph's own choice before it must agree.
        assert ids[:-1] == case["ids"][:-1], (ids, case["ids"])


class Seq2SeqEncoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.encoder = model.get_encoder()

    def forward(self, input_ids, attention_mask):
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


class Seq2SeqDecoderWithCache(torch.nn.Module):
    """BART's decoder with a self-attention cache, written out over the model's modules like
    CausalWithCache; cross-attention keys are recomputed each step from encoder_hidden_states
    (the same numbers as caching them, in one graph instead of two)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.heads = model.config.decoder_attention_heads

    def forward(self, input_ids, encoder_attention_mask, encoder_hidden_states, *past):
        d = self.model.model.decoder
        past_len = past[0].shape[2]
        positions = torch.arange(input_ids.shape[1]) + past_len
        x = d.embed_tokens(input_ids) + d.embed_positions.weight[positions + d.embed_positions.offset]
        x = d.layernorm_embedding(x)
        self_bias = causal_bias(input_ids.shape[1], past_len + input_ids.shape[1], torch.ones(input_ids.shape[0], past_len + input_ids.shape[1]))
        cross_bias = torch.where(encoder_attention_mask[:, None, None, :].bool(), 0.0, MASKED)
        presents = []
        for i, layer in enumerate(d.layers):
            a = layer.self_attn
            q, k, v = split_heads(a.q_proj(x), a.k_proj(x), a.v_proj(x), self.heads)
            k = torch.cat([past[2 * i], k], dim=2)
            v = torch.cat([past[2 * i + 1], v], dim=2)
            presents += [k, v]
            x = layer.self_attn_layer_norm(x + a.out_proj(scores_to_output(q, k, v, self_bias)))
            c = layer.encoder_attn
            q, k, v = split_heads(c.q_proj(x), c.k_proj(encoder_hidden_states), c.v_proj(encoder_hidden_states), self.heads)
            x = layer.encoder_attn_layer_norm(x + c.out_proj(scores_to_output(q, k, v, cross_bias)))
            x = layer.final_layer_norm(x + layer.fc2(layer.activation_fn(layer.fc1(x))))
        return (self.model.lm_head(x) + self.model.final_logits_bias, *presents)


def bart_model(root, expected):
    out = os.path.join(root, "tiny-bart")
    os.makedirs(out, exist_ok=True)
    specials = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>"}
    tok = bpe_tokenizer(out, specials, 128)
    torch.manual_seed(11)
    config = transformers.BartConfig(
        vocab_size=len(tok), d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
        encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=128, init_std=0.5,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        decoder_start_token_id=tok.eos_token_id, forced_bos_token_id=None, forced_eos_token_id=tok.eos_token_id,
        attn_implementation="eager",
    )
    model = transformers.BartForConditionalGeneration(config).eval()
    heads, dim = config.decoder_attention_heads, config.d_model // config.decoder_attention_heads

    enc = tok(["the cat sat on the mat", "hello"], return_tensors="pt", padding=True)
    with torch.no_grad():
        export(Seq2SeqEncoder(model), (enc["input_ids"], enc["attention_mask"]), os.path.join(out, "onnx", "encoder_model.onnx"),
               ["input_ids", "attention_mask"], ["last_hidden_state"],
               {"input_ids": {0: "batch_size", 1: "encoder_sequence_length"}, "attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
                "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}})
        hidden = Seq2SeqEncoder(model)(enc["input_ids"], enc["attention_mask"])
        batch, past_len = 2, 3
        names_in = ["input_ids", "encoder_attention_mask", "encoder_hidden_states"]
        names_out = ["logits"]
        axes = {
            "input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
            "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
            "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
            "logits": {0: "batch_size", 1: "decoder_sequence_length"},
        }
        past = []
        for i in range(config.decoder_layers):
            for kind in ("key", "value"):
                past.append(torch.randn(batch, heads, past_len, dim))
                names_in.append(f"past_key_values.{i}.decoder.{kind}")
                names_out.append(f"present.{i}.decoder.{kind}")
                axes[f"past_key_values.{i}.decoder.{kind}"] = {0: "batch_size", 2: "past_decoder_sequence_length"}
                axes[f"present.{i}.decoder.{kind}"] = {0: "batch_size", 2: "past_decoder_sequence_length + 1"}
        export(Seq2SeqDecoderWithCache(model), (torch.tensor([[2], [2]]), enc["attention_mask"], hidden, *past),
               os.path.join(out, "onnx", "decoder_model_merged.onnx"), names_in, names_out, axes)
    save_config(model, out)
    model.generation_config.save_pretrained(out)

    texts = ["the cat sat on the mat", "Paris is the capital of France"]
    cases = []
    for text in texts:
        ids = tok(text, return_tensors="pt")
        with torch.no_grad():
            generated = model.generate(**ids, max_new_tokens=8, do_sample=False, num_beams=1)
        cases.append({"input": text, "ids": generated[0].tolist(), "text": tok.decode(generated[0], skip_special_tokens=True)})
    check_seq2seq_graphs(out, config, tok, cases)
    expected["text2text-generation"] = {"model": "pgml-test/tiny-bart", "args": {"max_new_tokens": 8}, "cases": cases}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    expected = {"transformers": transformers.__version__, "torch": torch.__version__}
    bert_models(args.out, expected)
    rank_reference(args.out, expected)
    gpt2_model(args.out, expected)
    bart_model(args.out, expected)
    with open(os.path.join(args.out, "expected-transformers.json"), "w") as f:
        json.dump(expected, f, indent=1, default=float)
        f.write("\n")


if __name__ == "__main__":
    main()
