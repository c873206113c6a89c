// Plain-TS float64 reference for the embedding lookup (embedding.ts). Ids outside [0, V) give a
// zero row in the forward and contribute nothing in the backward, as on the GPU.

/** out (N*C): row n is table[ids[n]], or zeros when the id is out of range. */
export function embeddingForwardRef(ids: ArrayLike<number>, table: ArrayLike<number>, V: number, C: number): Float64Array {
  const N = ids.length;
  const out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    const id = ids[n];
    if (!(id >= 0 && id < V)) continue;
    for (let c = 0; c < C; c++) out[n * C + c] = table[id * C + c];
  }
  return out;
}

/** dTable (V*C) = sum over tokens n of dOut[n] scattered into row ids[n]. */
export function embeddingBackwardRef(dOut: ArrayLike<number>, ids: ArrayLike<number>, V: number, C: number): Float64Array {
  const dTable = new Float64Array(V * C);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    if (!(id >= 0 && id < V)) continue;
    for (let c = 0; c < C; c++) dTable[id * C + c] += dOut[n * C + c];
  }
  return dTable;
}
