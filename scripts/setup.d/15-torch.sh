# Debian's PyTorch (CPU): python3-torch/torchvision export the reference model
# to ONNX in the system Python; libtorch-dev is the LibTorch C++ SDK.
# PyPI's x86_64 torch is a multi-GB CUDA build: never use it here.
# libopenblas0-pthread: LibTorch routes many convolutions through the system
# BLAS, which is otherwise Debian's unoptimised reference BLAS (about 5.7x
# slower on MobileNetV2 here; docs/backends/pytorch.md).
dli_apt python3-torch python3-torchvision libtorch-dev libopenblas0-pthread
