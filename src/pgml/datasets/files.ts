/**
 * Reads the dataset CSV files shipped in the package's `datasets/` directory. The directory is
 * found relative to this module, which sits at the same depth under `src/` (tsx) and `dist/`.
 */
import { readFile } from 'node:fs/promises';
import { PgError, SqlState } from '../../errors/index.js';
import type { CsvRecord } from './catalog.js';

export const DATASETS_DIR = new URL('../../../datasets/', import.meta.url);

/** The first `limit` records of a bundled CSV file (all of them when limit is undefined). */
export async function readDatasetCsv(file: string, limit?: number): Promise<CsvRecord[]> {
  let text: string;
  try {
    text = await readFile(new URL(file, DATASETS_DIR), 'utf8');
  } catch (error) {
    throw new PgError(SqlState.UndefinedFile, `could not read bundled dataset file ${file}: ${(error as Error).message}`, {
      hint: `pgml-proxy looks for its datasets in ${DATASETS_DIR.pathname}`,
    });
  }
  const lines = parseCsv(text);
  const header = lines[0];
  if (!header) throw new PgError(SqlState.DataException, `bundled dataset file ${file} is empty`);
  const records: CsvRecord[] = [];
  for (let i = 1; i < lines.length && (limit === undefined || records.length < limit); i++) {
    const fields = lines[i]!;
    if (fields.length !== header.length) {
      throw new PgError(
        SqlState.DataException,
        `bundled dataset file ${file}, record ${i}: ${fields.length} fields where the header has ${header.length}`,
      );
    }
    records.push(new Map(header.map((name, k) => [name, fields[k]!])));
  }
  return records;
}

/** RFC 4180 records: comma separated, optionally double-quoted with "" for a quote; blank lines skipped. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRecord = (): void => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') records.push(fields);
    fields = [];
    field = '';
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i += 1;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n') endRecord();
    else if (ch !== '\r') field += ch;
    i += 1;
  }
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}
