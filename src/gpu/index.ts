// The GPU layer's public surface: device acquisition, tensors and row-blocked matrices, dispatch, params, WGSL builder.
export { Gpu, type DispatchSpec, type GpuCounts, type TypedArray } from './gpu';
export { acquireDevice, describeAdapter, isNode, type AdapterReport, type AcquireOptions } from './device';
export { Tensor, expectTensor, numel, shapeStr, BYTES, type DType } from './tensor';
export { P, Params } from './params';
export { buildWgsl, type Defines } from './wgsl';
export { f32ToF16, f16ToF32, bf16ToF32, roundToHalf, toHalfBits, fromHalfBits } from '../util/f16';
export { sizeClass, type PoolStats } from './pool';
export { RowBlocks, asRowBlocks, emptyRows, readWeight, rowBlockCount, rowBlockRows, uploadRows, weightParts, wholeTensor, writeWeight, writeWeightAt, zerosRowsLike, type Weight } from './rowblocks';
