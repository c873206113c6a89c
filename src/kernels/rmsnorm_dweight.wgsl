// RMSNorm weight gradient without atomics, stage 1: partial[chunk, c] = sum over the chunk's rows of
// dy[n, c] * x[n, c] * rstd[n]. A workgroup covers TC columns x TR row lanes; lanes are reduced in
// shared memory in a fixed order, so the result is deterministic.

override TC: u32 = 64u;
override TR: u32 = 4u;

@group(0) @binding(0) var<storage, read_write> partial: array<f32>;  // (chunks, C)
@group(0) @binding(1) var<storage, read> dOut: array<f32>;           // (N, C)
@group(0) @binding(2) var<storage, read> xBuf: array<f32>;           // (N, C)
@group(0) @binding(3) var<storage, read> rstdBuf: array<f32>;        // (N,)
@group(0) @binding(4) var<uniform> p: Params;

struct Params { rows: u32, C: u32, rowsPerChunk: u32, pad: u32 }

var<workgroup> red: array<f32, TC * TR>;

@compute @workgroup_size(TC, TR)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = wid.x * TC + lid.x;
  let chunk = wid.y;
  let r0 = chunk * p.rowsPerChunk;
  let r1 = min(r0 + p.rowsPerChunk, p.rows);
  var s = 0.0;
  if (c < p.C) {
    for (var r = r0 + lid.y; r < r1; r += TR) {
      let i = r * p.C + c;
      s += dOut[i] * xBuf[i] * rstdBuf[r];
    }
  }
  red[lid.y * TC + lid.x] = s;
  workgroupBarrier();
  if (lid.y == 0u && c < p.C) {
    var t = 0.0;
    for (var k = 0u; k < TR; k++) { t += red[k * TC + lid.x]; }
    partial[chunk * p.C + c] = t;
  }
}
