/**
 * Finding and loading a native training library (libxgboost, lib_lightgbm) through koffi, with one
 * rule: a library that is there but does not load is reported with dlopen's reason, never confused
 * with "not installed". Bare names through dlopen's own search could not tell the two apart (koffi's
 * message for a missing file and for a missing dependency of a present file are the same), so the
 * candidates are looked for as files, in the directories dlopen would search.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';
import type * as Koffi from 'koffi';

export type NativeLoad<T> =
  | { status: 'loaded'; path: string; value: T; failures: readonly string[] }
  | { status: 'missing'; searched: readonly string[] }
  | { status: 'failed'; failures: readonly string[] };

export interface NativeLibrarySpec<T> {
  /** For messages: "libxgboost". */
  name: string;
  /** An explicit path; when set, only it is tried. */
  envVar: string;
  /** File names, in order of preference, looked for in each directory. */
  fileNames: readonly string[];
  /** Directories of this library's own distributions (a Python wheel's lib folder), after the system's. */
  extraDirectories?: () => readonly string[];
  /** Binds the functions; throwing here counts as a failed load (a library of the wrong version). */
  bind: (lib: Koffi.LibraryHandle, koffi: typeof Koffi) => T;
}

/** Where Debian/Ubuntu, Homebrew and source installs put shared libraries, after LD_LIBRARY_PATH. */
function systemDirectories(): string[] {
  const fromEnv = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return [
    ...fromEnv,
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/lib/aarch64-linux-gnu',
    '/usr/local/lib',
    '/usr/lib',
    '/lib',
    '/opt/homebrew/lib',
  ];
}

/** site-packages/dist-packages folders of the machine's Python installs, for libraries shipped in wheels. */
export function pythonPackageDirectories(pkg: string, sub: string): string[] {
  const home = process.env.HOME ?? '/root';
  const pyenv = process.env.PYENV_ROOT ?? join(home, '.pyenv');
  const roots = [
    ...(process.env.VIRTUAL_ENV ? [join(process.env.VIRTUAL_ENV, 'lib')] : []),
    ...listDirectory(join(pyenv, 'versions')).map((version) => join(pyenv, 'versions', version, 'lib')),
    join(home, '.local/lib'),
    '/usr/local/lib',
    '/usr/lib',
  ];
  const dirs: string[] = [];
  for (const root of roots) {
    for (const python of listDirectory(root).filter((e) => /^python3(\.\d+)?$/.test(e))) {
      for (const packages of ['site-packages', 'dist-packages']) dirs.push(join(root, python, packages, pkg, sub));
    }
  }
  return dirs;
}

function listDirectory(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// koffi loads a native addon: only the threads that actually use a native library pay for it.
let koffiModule: typeof Koffi | undefined;
export function koffi(): typeof Koffi {
  koffiModule ??= createRequire(import.meta.url)('koffi') as typeof Koffi;
  return koffiModule;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Loads the first candidate that exists and loads; failures of present files are kept with their
 * reason. Engine threads load on their own, after the main thread's start-up report: a failure in one
 * of them is written to the log at once, since nothing else would show it.
 */
export function loadNativeLibrary<T>(spec: NativeLibrarySpec<T>): NativeLoad<T> {
  const load = findAndLoad(spec);
  if (!isMainThread && (load.status === 'failed' || (load.status === 'loaded' && load.failures.length > 0))) {
    process.stderr.write(`pgml-proxy: engine thread ${threadId}: ${describeNativeLoad(spec.name, load)}\n`);
  }
  return load;
}

function findAndLoad<T>(spec: NativeLibrarySpec<T>): NativeLoad<T> {
  const explicit = process.env[spec.envVar];
  const paths = explicit
    ? [explicit]
    : [...systemDirectories(), ...(spec.extraDirectories?.() ?? [])].flatMap((dir) => spec.fileNames.map((file) => join(dir, file)));
  const failures: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) continue;
    try {
      const k = koffi();
      return { status: 'loaded', path, value: spec.bind(k.load(path), k), failures };
    } catch (error) {
      failures.push(`${path}: ${reason(error)}`);
    }
  }
  if (explicit && failures.length === 0) failures.push(`${explicit}: no such file (${spec.envVar})`);
  return failures.length > 0 ? { status: 'failed', failures } : { status: 'missing', searched: spec.fileNames };
}

/** One line for the start-up log and for notices: where the library came from, or why it is not used. */
export function describeNativeLoad(name: string, load: NativeLoad<unknown>): string {
  switch (load.status) {
    case 'loaded':
      return `${name} loaded from ${load.path}${load.failures.length > 0 ? ` (after failures: ${load.failures.join('; ')})` : ''}`;
    case 'missing':
      return `${name} is not installed (looked for ${load.searched.join(', ')})`;
    case 'failed':
      return `${name} was found but failed to load: ${load.failures.join('; ')}`;
  }
}
