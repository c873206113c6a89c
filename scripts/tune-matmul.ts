// Matmul tile tuning: GFLOP/s of matmul (default or given tiles) and the naive kernel per shape.
// Run: npx tsx --import ./scripts/register-raw.mjs scripts/tune-matmul.ts [--shapes 512x896x896,...]
//   [--f16] [--transA] [--transB] [--naive] [--reps 5] [--cores N] [--tiles '[{"kernel":"direct","BM":8,...}]']
// Shapes are M x K x N. Times are wall-clock per call (best of --reps), including dispatch overhead.
// On a CPU adapter the process CPU time is reported too: 'cpu GFLOP/s' = flops / (CPU seconds / cores),
// which is what the wall-clock rate would be on an otherwise idle machine and is steadier under load.
// On a shared machine prefer the last column, the median over rounds of (first candidate's time / this
// one's time) in the same round: a best-of time can come from one lucky moment with the cores free.

import { Gpu, type Tensor } from '../src/gpu';
import { matmul, matmulNaive, pickMatmulTile, type MatmulOpts, type MatmulTile } from '../src/kernels/matmul';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(name);

async function main(): Promise<void> {
  const gpu = await Gpu.create();
  console.log(`# ${gpu.describe()}`);
  const shapes = (arg('--shapes') ?? '1x896x896,8x896x4864,512x896x896,512x896x4864').split(',').map((s) => s.split('x').map(Number));
  const f16 = flag('--f16');
  const transA = flag('--transA');
  const transB = flag('--transB');
  const reps = Number(arg('--reps') ?? 5);
  const cores = Number(arg('--cores') ?? (await import('node:os')).availableParallelism());
  const tiles: Array<MatmulTile | null> = arg('--tiles') ? JSON.parse(arg('--tiles')!) : [null];
  for (const [M, K, N] of shapes) {
    const a = gpu.upload(Float32Array.from({ length: M * K }, () => Math.random() - 0.5), transA ? [K, M] : [M, K]);
    const b = gpu.upload(Float32Array.from({ length: K * N }, () => Math.random() - 0.5), transB ? [N, K] : [K, N], f16 ? 'f16' : 'f32');
    const out = gpu.empty([M, N]);
    const flops = 2 * M * N * K;
    // Repeat small problems inside one timing so each sample does ~1e8 flops.
    const inner = Math.max(1, Math.min(200, Math.round(1e8 / flops)));
    // Candidates are timed round-robin (best of --reps each) so that load from other processes
    // affects them alike.
    const base: MatmulOpts = { transA, transB };
    const cands: Array<{ name: string; fn: () => void; best: number; cpu: number; ms: number[] }> = [];
    for (const t of tiles) {
      const tile = t ?? pickMatmulTile(gpu, M, N);
      cands.push({ name: `tiled ${JSON.stringify(tile)}`, fn: () => matmul(gpu, out, a, b, { ...base, tile }), best: Infinity, cpu: Infinity, ms: [] });
    }
    if (flag('--naive')) cands.push({ name: 'naive', fn: () => matmulNaive(gpu, out, a, b, base), best: Infinity, cpu: Infinity, ms: [] });
    for (const c of cands) c.fn(); // compile + warm up
    await gpu.sync();
    for (let r = 0; r < reps; r++) {
      for (const c of r % 2 ? [...cands].reverse() : cands) {
        await gpu.sync();
        const cpu0 = process.cpuUsage();
        const ms = await gpu.time(() => {
          for (let i = 0; i < inner; i++) c.fn();
        });
        const cpu = process.cpuUsage(cpu0);
        c.best = Math.min(c.best, ms / inner);
        c.ms.push(ms / inner);
        c.cpu = Math.min(c.cpu, (cpu.user + cpu.system) / 1000 / inner);
      }
    }
    const median = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];
    for (const c of cands) {
      const ratio = median(c.ms.map((t, r) => cands[0].ms[r] / t));
      console.log(`${`${M}x${K}x${N}`.padEnd(14)} ${f16 ? 'f16' : 'f32'} ${c.name.padEnd(60)} ${c.best.toFixed(2).padStart(9)} ms ${(flops / c.best / 1e6).toFixed(2).padStart(7)} GFLOP/s  cpu ${((flops * cores) / c.cpu / 1e6).toFixed(2).padStart(7)} GFLOP/s  speed vs first (median of rounds) ${ratio.toFixed(2)}`);
    }
    ([a, b, out] as Tensor[]).forEach((t) => t.release());
  }
  gpu.destroy();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
