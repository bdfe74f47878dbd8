# Debian's PyTorch (CPU): python3-torch/torchvision export the reference model
# to ONNX in the system Python; libtorch-dev is the LibTorch C++ SDK.
# PyPI's x86_64 torch is a multi-GB CUDA build: never use it here.
dli_apt python3-torch python3-torchvision libtorch-dev
