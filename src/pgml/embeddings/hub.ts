/**
 * Downloads a model from the Hugging Face hub into the standard cache layout
 * (`models--org--name/snapshots/<commit>/…` plus `refs/main`), so Python tools share it. Only the
 * files an ONNX sentence-transformers/transformers.js model needs are fetched (one graph, or an
 * encoder-decoder's two). Every request has an inactivity timeout: a stalled hub gives an error,
 * never a hung query.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hubCacheFolder, modelNotFound, type ModelSources } from './sources.js';

const REQUIRED = ['config.json', 'tokenizer.json'];
/** The ONNX weights: one graph, or (encoder-decoder models) the encoder and the decoder with its cache. */
const SINGLE_GRAPH = ['onnx/model.onnx'];
const ENCODER_DECODER = ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'];
const OPTIONAL = [
  'tokenizer_config.json',
  'special_tokens_map.json',
  'generation_config.json',
  'modules.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
  '1_Pooling/config.json',
];
const IDLE_TIMEOUT_MS = 30_000;

class MissingFile extends Error {}

/** Reports a file's progress at each tenth of its size (and once at the end). */
type Progress = (received: number, total: number | undefined) => void;

async function fetchTo(url: string, target: string, headers: Record<string, string>, progress: Progress): Promise<string | undefined> {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), IDLE_TIMEOUT_MS);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), IDLE_TIMEOUT_MS);
  };
  try {
    const response = await fetch(url, { signal: controller.signal, headers, redirect: 'follow' });
    if (response.status === 404) throw new MissingFile(url);
    if (!response.ok || !response.body) throw new Error(`GET ${url}: HTTP ${response.status}`);
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.incomplete`;
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    const length = Number(response.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : undefined;
    let received = 0;
    let reported = 0;
    body.on('data', (chunk: Buffer) => {
      touch();
      received += chunk.length;
      if (total !== undefined && received < total && received - reported >= total / 10) {
        reported = received;
        progress(received, total);
      }
    });
    await pipeline(body, createWriteStream(partial));
    await rename(partial, target);
    progress(received, total ?? received);
    return response.headers.get('x-repo-commit') ?? undefined;
  } catch (error) {
    if (controller.signal.aborted) throw new Error(`GET ${url}: no data for ${IDLE_TIMEOUT_MS / 1000} s`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Downloads `repo` at revision main; returns the snapshot directory. */
export async function downloadModel(repo: string, sources: ModelSources, notice: (message: string) => void = () => {}): Promise<string> {
  const folder = hubCacheFolder(sources.hubCache, repo);
  // Files land in a staging snapshot first; the commit id is known after the first response.
  const staging = join(folder, 'snapshots', `.download-${process.pid}-${Date.now()}`);
  const headers: Record<string, string> = process.env.HF_TOKEN ? { authorization: `Bearer ${process.env.HF_TOKEN}` } : {};
  let commit: string | undefined;
  /** Fetches `file`; false when the hub has no such file and `missingIsFine`. */
  const fetchFile = async (file: string, missingIsFine: boolean): Promise<boolean> => {
    const url = `${sources.endpoint}/${repo}/resolve/main/${file}`;
    try {
      const progress: Progress = (received, total) =>
        notice(`pgml: downloading ${repo}: ${file} ${received} of ${total ?? '?'} bytes${total ? ` (${Math.floor((100 * received) / total)}%)` : ''}`);
      commit = (await fetchTo(url, join(staging, file), headers, progress)) ?? commit;
      return true;
    } catch (error) {
      if (error instanceof MissingFile && missingIsFine) return false;
      const reason = error instanceof MissingFile ? `${file} is not in the repository (the model needs ONNX weights)` : (error as Error).message;
      throw modelNotFound(repo, sources, `Download from ${sources.endpoint} failed: ${reason}.`);
    }
  };
  try {
    for (const file of REQUIRED) await fetchFile(file, false);
    if (!(await fetchFile(SINGLE_GRAPH[0]!, true))) for (const file of ENCODER_DECODER) await fetchFile(file, false);
    for (const file of OPTIONAL) await fetchFile(file, true);
    const revision = commit ?? 'main';
    const snapshot = join(folder, 'snapshots', revision);
    await rm(snapshot, { recursive: true, force: true });
    await rename(staging, snapshot);
    await mkdir(join(folder, 'refs'), { recursive: true });
    await writeFile(join(folder, 'refs', 'main'), revision);
    return snapshot;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
