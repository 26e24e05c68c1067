import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { describeNativeLoad, loadNativeLibrary } from '../../../../src/pgml/engines/native-library.js';

// A library that is present but does not load must say why, never pass for "not installed".
describe('loadNativeLibrary', () => {
  const spec = (envVar: string, fileNames: string[]) => ({ name: 'libexample', envVar, fileNames, bind: () => 'bound' });

  it('reports a missing library as missing', () => {
    const load = loadNativeLibrary(spec('PGML_TEST_UNSET_LIB', ['libpgml-proxy-does-not-exist.so']));
    assert.equal(load.status, 'missing');
    assert.match(describeNativeLoad('libexample', load), /libexample is not installed/);
  });

  it('reports a present file that fails to load with dlopen\'s reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgml-native-'));
    const path = join(dir, 'libbroken.so');
    writeFileSync(path, 'not an ELF file');
    process.env.PGML_TEST_BROKEN_LIB = path;
    try {
      const load = loadNativeLibrary(spec('PGML_TEST_BROKEN_LIB', ['libbroken.so']));
      assert.equal(load.status, 'failed');
      const line = describeNativeLoad('libexample', load);
      assert.match(line, /libexample was found but failed to load/);
      assert.ok(line.includes(path), line);
    } finally {
      delete process.env.PGML_TEST_BROKEN_LIB;
    }
  });

  it('loads a real library and binds it', () => {
    const load = loadNativeLibrary({ ...spec('PGML_TEST_UNSET_LIB', ['libc.so.6']), bind: () => 'bound' });
    assert.equal(load.status, 'loaded');
    if (load.status === 'loaded') assert.equal(load.value, 'bound');
  });
});
