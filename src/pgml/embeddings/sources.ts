/**
 * Where transformer models come from: the operator's --models-dir, the standard Hugging Face
 * cache, and (only with --allow-downloads) the hub. Names resolve like sentence-transformers: a
 * bare name such as `all-MiniLM-L12-v2` means `sentence-transformers/all-MiniLM-L12-v2`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PgError, SqlState } from '../../errors/index.js';

export interface ModelSources {
  /** Searched first: `<dir>/<org>/<name>` or the hub-cache layout `<dir>/models--<org>--<name>`. */
  modelsDir?: string | undefined;
  allowDownloads: boolean;
  /** The Hugging Face hub cache (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub). */
  hubCache: string;
  /** The hub's base URL (HF_ENDPOINT); tests point it at a local server. */
  endpoint: string;
}

export function defaultSources(env: NodeJS.ProcessEnv = process.env): ModelSources {
  const hfHome = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
  return {
    modelsDir: env.PGML_MODELS_DIR || undefined,
    allowDownloads: false,
    hubCache: env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || join(hfHome, 'hub'),
    endpoint: (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, ''),
  };
}

/** Hub repository ids; anything else (paths, `..`) is refused so SQL cannot name server files. */
const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

export function repoId(name: string): string {
  if (!REPO_ID.test(name) || name.includes('..') || name.includes('--')) {
    throw new PgError(SqlState.InvalidParameterValue, `invalid model name "${name}"`, {
      hint: 'Use a Hugging Face model id such as sentence-transformers/all-MiniLM-L6-v2.',
    });
  }
  return name.includes('/') ? name : `sentence-transformers/${name}`;
}

/**
 * A directory holds a usable model when it has the config and the ONNX graph transformers.js
 * loads: onnx/model.onnx, or for encoder-decoder models onnx/encoder_model.onnx.
 */
export function isModelDir(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && (existsSync(join(dir, 'onnx', 'model.onnx')) || existsSync(join(dir, 'onnx', 'encoder_model.onnx')));
}

export function hubCacheFolder(cache: string, repo: string): string {
  return join(cache, `models--${repo.replace('/', '--')}`);
}

/** The snapshot refs/main points to, else any complete snapshot. */
function snapshotIn(folder: string): string | undefined {
  const snapshots = join(folder, 'snapshots');
  if (!existsSync(snapshots)) return undefined;
  const refFile = join(folder, 'refs', 'main');
  if (existsSync(refFile)) {
    const dir = join(snapshots, readFileSync(refFile, 'utf8').trim());
    if (isModelDir(dir)) return dir;
  }
  return readdirSync(snapshots)
    .map((rev) => join(snapshots, rev))
    .find(isModelDir);
}

/** The local directory of a model, or undefined when it is in none of the local places. */
export function findLocalModel(repo: string, sources: ModelSources): string | undefined {
  const bare = repo.split('/')[1]!;
  const candidates: (string | undefined)[] = [];
  if (sources.modelsDir) {
    candidates.push(join(sources.modelsDir, repo), snapshotIn(hubCacheFolder(sources.modelsDir, repo)));
    // Models copied by hand are often stored under their bare name.
    if (repo.startsWith('sentence-transformers/')) candidates.push(join(sources.modelsDir, bare));
  }
  candidates.push(snapshotIn(hubCacheFolder(sources.hubCache, repo)));
  return candidates.find((dir): dir is string => dir !== undefined && isModelDir(dir));
}

export function modelNotFound(repo: string, sources: ModelSources, cause?: string): PgError {
  const places = [sources.modelsDir ? `--models-dir ${sources.modelsDir}` : undefined, `the Hugging Face cache ${sources.hubCache}`]
    .filter(Boolean)
    .join(' and ');
  return new PgError(SqlState.UndefinedObject, `model "${repo}" was not found`, {
    detail: cause ?? `Looked in ${places}; downloads are disabled.`,
    hint: sources.allowDownloads
      ? 'Check the model id and that it has ONNX weights (onnx/model.onnx), or copy the model into --models-dir.'
      : 'Copy the model (Hugging Face layout with onnx/model.onnx) into --models-dir, or start pgml-proxy with --allow-downloads.',
  });
}
