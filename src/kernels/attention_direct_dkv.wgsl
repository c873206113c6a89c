// Causal attention backward, dK and dV, for CPU adapters: no workgroup memory, no barriers. One
// invocation per key row j of one (batch, kv head) keeps k, v and the dK / dV accumulators in registers
// (head-dim quads) and walks, for every query head of the group, the queries that can see the
// workgroup's keys (bounds uniform over the workgroup: query, dOut and stats loads broadcast to all
// lanes), recomputing P and dS: dV = P^T dOut, dK = scale * dS^T Q. Rows outside the key window get
// zeros. With VEC4 (D % 4 == 0) query / dOut rows are read as vec4 quads.
// Appended to attention_direct_common.wgsl (WG, D, D4, qQuad / gQuad, slotOf, kvOffset).

@group(0) @binding(0) var<storage, read_write> dK: array<f32>;     // (B, Hkv, S, D)
@group(0) @binding(1) var<storage, read_write> dV: array<f32>;     // (B, Hkv, S, D)
#if VEC4
@group(0) @binding(2) var<storage, read> qBuf: array<vec4<f32>>;   // (B, Hq, Tq, D / 4)
#else
@group(0) @binding(2) var<storage, read> qBuf: array<f32>;         // (B, Hq, Tq, D)
#endif
@group(0) @binding(3) var<storage, read> kBuf: array<f32>;         // (B, Hkv, S, D)
@group(0) @binding(4) var<storage, read> vBuf: array<f32>;         // (B, Hkv, S, D)
#if VEC4
@group(0) @binding(5) var<storage, read> gBuf: array<vec4<f32>>;   // dOut (B, Hq, Tq, D / 4)
#else
@group(0) @binding(5) var<storage, read> gBuf: array<f32>;         // dOut (B, Hq, Tq, D)
#endif
@group(0) @binding(6) var<storage, read> stats: array<vec2<f32>>;  // (B, Hq, Tq): lse, Di
@group(0) @binding(7) var<storage, read> range: array<u32>;        // (B, 2): first key, key end
@group(0) @binding(8) var<uniform> p: Params;

// tiles: workgroups per (batch, kv head); groupsX: workgroups along x (flat index = x + y * groupsX).
struct Params { B: u32, Hq: u32, Hkv: u32, Tq: u32, S: u32, scale: f32, tiles: u32, groupsX: u32 }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let slot = slotOf(wid);
  if (slot.b >= p.B) { return; } // padding workgroups of the x / y split

  let G = p.Hq / p.Hkv;
  let k0 = slot.tile * WG;
  let j = k0 + lid;
  let start = range[2u * slot.b];
  let end = range[2u * slot.b + 1u];
  let off = i32(end) - i32(p.Tq);
  let keyOk = j >= start && j < end;
  // First query that can see the workgroup's first key in the window (qPos = i + off >= j); none
  // (iLo = Tq) when the workgroup's keys all lie outside [start, end).
  var iLo = u32(clamp(i32(max(k0, start)) - off, 0, i32(p.Tq)));
  if (k0 + WG <= start || k0 >= end) { iLo = p.Tq; }

  let kRow = kvOffset(slot, min(j, p.S - 1u));
  var kx: array<vec4<f32>, D4>;
  var vx: array<vec4<f32>, D4>;
  for (var d = 0u; d < D; d++) {
    // Rows outside the window may hold anything (a cache's unused tail): never let them into arithmetic.
    kx[d / 4u][d % 4u] = select(0.0, kBuf[kRow + d] * p.scale, keyOk);
    vx[d / 4u][d % 4u] = select(0.0, vBuf[kRow + d], keyOk);
  }

  var dk: array<vec4<f32>, D4>;
  var dv: array<vec4<f32>, D4>;
  for (var g = 0u; g < G; g++) {
    let rowBase = (slot.b * p.Hq + slot.hk * G + g) * p.Tq;
    for (var i = iLo; i < p.Tq; i++) {
      let e = (rowBase + i) * D;
      var s = 0.0;
      var dp = 0.0;
      for (var c = 0u; c < D4; c++) {
        s += dot(kx[c], qQuad(e, c));
        dp += dot(vx[c], gQuad(e, c));
      }
      let st = stats[rowBase + i];
      let pr = select(0.0, exp(s - st.x), keyOk && i32(j) <= i32(i) + off);
      let ds = pr * (dp - st.y);
      for (var c = 0u; c < D4; c++) {
        dv[c] = fma(vec4<f32>(pr), gQuad(e, c), dv[c]);
        dk[c] = fma(vec4<f32>(ds), qQuad(e, c), dk[c]);
      }
    }
  }

  if (j < p.S) {
    for (var d = 0u; d < D; d++) {
      dK[kRow + d] = dk[d / 4u][d % 4u] * p.scale;
      dV[kRow + d] = dv[d / 4u][d % 4u];
    }
  }
}
