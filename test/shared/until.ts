// Polling wait for browser tests: resolve with f()'s first truthy value, or fail naming what was awaited.

export async function until<T>(what: string, f: () => T | null | undefined | false, timeoutMs: number, everyMs = 100): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
