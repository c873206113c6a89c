// Embedding backward, pass 1 (thread per token n): links[n] = the next token m > n with the same id
// (N if none); links[N + n] = 1 if n is the first token with its id, else 0. Chains of equal ids
// let pass 2 sum each vocabulary row's gradient in one thread, in token order, without atomics.

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read_write> links: array<u32>;  // (2N,)
@group(0) @binding(1) var<storage, read> ids: array<u32>;          // (N,)
@group(0) @binding(2) var<uniform> p: Params;

struct Params { N: u32, rowStride: u32 }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x + gid.y * p.rowStride;
  if (n >= p.N) { return; }
  let id = ids[n];
  var first = 1u;
  for (var m = 0u; m < n; m++) {
    if (ids[m] == id) { first = 0u; break; }
  }
  var next = p.N;
  for (var m = n + 1u; m < p.N; m++) {
    if (ids[m] == id) { next = m; break; }
  }
  links[n] = next;
  links[p.N + n] = first;
}
