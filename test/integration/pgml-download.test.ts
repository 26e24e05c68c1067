// --allow-downloads through the proxy: a model missing locally is fetched from a hub into the
// Hugging Face cache, with progress notices to the client, and a network failure is a clear
// error. The hub is a local HTTP server of this test (loopback only) serving the fixture models
// in the hub's URL layout (/{repo}/resolve/main/{file}); HF_ENDPOINT points the proxy at it.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/proxy.js';
import { sqlState, suiteClient } from '../support/pg-client.js';
import { describeTargets } from '../support/targets.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'models', 'pgml-test');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected-transformers.json'), 'utf8')) as Record<string, any>;

const server = createServer((req, res) => {
  if ((req.url ?? '').startsWith('/pgml-test/unreachable/')) {
    req.socket.destroy(); // the network fails mid-request
    return;
  }
  const match = /^\/pgml-test\/([\w-]+)\/resolve\/main\/(.+)$/.exec(req.url ?? '');
  const file = match ? join(FIXTURES, match[1]!, decodeURIComponent(match[2]!)) : undefined;
  if (!file || !existsSync(file)) {
    res.writeHead(404).end('Entry not found');
    return;
  }
  res.writeHead(200, { 'x-repo-commit': 'c0ffee', 'content-type': 'application/octet-stream' }).end(readFileSync(file));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();
assert.ok(address && typeof address === 'object');
const cache = mkdtempSync(join(tmpdir(), 'pgml-download-'));
// The spawned proxies inherit these: the hub's address and an empty Hugging Face cache.
process.env.HF_ENDPOINT = `http://127.0.0.1:${address.port}`;
process.env.HF_HUB_CACHE = cache;
delete process.env.PGML_MODELS_DIR;
after(() => {
  server.close();
  rmSync(cache, { recursive: true, force: true });
});

describeTargets('pgml.transform with --allow-downloads', { proxyOnly: true, proxyArgs: ['--allow-downloads'] }, (target) => {
  const client = suiteClient(target);

  it('downloads a missing model into the cache with progress notices, then answers', async () => {
    // Each target downloads its own model, so neither finds the other's in the shared cache.
    const e = target().kind === 'proxy-pglite' ? expected['token-classification'] : expected['text-classification'];
    const task = target().kind === 'proxy-pglite' ? 'token-classification' : 'text-classification';
    const notices: string[] = [];
    const listener = (msg: { message?: string }) => notices.push(msg.message ?? '');
    client().on('notice', listener);
    const { rows } = await client().query(`SELECT pgml.transform(task => $1::jsonb, inputs => $2::text[]) AS t`, [JSON.stringify({ task, model: e.model }), e.inputs]);
    client().off('notice', listener);
    assert.equal(rows[0].t.length, e.output.length);
    assert.ok(existsSync(join(cache, `models--${e.model.replace('/', '--')}`, 'snapshots', 'c0ffee', 'onnx', 'model.onnx')));
    const size = readFileSync(join(FIXTURES, e.model.split('/')[1], 'onnx', 'model.onnx')).length;
    assert.ok(notices.includes(`pgml: downloading ${e.model}: onnx/model.onnx ${size} of ${size} bytes (100%)`), notices.join('\n'));
  });

  it('a failing network is a clear error, and the session stays usable', async () => {
    await assert.rejects(client().query(`SELECT pgml.transform('{"task": "fill-mask", "model": "pgml-test/unreachable"}'::jsonb, inputs => ARRAY['x'])`), (error: unknown) => {
      assert.ok(sqlState('42704')(error));
      assert.match((error as { detail?: string }).detail ?? '', /Download from http:\/\/127\.0\.0\.1:\d+ failed/);
      return true;
    });
    assert.equal((await client().query('SELECT 1 AS ok')).rows[0].ok, 1);
  });
});
