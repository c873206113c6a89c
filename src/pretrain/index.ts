// src/pretrain/: pretraining the embedded chains model from scratch (config.ts, state.ts, run.ts,
// batch.ts, own-attempts.ts, checkpoints.ts, folder.ts) and measuring a model (model-report.ts).
// May import gpu, kernels, model, train, int and the leaves io, tasks, util; never cli, worker, ui.

export * from './config';
export * from './folder';
export * from './model-report';
export * from './run';
export { verdictWeights } from './batch';
export * from './types';
