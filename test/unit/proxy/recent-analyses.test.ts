// The analysis cache shared by all sessions: the same text is parsed and analyzed once.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRecent, RecentAnalyses } from '../../../src/proxy/recent-analyses.js';
import { analyzeQuery, initParser } from '../../../src/sql/index.js';
import { registry } from '../../support/catalog.js';

before(() => initParser());

test('the same text again is a hit: the very analysis made the first time comes back', () => {
  const sql = "SELECT pgml.predict('recent-analyses', ARRAY[1, 2]::real[]) AS first";
  const first = analyzeRecent(sql, registry);
  assert.notEqual(first, 'passthrough');
  assert.equal(analyzeRecent(sql, registry), first);
  // A fresh analysis of the same text is equal but not the same object: identity shows the hit.
  assert.notEqual(analyzeQuery(sql, registry), first);
  assert.notEqual(analyzeRecent(`${sql} -- another text`, registry), first);
});

test('a text that calls no proxy function is remembered as passthrough', () => {
  assert.equal(analyzeRecent('SELECT 42 AS recent_analyses', registry), 'passthrough');
  assert.equal(analyzeRecent('SELECT 42 AS recent_analyses', registry), 'passthrough');
});

test('the least recently used text is dropped first; reading an entry keeps it', () => {
  const analyses = new RecentAnalyses(2, 100);
  analyses.set('a', 'passthrough');
  analyses.set('b', 'passthrough');
  assert.equal(analyses.get('a'), 'passthrough');
  analyses.set('c', 'passthrough');
  assert.equal(analyses.get('b'), undefined);
  assert.equal(analyses.get('a'), 'passthrough');
  assert.equal(analyses.get('c'), 'passthrough');
});

test('texts longer than the limit are not kept', () => {
  const analyses = new RecentAnalyses(10, 5);
  analyses.set('12345', 'passthrough');
  analyses.set('123456', 'passthrough');
  assert.equal(analyses.get('12345'), 'passthrough');
  assert.equal(analyses.get('123456'), undefined);
});
