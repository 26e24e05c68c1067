// Downloads a model from a local HTTP server that serves the hub's URL layout
// (/{repo}/resolve/{revision}/{file}), then loads and runs it: the code path of --allow-downloads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadModel } from '../../../../src/pgml/embeddings/hub.js';
import { runTask } from '../../../../src/pgml/embeddings/pipelines.js';
import { findLocalModel, repoId, type ModelSources } from '../../../../src/pgml/embeddings/sources.js';
import { TransformerModel } from '../../../../src/pgml/embeddings/transformer.js';
import { PgError } from '../../../../src/errors/index.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'models', 'pgml-test');
const FIXTURE = join(FIXTURES, 'tiny-bert');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

describe('hub downloads', () => {
  let server: Server;
  let endpoint: string;
  let cache: string;
  const requests: string[] = [];

  before(async () => {
    cache = mkdtempSync(join(tmpdir(), 'pgml-hub-'));
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const match = /^\/pgml-test\/([\w-]+)\/resolve\/main\/(.+)$/.exec(req.url ?? '');
      const file = match ? join(FIXTURES, match[1]!, decodeURIComponent(match[2]!)) : undefined;
      if (!file || !existsSync(file)) {
        res.writeHead(404).end('Entry not found');
        return;
      }
      res.writeHead(200, { 'x-repo-commit': COMMIT, 'content-type': 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address && typeof address === 'object');
    endpoint = `http://127.0.0.1:${address.port}`;
  });

  after(() => {
    server.close();
    rmSync(cache, { recursive: true, force: true });
  });

  const sources = (): ModelSources => ({ allowDownloads: true, hubCache: cache, endpoint });

  it('stores the model in the Hugging Face cache layout and finds it there afterwards', async () => {
    assert.equal(findLocalModel('pgml-test/tiny-bert', sources()), undefined);
    const dir = await downloadModel('pgml-test/tiny-bert', sources());
    assert.equal(dir, join(cache, 'models--pgml-test--tiny-bert', 'snapshots', COMMIT));
    assert.equal(readFileSync(join(cache, 'models--pgml-test--tiny-bert', 'refs', 'main'), 'utf8'), COMMIT);
    assert.deepEqual(readFileSync(join(dir, 'onnx', 'model.onnx')), readFileSync(join(FIXTURE, 'onnx', 'model.onnx')));
    assert.ok(existsSync(join(dir, '1_Pooling', 'config.json')));
    assert.ok(requests.includes('/pgml-test/tiny-bert/resolve/main/onnx/model.onnx'));
    assert.equal(findLocalModel('pgml-test/tiny-bert', sources()), dir);

    const reference = JSON.parse(readFileSync(join(FIXTURE, 'reference.json'), 'utf8')) as { sentences: string[]; mean_normalized: number[][] };
    const model = await TransformerModel.load(dir);
    const [vector] = await model.embed([reference.sentences[0]!], {});
    await model.close();
    reference.mean_normalized[0]!.forEach((x, i) => assert.ok(Math.abs(vector![i]! - x) < 1e-4));
  });

  it('downloads an encoder-decoder model (encoder and decoder graphs) that then generates as Python does', async () => {
    const dir = await downloadModel('pgml-test/tiny-bart', sources());
    assert.ok(existsSync(join(dir, 'onnx', 'encoder_model.onnx')) && existsSync(join(dir, 'onnx', 'decoder_model_merged.onnx')));
    assert.ok(existsSync(join(dir, 'generation_config.json')));
    assert.equal(findLocalModel('pgml-test/tiny-bart', sources()), dir);
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected-transformers.json'), 'utf8'))['text2text-generation'] as {
      args: Record<string, unknown>;
      cases: { input: string; text: string }[];
    };
    const out = await runTask({
      dir,
      spec: { task: 'text2text-generation' },
      inputs: expected.cases.map((c) => c.input),
      args: expected.args,
      checkpoint: () => {},
      isStopped: () => false,
    });
    assert.deepEqual(out, expected.cases.map((c) => ({ generated_text: c.text })));
  });

  it('reports a model missing on the hub as undefined_object, leaving nothing half-written', async () => {
    await assert.rejects(downloadModel('pgml-test/absent', sources()), (error: unknown) => {
      assert.ok(error instanceof PgError);
      assert.equal(error.code, '42704');
      assert.match(error.detail ?? '', /config\.json is not in the repository/);
      return true;
    });
    assert.equal(findLocalModel('pgml-test/absent', sources()), undefined);
    assert.ok(!existsSync(join(cache, 'models--pgml-test--absent', 'snapshots', COMMIT)));
  });

  it('resolves bare names like sentence-transformers and refuses paths', () => {
    assert.equal(repoId('all-MiniLM-L12-v2'), 'sentence-transformers/all-MiniLM-L12-v2');
    assert.equal(repoId('intfloat/e5-small-v2'), 'intfloat/e5-small-v2');
    for (const bad of ['../etc', '/etc/passwd', 'a/b/c', 'a/../b', 'models--x--y']) {
      assert.throws(() => repoId(bad), (e: unknown) => e instanceof PgError && e.code === '22023');
    }
  });
});
