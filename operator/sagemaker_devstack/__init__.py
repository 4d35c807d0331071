"""The local stack (kube-apiserver, SageMaker emulator, operator) behind `make demo` and the benchmarks."""
