// Polling for what a background process (the cron scheduler) does in its own time.

/** Polls until `check` returns a value; the deadline only guards against hanging forever. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, deadlineMs = 20_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
