// A minimal CUDA source for the DSL's UI tests.
extern "C" __global__ void __launch_bounds__(THREADS) ui_kernel(float* out) {
    if (threadIdx.x < WIDTH) out[threadIdx.x] = FAST ? 1.0f : 2.0f;
}
