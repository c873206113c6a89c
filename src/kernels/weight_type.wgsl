// Element type WT of frozen weights, for kernels that read them as f16 or f32: built with F16 (the weights
// are f16 and the device has shader-f16) it is f16, else f32. Prepended first (it holds `enable f16;`)
// by rmsnorm.ts, embedding.ts and lora_merge.ts before buildWgsl.
#if F16
enable f16;
alias WT = f16;
#else
alias WT = f32;
#endif
