// One Gpu per test file (Node + Dawn, or the browser's navigator.gpu). Logs the adapter so every
// test log names what it ran on. A missing adapter fails with the acquisition's fix-it message.

import { Gpu } from '../../src/gpu';

let shared: Promise<Gpu> | null = null;

export function getTestGpu(): Promise<Gpu> {
  if (!shared) {
    shared = Gpu.create().then((gpu) => {
      console.log(`[gpu] adapter: ${gpu.describe()}`);
      return gpu;
    });
  }
  return shared;
}
