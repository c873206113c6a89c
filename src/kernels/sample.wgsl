// GPU token sampling over a chunked vocabulary: temperature, top-k, top-p, Gumbel-max with Philox noise.
// Stages STATS, BLOCK and PICK are selected with buildWgsl flags.

// Stages:
//   STATS: one workgroup per (row, chunk): max logit, sum e^((x-m)/T), sum e^(x-m) and (exact mode) the
//          chunk's Gumbel-max winner argmax_j x_j/T + G_j (greedy rows: argmax_j x_j)
//   BLOCK: one workgroup per (row, block of BS <= 1024): bitonic sort of (logit, id) pairs, keeps the top K
//          (run in levels until one block per row remains: the row's top K, sorted)
//   SELECT: one workgroup per row, the sort-free alternative to BLOCK: radix select of the K-th largest
//          logit (3 histogram digits: 11, 11, 10 bits), on ties the lowest ids (radix select over the tied ids),
//          then the K candidates are gathered and sorted alone (the row's top K, sorted). When the first
//          digit's chosen bin holds at most CACHE entries, one more pass over the row gathers the sure
//          candidates and caches that bin, and the rest runs in workgroup memory (2 passes over the row);
//          otherwise every digit and the gathering re-read the row
//   PICK:  one workgroup per row: combines the chunk stats, applies top-p and min-p to the candidates, draws the
//          id by Gumbel-max over the kept candidates, and writes id and log-prob.
// Randomness: Philox4x32-10 keyed by (seed, step), counter (token / 4, row0 + row, 0, 0), word token % 4;
// so the noise of a token depends only on (seed, step, row, token), never on dispatch order.
// Appended to vocab_chunks.wgsl (WG, CHUNK, NEG_BIG, MASKED, chunkOf, nanF32).

override BS: u32 = 1024u; // BLOCK: entries sorted per workgroup (a power of two <= 1024)

struct Params {
  rows: u32,
  vocab: u32,
  nChunks: u32,
  gridStride: u32,
  seed: u32,
  step: u32,
  exact: u32,    // 1: Gumbel-max over the whole vocabulary (no top-k / top-p)
  k: u32,        // candidates kept per row (BLOCK, PICK)
  topP: f32,
  renorm: u32,   // 1: top-p uses probabilities renormalised over the top-k candidates
  logpRaw: u32,  // 1: logp of the untempered softmax
  nIn: u32,      // BLOCK: entries per row in the input
  fromLogits: u32, // BLOCK: input is the logits (1) or (key, id) pairs (0)
  nBlocks: u32,  // BLOCK: blocks per row
  minP: f32,     // PICK: keep candidates with probability >= minP * the top one's (0: off)
  row0: u32,     // noise row of logits row 0 (a caller sampling its rows in chunks)
}

const NO_ID: u32 = 0xffffffffu;

fn mulhi(a: u32, b: u32) -> u32 {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let mid = ((a0 * b0) >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
}

fn philox(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let hi0 = mulhi(0xd2511f53u, c.x);
    let lo0 = 0xd2511f53u * c.x;
    let hi1 = mulhi(0xcd9e8d57u, c.z);
    let lo1 = 0xcd9e8d57u * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
  }
  return c;
}

// Uniform in (0, 1) from the top 23 bits: (b + 0.5) / 2^23, exact in f32.
fn uniformOf(bits: u32) -> f32 { return (f32(bits >> 9u) + 0.5) * (1.0 / 8388608.0); }

// Standard Gumbel noise -log(-log u). -log u uses a series near u = 1, where log is imprecise on GPUs.
fn gumbel(bits: u32) -> f32 {
  let u = uniformOf(bits);
  let d = 1.0 - u; // exact
  var e: f32;
  if (d < 0.125) {
    e = d * (1.0 + d * (0.5 + d * (1.0 / 3.0 + d * (0.25 + d * (0.2 + d * (1.0 / 6.0 + d / 7.0))))));
  } else {
    e = -log(u);
  }
  return -log(e);
}

fn noiseWord(r: vec4<u32>, lane: u32) -> u32 {
  switch lane {
    case 0u: { return r.x; }
    case 1u: { return r.y; }
    case 2u: { return r.z; }
    default: { return r.w; }
  }
}

// Candidate order: larger key first, then smaller id.
fn before(ka: f32, ia: u32, kb: f32, ib: u32) -> bool {
  return ka > kb || (ka == kb && ia < ib);
}

// 1/T for sampling rows, 1 for greedy rows (T == 0).
fn invTemp(t: f32) -> f32 {
  if (t > 0.0) { return 1.0 / t; }
  return 1.0;
}

#if !BLOCK
#if !SELECT
// Softmax statistics of a set of logits x at inverse temperature a: max m, sT = sum e^((x - m) a),
// sU = sum e^(x - m), and the best (key, id) by `before`; one set per thread, then combined.
var<workgroup> shM: array<f32, WG>;
var<workgroup> shT: array<f32, WG>;
var<workgroup> shU: array<f32, WG>;
var<workgroup> shK: array<f32, WG>;
var<workgroup> shI: array<u32, WG>;

/** Combine every thread's statistics (m, sT, sU, bk, bi) into shM[0], shT[0], shU[0], shK[0], shI[0]
 *  (STATS: over a chunk; PICK: over the chunks). Holds barriers: call it from workgroup-uniform control flow. */
fn reduceStats(lid: u32, a: f32, m: f32, sT: f32, sU: f32, bk: f32, bi: u32) {
  shM[lid] = m;
  shT[lid] = sT;
  shU[lid] = sU;
  shK[lid] = bk;
  shI[lid] = bi;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off / 2u) {
    if (lid < off) {
      let o = lid + off;
      let M = max(shM[lid], shM[o]);
      shT[lid] = shT[lid] * exp((shM[lid] - M) * a) + shT[o] * exp((shM[o] - M) * a);
      shU[lid] = shU[lid] * exp(shM[lid] - M) + shU[o] * exp(shM[o] - M);
      shM[lid] = M;
      if (before(shK[o], shI[o], shK[lid], shI[lid])) {
        shK[lid] = shK[o];
        shI[lid] = shI[o];
      }
    }
    workgroupBarrier();
  }
}
#endif
#endif

#if STATS
@group(0) @binding(0) var<storage, read_write> stats: array<f32>; // (B, nChunks, 8): m, sT, sU, gKey, gId, -, -, -
@group(0) @binding(1) var<storage, read> logits: array<f32>;      // (B, V)
@group(0) @binding(2) var<storage, read> temps: array<f32>;       // (B,)
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let flat = wid.x + wid.y * p.gridStride;
  if (flat >= p.rows * p.nChunks) { return; }
  let ch = chunkOf(flat);
  let temp = temps[ch.row];
  let a = invTemp(temp);
  let noisy = p.exact != 0u && temp > 0.0;
  let key = vec2<u32>(p.seed, p.step);
  var m = NEG_BIG;
  var sT = 0.0;
  var sU = 0.0;
  var bk = NEG_BIG;
  var bi = NO_ID;
  for (var q = ch.start / 4u + lid; q * 4u < ch.end; q += WG) {
    var r = vec4<u32>(0u);
    if (noisy) { r = philox(vec4<u32>(q, ch.row + p.row0, 0u, 0u), key); }
    for (var lane = 0u; lane < 4u; lane++) {
      let j = q * 4u + lane;
      if (j >= ch.end) { break; }
      let x = logits[ch.base + j];
      if (!(x > MASKED)) { continue; }
      if (x <= m) {
        sT += exp((x - m) * a);
        sU += exp(x - m);
      } else {
        sT = sT * exp((m - x) * a) + 1.0;
        sU = sU * exp(m - x) + 1.0;
        m = x;
      }
      if (p.exact != 0u) {
        var kj = x;
        if (noisy) { kj = x * a + gumbel(noiseWord(r, lane)); }
        if (kj > bk) { bk = kj; bi = j; }
      }
    }
  }
  reduceStats(lid, a, m, sT, sU, bk, bi);
  if (lid == 0u) {
    let o = flat * 8u;
    stats[o] = shM[0];
    stats[o + 1u] = shT[0];
    stats[o + 2u] = shU[0];
    stats[o + 3u] = shK[0];
    stats[o + 4u] = bitcast<f32>(shI[0]);
  }
}
#endif

#if BLOCK
@group(0) @binding(0) var<storage, read_write> outPairs: array<u32>; // (B, nBlocks * k, 2): key bits, id
@group(0) @binding(1) var<storage, read> src: array<u32>;            // logits (B, V) as bits, or pairs (B, nIn, 2)
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> sk: array<f32, BS>;
var<workgroup> si: array<u32, BS>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let flat = wid.x + wid.y * p.gridStride;
  if (flat >= p.rows * p.nBlocks) { return; }
  let row = flat / p.nBlocks;
  let block = flat % p.nBlocks;
  for (var l = lid; l < BS; l += WG) {
    let g = block * BS + l;
    var kk = NEG_BIG;
    var id = NO_ID;
    if (g < p.nIn) {
      var bits: u32;
      if (p.fromLogits != 0u) {
        bits = src[row * p.nIn + g];
        id = g;
      } else {
        let o = (row * p.nIn + g) * 2u;
        bits = src[o];
        id = src[o + 1u];
      }
      kk = bitcast<f32>(bits);
      if ((bits & 0x7fffffffu) > 0x7f800000u || !(kk > NEG_BIG)) { kk = NEG_BIG; } // NaN and -inf sort last
    }
    sk[l] = kk;
    si[l] = id;
  }
  workgroupBarrier();
  for (var k = 2u; k <= BS; k = k << 1u) {
    for (var j = k >> 1u; j > 0u; j = j >> 1u) {
      for (var t = lid; t < BS / 2u; t += WG) {
        let i = (t / j) * 2u * j + (t % j);
        let l = i + j;
        let desc = (i & k) == 0u;
        let swap = select(before(sk[i], si[i], sk[l], si[l]), before(sk[l], si[l], sk[i], si[i]), desc);
        if (swap) {
          let tk = sk[i];
          let ti = si[i];
          sk[i] = sk[l];
          si[i] = si[l];
          sk[l] = tk;
          si[l] = ti;
        }
      }
      workgroupBarrier();
    }
  }
  for (var l = lid; l < p.k; l += WG) {
    let o = ((row * p.nBlocks + block) * p.k + l) * 2u;
    outPairs[o] = bitcast<u32>(sk[l]);
    outPairs[o + 1u] = si[l];
  }
}
#endif

#if SELECT
@group(0) @binding(0) var<storage, read_write> outPairs: array<u32>; // (B, k, 2): key bits, id; sorted
@group(0) @binding(1) var<storage, read> logits: array<f32>;        // (B, V)
@group(0) @binding(2) var<uniform> p: Params;

override SK: u32 = 256u; // candidate slots sorted in workgroup memory (a power of two >= k)

var<workgroup> hist: array<atomic<u32>, 2048>;
var<workgroup> selPrefix: u32; // bits fixed so far (key, then id)
var<workgroup> selRank: u32;   // 1-based rank sought among the entries matching selPrefix
var<workgroup> selCount: u32;  // entries with the chosen digit
var<workgroup> selAll: u32;    // 1: the row has at most k candidates; keep every one
var<workgroup> nCand: atomic<u32>;
var<workgroup> sk: array<f32, SK>;
var<workgroup> si: array<u32, SK>;
// The row's entries in the first digit's chosen bin (order key, id), when they fit: the later digits and
// the ties are then resolved here instead of re-reading the row.
const CACHE: u32 = 512u;
var<workgroup> nCache: atomic<u32>;
var<workgroup> cacheK: array<u32, CACHE>;
var<workgroup> cacheI: array<u32, CACHE>;

// Order key of a logit: an unsigned integer that grows with the logit (-0 counts as +0);
// 0 for masked logits and NaN, which are never candidates.
fn orderKey(x: f32) -> u32 {
  if (!(x > MASKED)) { return 0u; }
  var b = bitcast<u32>(x);
  if (x == 0.0) { b = 0u; }
  if ((b & 0x80000000u) != 0u) { return ~b; }
  return b | 0x80000000u;
}

// Radix digits of the selection, high first: 11, 11 and 10 bits (RADIX_SHIFT[s], RADIX_BITS[s]).
const RADIX_SHIFT = array<u32, 3>(21u, 10u, 0u);
const RADIX_BITS = array<u32, 3>(11u, 11u, 10u);

// One radix digit (`bits` bits at `shift`) of the selection. byId 0: the selRank-th largest key among keys
// matching selPrefix in the bits above `shift`; byId 1: the selRank-th smallest id among entries whose key
// equals `tieKey` and whose id matches selPrefix above `shift`. Updates selPrefix, selRank, selCount.
// fromCache: count the cached entries instead of the row's. Holds barriers: call it from workgroup-uniform
// control flow.
fn radixDigit(lid: u32, base: u32, shift: u32, bits: u32, byId: bool, tieKey: u32, fromCache: bool) {
  var hiMask = 0u;
  if (shift + bits < 32u) { hiMask = 0xffffffffu << (shift + bits); }
  let nBins = 1u << bits;
  let digitMask = nBins - 1u;
  for (var i = lid; i < nBins; i += WG) { atomicStore(&hist[i], 0u); }
  workgroupBarrier();
  let prefix = selPrefix;
  var n = p.vocab;
  if (fromCache) { n = atomicLoad(&nCache); }
  for (var i = lid; i < n; i += WG) {
    var key: u32;
    var j = i;
    if (fromCache) {
      key = cacheK[i];
      j = cacheI[i];
    } else {
      key = orderKey(logits[base + i]);
    }
    if (byId) {
      if (key == tieKey && (j & hiMask) == prefix) { atomicAdd(&hist[(j >> shift) & digitMask], 1u); }
    } else if (key != 0u && (key & hiMask) == prefix) {
      atomicAdd(&hist[(key >> shift) & digitMask], 1u);
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    var rem = selRank;
    var total = 0u;
    var c = 0u;
    var found = false;
    for (var t = 0u; t < nBins; t++) {
      var d = digitMask - t; // keys: largest digit first
      if (byId) { d = t; } // ids: smallest first
      c = atomicLoad(&hist[d]);
      total += c;
      if (!found) {
        if (c >= rem) {
          found = true;
          selPrefix = prefix | (d << shift);
          selCount = c;
        } else {
          rem -= c;
        }
      }
    }
    selRank = rem;
    if (!byId && shift + bits == 32u && total <= p.k) { selAll = 1u; }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * p.gridStride;
  if (row >= p.rows) { return; }
  let base = row * p.vocab;
  // 1. the k-th largest order key, high digits first
  if (lid == 0u) {
    selPrefix = 0u;
    selRank = p.k;
    selAll = 0u;
    atomicStore(&nCand, 0u);
    atomicStore(&nCache, 0u);
  }
  for (var l = lid; l < SK; l += WG) {
    sk[l] = NEG_BIG;
    si[l] = NO_ID;
  }
  workgroupBarrier();
  radixDigit(lid, base, RADIX_SHIFT[0], RADIX_BITS[0], false, 0u, false);
  let all = workgroupUniformLoad(&selAll);
  let binCount = workgroupUniformLoad(&selCount);
  let d0 = workgroupUniformLoad(&selPrefix) >> RADIX_SHIFT[0];
  var cached = false;
  if (all == 0u && binCount <= CACHE) {
    // Entries above the chosen first digit are candidates for sure (fewer than k): gather them now;
    // cache the chosen bin's entries for the remaining digits.
    cached = true;
    for (var j = lid; j < p.vocab; j += WG) {
      let x = logits[base + j];
      let key = orderKey(x);
      if (key != 0u) {
        let dj = key >> RADIX_SHIFT[0];
        if (dj > d0) {
          let slot = atomicAdd(&nCand, 1u);
          if (slot < SK) {
            sk[slot] = x;
            si[slot] = j;
          }
        } else if (dj == d0) {
          let c = atomicAdd(&nCache, 1u);
          if (c < CACHE) {
            cacheK[c] = key;
            cacheI[c] = j;
          }
        }
      }
    }
    workgroupBarrier();
  }
  for (var s = 1u; s < 3u; s++) { radixDigit(lid, base, RADIX_SHIFT[s], RADIX_BITS[s], false, 0u, cached); }
  let kKey = workgroupUniformLoad(&selPrefix);
  // 2. ties at the k-th key: of the entries with that key, the `need` lowest ids are kept
  let need = workgroupUniformLoad(&selRank);
  let nEq = workgroupUniformLoad(&selCount);
  var lastId = 0xffffffffu; // keep tied entries with id <= lastId
  if (all == 0u && need < nEq) {
    if (lid == 0u) { selPrefix = 0u; }
    workgroupBarrier();
    for (var s = 0u; s < 3u; s++) { radixDigit(lid, base, RADIX_SHIFT[s], RADIX_BITS[s], true, kKey, cached); }
    lastId = workgroupUniformLoad(&selPrefix);
  }
  // 3. gather the (at most k) candidates, then sort them: larger logit first, then smaller id
  if (cached) {
    let n = atomicLoad(&nCache);
    for (var c = lid; c < n; c += WG) {
      let key = cacheK[c];
      let j = cacheI[c];
      if (key > kKey || (key == kKey && j <= lastId)) {
        let slot = atomicAdd(&nCand, 1u);
        if (slot < SK) {
          sk[slot] = logits[base + j];
          si[slot] = j;
        }
      }
    }
  } else {
    for (var j = lid; j < p.vocab; j += WG) {
      let x = logits[base + j];
      let key = orderKey(x);
      if (key != 0u && (all != 0u || key > kKey || (key == kKey && j <= lastId))) {
        let slot = atomicAdd(&nCand, 1u);
        if (slot < SK) {
          sk[slot] = x;
          si[slot] = j;
        }
      }
    }
  }
  workgroupBarrier();
  for (var k = 2u; k <= SK; k = k << 1u) {
    for (var j = k >> 1u; j > 0u; j = j >> 1u) {
      for (var t = lid; t < SK / 2u; t += WG) {
        let i = (t / j) * 2u * j + (t % j);
        let l = i + j;
        let desc = (i & k) == 0u;
        let swap = select(before(sk[i], si[i], sk[l], si[l]), before(sk[l], si[l], sk[i], si[i]), desc);
        if (swap) {
          let tk = sk[i];
          let ti = si[i];
          sk[i] = sk[l];
          si[i] = si[l];
          sk[l] = tk;
          si[l] = ti;
        }
      }
      workgroupBarrier();
    }
  }
  for (var l = lid; l < p.k; l += WG) {
    let o = (row * p.k + l) * 2u;
    outPairs[o] = bitcast<u32>(sk[l]);
    outPairs[o + 1u] = si[l];
  }
}
#endif

#if PICK
@group(0) @binding(0) var<storage, read_write> ids: array<u32>;  // (B,)
@group(0) @binding(1) var<storage, read_write> logp: array<f32>; // (B,)
@group(0) @binding(2) var<storage, read> stats: array<f32>;      // (B, nChunks, 8)
@group(0) @binding(3) var<storage, read> cand: array<u32>;       // (B, k, 2) sorted; stats again in exact mode
@group(0) @binding(4) var<storage, read> logits: array<f32>;     // (B, V)
@group(0) @binding(5) var<storage, read> temps: array<f32>;      // (B,)
@group(0) @binding(6) var<uniform> p: Params;

var<workgroup> shQ: array<f32, WG>; // candidate probabilities, then their prefix sums

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * p.gridStride;
  if (row >= p.rows) { return; }
  let temp = temps[row];
  let a = invTemp(temp);
  // 1. combine the chunk statistics (and, in exact mode, the chunk winners)
  var m = NEG_BIG;
  var sT = 0.0;
  var sU = 0.0;
  var bk = NEG_BIG;
  var bi = NO_ID;
  for (var c = lid; c < p.nChunks; c += WG) {
    let o = (row * p.nChunks + c) * 8u;
    let cm = stats[o];
    let M = max(m, cm);
    sT = sT * exp((m - M) * a) + stats[o + 1u] * exp((cm - M) * a);
    sU = sU * exp(m - M) + stats[o + 2u] * exp(cm - M);
    m = M;
    let ck = stats[o + 3u];
    let ci = bitcast<u32>(stats[o + 4u]);
    if (before(ck, ci, bk, bi)) { bk = ck; bi = ci; }
  }
  // 2. candidate mode: this thread's candidate (thread i holds the i-th largest logit)
  var x = NEG_BIG;
  var id = NO_ID;
  if (p.exact == 0u && lid < p.k) {
    let o = (row * p.k + lid) * 2u;
    x = bitcast<f32>(cand[o]);
    id = cand[o + 1u];
  }
  let valid = id < p.vocab && x > MASKED;
  reduceStats(lid, a, m, sT, sU, bk, bi);
  let rowMax = shM[0];
  let lseT = rowMax * a + log(shT[0]);
  let lseU = rowMax + log(shU[0]);
  let exactId = shI[0];
  let top = bitcast<f32>(cand[row * p.k * 2u]); // largest candidate logit (unused in exact mode)
  workgroupBarrier();
  // 3. base probabilities of the candidates, renormalised over them for top-k
  let z = x * a;
  var q = 0.0;
  if (valid) {
    if (p.renorm != 0u) { q = exp(z - top * a); } else { q = exp(z - lseT); }
  }
  shQ[lid] = q;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off / 2u) {
    if (lid < off) { shQ[lid] += shQ[lid + off]; }
    workgroupBarrier();
  }
  var total = 1.0;
  if (p.renorm != 0u) { total = shQ[0]; }
  workgroupBarrier();
  // 4. inclusive prefix sums of the probabilities (candidates are sorted), then the nucleus
  shQ[lid] = q / total;
  workgroupBarrier();
  for (var off = 1u; off < WG; off = off << 1u) {
    var add = 0.0;
    if (lid >= off) { add = shQ[lid - off]; }
    workgroupBarrier();
    shQ[lid] += add;
    workgroupBarrier();
  }
  var cumBefore = 0.0;
  if (lid > 0u) { cumBefore = shQ[lid - 1u]; }
  var kept = valid && (p.topP >= 1.0 || lid == 0u || cumBefore < p.topP);
  if (p.minP > 0.0 && !(z - top * a >= log(p.minP))) { kept = false; } // min-p (the top candidate always passes)
  // 5. Gumbel-max over the kept candidates
  var key = NEG_BIG;
  if (kept) {
    let r = philox(vec4<u32>(id / 4u, row + p.row0, 0u, 0u), vec2<u32>(p.seed, p.step));
    key = z + gumbel(noiseWord(r, id % 4u));
  }
  shK[lid] = key;
  shI[lid] = select(NO_ID, id, kept);
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off / 2u) {
    if (lid < off && before(shK[lid + off], shI[lid + off], shK[lid], shI[lid])) {
      shK[lid] = shK[lid + off];
      shI[lid] = shI[lid + off];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    var pick = exactId;
    if (p.exact == 0u) {
      if (temp > 0.0) { pick = shI[0]; } else { pick = select(NO_ID, id, valid); } // greedy: the top candidate
    }
    if (pick >= p.vocab) {
      ids[row] = 0u; // every logit masked
      logp[row] = nanF32(p.seed & 0u);
    } else {
      ids[row] = pick;
      let xp = logits[row * p.vocab + pick];
      if (p.logpRaw != 0u || !(temp > 0.0)) { logp[row] = xp - lseU; } else { logp[row] = xp * a - lseT; }
    }
  }
}
#endif
