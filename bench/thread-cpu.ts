// Per-thread CPU time of a process from /proc, shared by the benches that split a call's CPU by thread.
import { readdirSync, readFileSync } from 'node:fs';

/** CPU ns of each thread of the process, by thread id. */
export function threadNs(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}
