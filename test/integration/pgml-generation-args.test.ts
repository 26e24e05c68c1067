// OpenAI's generation arguments as PostgresML's documentation shows them (max_tokens, n, seed,
// temperature, top_p, ...), through pgml.transform and pgml.transform_stream, on Postgres and on
// embedded PGlite, with the tiny random-weight GPT-2 of scripts/make-transformer-models.py. The
// documentation's SQL runs byte for byte (only the model's name changed). Random weights make
// nonsense text, so answers are checked against each other and against Python's greedy tokens.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/proxy.js';
import { sqlState, suiteClient } from '../support/pg-client.js';
import { describeTargets } from '../support/targets.js';

const MODELS = join(REPO_ROOT, 'test', 'fixtures', 'models');
process.env.PGML_MODELS_DIR = MODELS;
const greedy = (JSON.parse(readFileSync(join(MODELS, 'pgml-test', 'expected-transformers.json'), 'utf8')) as Record<string, { args: { max_new_tokens: number }; cases: { prompt: string; generated_text: string }[] }>)['text-generation']!;

const CHAT = `SELECT pgml.transform(
    task => '{
        "task": "text-generation",
        "model": "pgml-test/tiny-gpt2"
    }'::JSONB,
    inputs => ARRAY[
        '{"role": "system", "content": "You are a friendly and helpful chatbot"}'::JSONB,
        '{"role": "user", "content": "Tell me about yourself."}'::JSONB
    ],
    args => '{
        "max_tokens": 10,
        "temperature": 0.75,
        "seed": 10
    }'::JSONB
) AS answer;`;

const COMPLETION = `SELECT pgml.transform(
    task => '{
        "task": "text-generation",
        "model": "pgml-test/tiny-gpt2"
    }'::JSONB,
    inputs => ARRAY[
        'Three Rings for the Elven-kings under the sky, Seven for the Dwarf-lords in their halls of stone'
    ],
    args => '{
        "max_tokens": 10,
        "temperature": 0.75,
        "seed": 10
    }'::JSONB
) AS answer;`;

const STREAM_CHAT = `SELECT pgml.transform_stream(
    task => '{
        "task": "conversational",
        "model": "pgml-test/tiny-gpt2"
    }'::JSONB,
    inputs => ARRAY[
        '{"role": "system", "content": "You are a friendly and helpful chatbot"}'::JSONB,
        '{"role": "user", "content": "Tell me about yourself."}'::JSONB
    ],
    args => '{
        "max_tokens": 10,
        "temperature": 0.75,
        "seed": 10
    }'::JSONB
) AS answer;`;

const STREAM_COMPLETION = `SELECT pgml.transform_stream(
    task => '{
        "task": "text-generation",
        "model": "pgml-test/tiny-gpt2"
    }'::JSONB,
    input => 'Three Rings for the Elven-kings under the sky, Seven for the Dwarf-lords in their halls of stone',
    args => '{
        "max_tokens": 10,
        "temperature": 0.75,
        "seed": 10
    }'::JSONB
) AS answer;`;

const PROMPT = 'Three Rings for the Elven-kings under the sky, Seven for the Dwarf-lords in their halls of stone';

describeTargets('OpenAI-style generation args', { proxyOnly: true }, (target) => {
  const client = suiteClient(target);

  async function transform(args: unknown, inputs: string[]): Promise<unknown> {
    const { rows } = await client().query(`SELECT pgml.transform('{"task": "text-generation", "model": "pgml-test/tiny-gpt2"}'::jsonb, $2::jsonb, $1::text[]) AS t`, [inputs, JSON.stringify(args)]);
    return rows[0].t;
  }

  it("the documentation's completion: a list of one string, the new text only, the same for the same seed", async () => {
    const first = (await client().query(COMPLETION)).rows[0].answer as string[];
    assert.equal(first.length, 1);
    assert.ok(!first[0]!.startsWith(PROMPT), 'the prompt is not echoed');
    assert.deepEqual((await client().query(COMPLETION)).rows[0].answer, first, 'seed 10 again draws the same tokens');
    const otherSeed = await transform({ max_tokens: 10, temperature: 0.75, seed: 11 }, [PROMPT]);
    assert.notDeepEqual(otherSeed, first, 'another seed draws other tokens');
    // echo puts the prompt first, with the same draws.
    assert.deepEqual(await transform({ max_tokens: 10, temperature: 0.75, seed: 10, echo: true }, [PROMPT]), [PROMPT + first[0]]);
  });

  it('temperature 0 decodes greedily: the tokens Python generates, max_tokens as max_new_tokens', async () => {
    const out = await transform({ max_tokens: greedy.args.max_new_tokens, temperature: 0 }, greedy.cases.map((c) => c.prompt));
    assert.deepEqual(out, greedy.cases.map((c) => c.generated_text.slice(c.prompt.length)));
  });

  it('n completions per prompt, in one flat list, prompt after prompt', async () => {
    const args = { max_tokens: 6, n: 3, top_p: 0.9, seed: 7 };
    const out = (await transform(args, ['The cat sat', 'Stock markets'])) as string[];
    assert.equal(out.length, 6);
    assert.equal(new Set(out).size, 6, `independent draws: ${JSON.stringify(out)}`);
    assert.deepEqual(await transform(args, ['The cat sat', 'Stock markets']), out);
    const first = greedy.cases[0]!;
    assert.deepEqual(
      await transform({ max_tokens: greedy.args.max_new_tokens, n: 3, temperature: 0 }, [first.prompt]),
      Array(3).fill(first.generated_text.slice(first.prompt.length)),
      'n greedy completions are one completion n times',
    );
  });

  it("the documentation's chat: the new text as a list of one, and streamed the same in pieces", async () => {
    const answer = (await client().query(CHAT)).rows[0].answer as string[];
    assert.equal(answer.length, 1);
    const pieces = (await client().query(STREAM_CHAT)).rows.map((r) => r.answer as string[]);
    assert.ok(pieces.every((p) => p.length === 1), JSON.stringify(pieces));
    assert.equal(pieces.map((p) => p[0]).join(''), answer[0]);
    const sampledTwo = await client().query(CHAT.replace('"seed": 10', '"seed": 10, "n": 2'));
    assert.equal((sampledTwo.rows[0].answer as string[]).length, 2);
  });

  it("the documentation's streamed completion: the new text only (no prompt), the same as pgml.transform's", async () => {
    const answer = (await client().query(COMPLETION)).rows[0].answer as string[];
    const pieces = (await client().query(STREAM_COMPLETION)).rows.map((r) => r.answer as string[]);
    assert.equal(pieces.map((p) => p[0]).join(''), answer[0]);
    const three = (await client().query(STREAM_COMPLETION.replace('"seed": 10', '"seed": 10, "n": 3'))).rows.map((r) => r.answer as string[]);
    assert.ok(three.every((row) => row.length === 3), JSON.stringify(three));
    const joined = [0, 1, 2].map((i) => three.map((row) => row[i]).join(''));
    assert.deepEqual(joined, await transform({ max_tokens: 10, temperature: 0.75, seed: 10, n: 3 }, [PROMPT]), 'each sequence streams as pgml.transform gives it');
  });

  it('Hugging Face names stream several sequences too, the prompt first in each', async () => {
    // top_k 1 samples the best token: Python's greedy tokens, in every sequence.
    const first = greedy.cases[0]!;
    const args = JSON.stringify({ max_new_tokens: greedy.args.max_new_tokens, do_sample: true, top_k: 1, num_return_sequences: 2 });
    const rows = (await client().query(`SELECT pgml.transform_stream('{"task": "text-generation", "model": "pgml-test/tiny-gpt2"}'::jsonb, $1::jsonb, $2) AS answer`, [args, first.prompt])).rows;
    assert.ok(rows.every((r) => (r.answer as string[]).length === 2), JSON.stringify(rows));
    const joined = [0, 1].map((i) => rows.map((r) => (r.answer as string[])[i]).join(''));
    assert.deepEqual(joined, [first.generated_text, first.generated_text]);
  });

  it('stop: each answer ends before the first stop text', async () => {
    const first = greedy.cases[0]!;
    const whole = first.generated_text.slice(first.prompt.length);
    const stop = whole.slice(whole.length - 6, whole.length - 3);
    const args = { max_tokens: greedy.args.max_new_tokens, temperature: 0 };
    assert.deepEqual(await transform({ ...args, stop }, [first.prompt]), [whole.slice(0, whole.indexOf(stop))]);
    assert.deepEqual(await transform({ ...args, stop: ['not in the text', stop], n: 2 }, [first.prompt]), Array(2).fill(whole.slice(0, whole.indexOf(stop))));
    assert.deepEqual(await transform({ ...args, stop: ['not in the text'] }, [first.prompt]), [whole]);
  });

  it("stop while streaming: the pieces joined are pgml.transform's answer, sent before the end", async () => {
    const first = greedy.cases[0]!;
    const whole = first.generated_text.slice(first.prompt.length);
    const stop = whole.slice(whole.length - 6, whole.length - 3);
    const greedyArgs = { max_tokens: greedy.args.max_new_tokens, temperature: 0 };
    const sampledArgs = { max_tokens: 12, temperature: 0.75, seed: 10, n: 3 };
    const sampled = (await transform(sampledArgs, [first.prompt])) as string[];
    // A stop text across a space that tokens after the space complete: the piece cut after the
    // space would hold the stop's start before the stop is there.
    const space = whole.indexOf(' ', 1);
    assert.ok(space > 0 && space + 3 <= whole.length, JSON.stringify(whole));
    const cases = [
      { ...greedyArgs, stop },
      { ...greedyArgs, stop: whole.slice(space - 1, space + 3) },
      { ...greedyArgs, stop: ['not in the text', stop], n: 2 },
      { ...greedyArgs, stop, echo: true },
      // Starts that the text shows again and again, never completed: held back, then sent.
      { ...greedyArgs, stop: [whole.slice(0, 1) + '\u0001', whole.slice(4, 7) + '\u0001'] },
      { ...sampledArgs, stop: sampled[0]!.slice(5, 8) },
    ];
    for (const args of cases) {
      const rows = (await client().query(`SELECT pgml.transform_stream('{"task": "text-generation", "model": "pgml-test/tiny-gpt2"}'::jsonb, $1::jsonb, $2) AS answer`, [JSON.stringify(args), first.prompt])).rows.map((r) => r.answer as string[]);
      const joined = rows[0]!.map((_, i) => rows.map((row) => row[i]).join(''));
      assert.deepEqual(joined, await transform(args, [first.prompt]), JSON.stringify(args));
      // Text went out as it was made: pieces before the last row, not all of it at the end.
      assert.ok(rows.slice(0, -1).some((row) => row.some((piece) => piece !== '')), JSON.stringify({ args, rows }));
    }
  });

  it("frequency_penalty and presence_penalty as OpenAI defines them, repetition_penalty as transformers applies it: Python's greedy tokens", async () => {
    // scripts/make-penalty-fixtures.py: greedy decoding of the same ONNX graph in Python, the penalties on each step's logits.
    const fixture = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'penalties.json'), 'utf8')) as {
      generations: { prompt: string; frequency_penalty: number; presence_penalty: number; repetition_penalty: number; new_ids: number[]; text: string }[];
    };
    assert.ok(new Set(fixture.generations.map((g) => g.text)).size > 4, 'the penalties change the answers');
    for (const g of fixture.generations) {
      const openAi = { max_tokens: g.new_ids.length, temperature: 0, frequency_penalty: g.frequency_penalty, presence_penalty: g.presence_penalty };
      const args = g.repetition_penalty === 1 ? openAi : { ...openAi, repetition_penalty: g.repetition_penalty };
      assert.deepEqual(await transform(args, [g.prompt]), [g.text], JSON.stringify(args));
    }
    // Streamed the same.
    const g = fixture.generations.find((x) => x.presence_penalty < 0)!;
    const args = { max_tokens: g.new_ids.length, temperature: 0, frequency_penalty: g.frequency_penalty, presence_penalty: g.presence_penalty };
    const rows = (await client().query(`SELECT pgml.transform_stream('{"task": "text-generation", "model": "pgml-test/tiny-gpt2"}'::jsonb, $1::jsonb, $2) AS answer`, [JSON.stringify(args), g.prompt])).rows;
    assert.equal(rows.map((r) => (r.answer as string[])[0]).join(''), g.text);
  });

  it('parameters without an implementation are refused unless at their default; mixed names are refused', async () => {
    assert.equal(((await transform({ max_tokens: 3, temperature: 0, frequency_penalty: 0, logit_bias: {}, stop: null, best_of: 1, seed: null }, ['x'])) as string[]).length, 1);
    for (const args of [{ max_tokens: 3, logit_bias: { '50': 1 } }, { max_tokens: 3, logprobs: true }, { n: 2, best_of: 4 }]) {
      await assert.rejects(transform(args, ['x']), sqlState('0A000'), JSON.stringify(args));
    }
    for (const args of [{ max_tokens: 3, max_new_tokens: 3 }, { n: 0 }, { max_tokens: 3, top_p: 1.5 }, { seed: 'ten', temperature: 0 }, { max_tokens: 3, echo: 'yes' }, { max_tokens: 3, return_full_text: false }, { max_tokens: 3, stop: [''] }, { max_tokens: 3, stop: 5 }, { max_tokens: 3, presence_penalty: 2.5 }, { max_tokens: 3, frequency_penalty: '1' }]) {
      await assert.rejects(transform(args, ['x']), sqlState('22023'), JSON.stringify(args));
    }
  });
});
