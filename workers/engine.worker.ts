// The engine's web worker: owns the GPUDevice and exposes the engine API to the page through comlink.
import * as Comlink from 'comlink';
import { Gpu, type AdapterReport } from '../src/gpu';

let gpu: Gpu | null = null;

const api = {
  /** Acquire the device (once) and return the adapter report. Throws the fix-it message when WebGPU is missing. */
  async init(): Promise<AdapterReport> {
    if (!gpu) {
      gpu = await Gpu.create();
      void gpu.lost.then((info) => console.error(`GPU device lost: ${info.reason} ${info.message}`));
    }
    return gpu.report;
  },
};

export type EngineApi = typeof api;
Comlink.expose(api);
