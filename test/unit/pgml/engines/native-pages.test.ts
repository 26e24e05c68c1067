import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hugePages } from '../../../../src/pgml/engines/native-pages.js';

describe('hugePages (large short-lived native buffers)', { skip: process.platform !== 'linux' ? 'Linux only' : false }, () => {
  it('maps zeroed, writable memory at its address, and gives it back', () => {
    const bytes = 3 * 1024 * 1024 + 8;
    const pages = hugePages(bytes);
    assert.ok(pages, 'a mapping');
    assert.equal(pages.view.byteLength, bytes);
    assert.ok(pages.address > 0n && pages.address % 4096n === 0n, 'page-aligned');
    const values = new Float64Array(pages.view);
    assert.ok(values.every((v) => v === 0), 'zeros');
    values[values.length - 1] = 1.5;
    values[0] = -2;
    assert.equal(values[values.length - 1], 1.5);
    assert.equal(values[0], -2);
    pages.free();
    pages.free();
  });

  it('maps nothing for nothing', () => {
    assert.equal(hugePages(0), undefined);
  });
});
