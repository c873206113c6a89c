// Vocabulary-chunked log-softmax: logp[target], entropy, lse (forward) and dLogits (backward).
// Stages STATS, FINAL and BACKWARD are selected with buildWgsl flags.

// Stages:
//   STATS:    one workgroup per (row, chunk): chunk max m, sum e^(z-m) and sum e^(z-m)(z-m), z = logit/T
//   FINAL:    one thread per row: combine the chunks -> lse, logp[target], entropy
//   BACKWARD: one thread per logit: dLogits = (dLogp (onehot - p) - dH p (log p + H)) / T
// A sign of -1 turns logp into the cross-entropy loss (and dLoss into dLogp).
// Logits at or below MASKED (e.g. -inf masks) have probability 0 and are skipped.
// Appended to vocab_chunks.wgsl (WG, CHUNK, NEG_BIG, MASKED, chunkOf, nanF32).

struct Params {
  rows: u32,
  vocab: u32,
  nChunks: u32,
  gridStride: u32, // STATS: workgroups per grid row; BACKWARD: threads per grid row
  invT: f32,
  hasIgnore: u32,
  ignoreId: u32,
  useEntropy: u32, // BACKWARD: 1 when dEntropy is bound
  sign: f32,       // +1 for log-probs, -1 for cross-entropy (loss = -logp, dLogp = -dLoss)
}

// Running statistics of a set of z values relative to its max m: s = sum e^(z-m), w = sum e^(z-m)(z-m).
struct Stat { m: f32, s: f32, w: f32 }

fn emptyStat() -> Stat { return Stat(NEG_BIG, 0.0, 0.0); }

fn combine(a: Stat, b: Stat) -> Stat {
  if (b.s == 0.0) { return a; }
  if (a.s == 0.0) { return b; }
  let M = max(a.m, b.m);
  let ea = exp(a.m - M);
  let eb = exp(b.m - M);
  return Stat(M, a.s * ea + b.s * eb, (a.w + (a.m - M) * a.s) * ea + (b.w + (b.m - M) * b.s) * eb);
}

#if STATS
@group(0) @binding(0) var<storage, read_write> partial: array<f32>; // (N, nChunks, 3): m, s, w
@group(0) @binding(1) var<storage, read> logits: array<f32>;        // (N, V)
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> shM: array<f32, WG>;
var<workgroup> shS: array<f32, WG>;
var<workgroup> shW: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let flat = wid.x + wid.y * p.gridStride;
  if (flat >= p.rows * p.nChunks) { return; } // uniform across the workgroup
  let ch = chunkOf(flat);
  var m = NEG_BIG;
  var s = 0.0;
  var w = 0.0;
  for (var j = ch.start + lid; j < ch.end; j += WG) {
    let z = logits[ch.base + j] * p.invT;
    if (z <= MASKED) { continue; }
    if (z <= m) {
      let e = exp(z - m);
      s += e;
      w += e * (z - m);
    } else {
      let a = exp(m - z);
      w = (w + (m - z) * s) * a;
      s = s * a + 1.0;
      m = z;
    }
  }
  shM[lid] = m;
  shS[lid] = s;
  shW[lid] = w;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off / 2u) {
    if (lid < off) {
      let c = combine(Stat(shM[lid], shS[lid], shW[lid]), Stat(shM[lid + off], shS[lid + off], shW[lid + off]));
      shM[lid] = c.m;
      shS[lid] = c.s;
      shW[lid] = c.w;
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let o = flat * 3u;
    partial[o] = shM[0];
    partial[o + 1u] = shS[0];
    partial[o + 2u] = shW[0];
  }
}
#endif

#if FINAL
@group(0) @binding(0) var<storage, read_write> logp: array<f32>;    // (N,)
@group(0) @binding(1) var<storage, read_write> entropy: array<f32>; // (N,)
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;     // (N,)
@group(0) @binding(3) var<storage, read> partial: array<f32>;       // (N, nChunks, 3)
@group(0) @binding(4) var<storage, read> logits: array<f32>;        // (N, V)
@group(0) @binding(5) var<storage, read> targets: array<u32>;       // (N,)
@group(0) @binding(6) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x + gid.y * p.gridStride;
  if (row >= p.rows) { return; }
  var st = emptyStat();
  for (var c = 0u; c < p.nChunks; c++) {
    let o = (row * p.nChunks + c) * 3u;
    st = combine(st, Stat(partial[o], partial[o + 1u], partial[o + 2u]));
  }
  let logS = log(st.s);
  let l = st.m + logS;
  lse[row] = l;
  let t = targets[row];
  if (p.hasIgnore != 0u && t == p.ignoreId) {
    logp[row] = 0.0;
    entropy[row] = 0.0;
    return;
  }
  entropy[row] = logS - st.w / st.s;
  if (t >= p.vocab) {
    logp[row] = nanF32(p.hasIgnore & 0u); // out-of-range target: surfaced as NaN (debug mode names this kernel)
  } else {
    logp[row] = p.sign * (logits[row * p.vocab + t] * p.invT - l);
  }
}
#endif

#if BACKWARD
@group(0) @binding(0) var<storage, read_write> dLogits: array<f32>; // (N, V)
@group(0) @binding(1) var<storage, read> dLogp: array<f32>;         // (N,)
@group(0) @binding(2) var<storage, read> dEntropy: array<f32>;      // (N,) (dLogp again when unused)
@group(0) @binding(3) var<storage, read> logits: array<f32>;        // (N, V)
@group(0) @binding(4) var<storage, read> targets: array<u32>;       // (N,)
@group(0) @binding(5) var<storage, read> lse: array<f32>;           // (N,)
@group(0) @binding(6) var<storage, read> entropy: array<f32>;       // (N,) (lse again when unused)
@group(0) @binding(7) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.gridStride;
  if (i >= p.rows * p.vocab) { return; }
  let row = i / p.vocab;
  let j = i - row * p.vocab;
  let t = targets[row];
  if (p.hasIgnore != 0u && t == p.ignoreId) {
    dLogits[i] = 0.0;
    return;
  }
  let z = logits[i] * p.invT;
  let lp = z - lse[row];
  var prob = 0.0;
  if (z > MASKED) { prob = exp(lp); }
  var onehot = 0.0;
  if (j == t) { onehot = 1.0; }
  var g = p.sign * dLogp[row] * (onehot - prob);
  if (p.useEntropy != 0u && prob > 0.0) {
    g -= dEntropy[row] * prob * (lp + entropy[row]);
  }
  dLogits[i] = g * p.invT;
}
#endif
