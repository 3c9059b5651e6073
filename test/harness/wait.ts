// Readiness waits: poll a condition until it holds or a deadline passes, never a blind sleep.

/** Polls `probe` every `intervalMs` until it returns a value other than undefined/false. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs `attempt` up to `times` times, returning its first success; for flaky UI steps only. */
export async function retry<T>(what: string, attempt: (n: number) => Promise<T>, times = 3): Promise<T> {
  let lastError: unknown;
  for (let n = 1; n <= times; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      lastError = err;
      console.warn(`[harness] ${what}: attempt ${n} of ${times} failed: ${err instanceof Error ? err.message.split('\n')[0] : err}`);
    }
  }
  throw lastError;
}
