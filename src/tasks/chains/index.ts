// Public API of the chains world (procedural multi-step integer arithmetic programs).

export * from './config';
export * from './diverge';
export * from './generate';
export * from './grade';
export * from './habit';
export * from './program';
export * from './render';
export * from './solve';
export * from './steps';
export * from './task';
export * from './verify';
export type { Grade, Problem, PromptRenderers, Split, Task } from '../task';
