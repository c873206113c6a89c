// Native f32 FMA ceiling: T threads, each 12 independent 256-bit FMA chains; reports wall and CPU-time rates.
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static long ITERS = 200000000L / 12;
static float sink[64];
static void *run(void *arg) {
  long id = (long)arg;
  __m256 m = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-3f);
  __m256 a[12];
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps(0.01f * i + id);
  for (long it = 0; it < ITERS; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
  }
  __m256 t = a[0];
  for (int i = 1; i < 12; i++) t = _mm256_add_ps(t, a[i]);
  float o[8]; _mm256_storeu_ps(o, t); sink[id] = o[0] + o[7];
  return 0;
}
static double now(clockid_t c) { struct timespec ts; clock_gettime(c, &ts); return ts.tv_sec + ts.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
  int T = argc > 1 ? atoi(argv[1]) : 2;
  pthread_t th[64];
  double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
  for (long i = 0; i < T; i++) pthread_create(&th[i], 0, run, (void *)i);
  for (int i = 0; i < T; i++) pthread_join(th[i], 0);
  double w = now(CLOCK_MONOTONIC) - w0, c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
  double flops = (double)T * ITERS * 12 * 8 * 2;
  printf("threads %d: %.1f GFLOP/s wall, %.1f GFLOP/s per CPU-second (x cores = %.1f), flops/cycle at 2.596 GHz per CPU-s %.1f, sink %g\n", T, flops / w / 1e9, flops / c / 1e9, flops / c / 1e9 * 2, flops / c / 2.596e9, sink[0]);
}
