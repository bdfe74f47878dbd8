"""ONNX Runtime (CPU) through its Python API, for the bridged backend
backends/onnxruntime. Inputs and the output are bound with IOBinding before
timing, so infer() runs the graph and copies nothing.
See docs/backends/onnxruntime.md."""

import functools

import numpy
import onnxruntime

from dli_backends import _bridge

OPT_LEVELS = {
    "disable": onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
}
EXECUTION_MODES = {
    "sequential": onnxruntime.ExecutionMode.ORT_SEQUENTIAL,
    "parallel": onnxruntime.ExecutionMode.ORT_PARALLEL,
}
# ONNX tensor element types DLI exchanges, as ONNX Runtime names them.
DTYPES = {"tensor(float)": numpy.float32, "tensor(uint8)": numpy.uint8,
          "tensor(int8)": numpy.int8}


def version() -> str:
    return onnxruntime.__version__


def open(spec: dict) -> "OnnxRuntimeSession":  # noqa: A001 (bridge protocol)
    return OnnxRuntimeSession(spec)


def _dtype(node) -> numpy.dtype:
    if node.type not in DTYPES:
        raise ValueError(f"tensor '{node.name}' is {node.type}; DLI exchanges "
                         f"{', '.join(DTYPES)}")
    return numpy.dtype(DTYPES[node.type])


def _shape(node, batch: int):
    """The node's shape at `batch`: a dynamic first dimension becomes the
    batch; any other dynamic dimension cannot be pre-allocated."""
    shape = []
    for axis, dim in enumerate(node.shape):
        if not isinstance(dim, int) or dim < 0:
            if axis != 0:
                raise ValueError(f"tensor '{node.name}' has the dynamic "
                                 f"dimension {axis} ('{dim}'); DLI needs "
                                 "static shapes apart from the batch")
            dim = batch
        elif axis == 0 and dim != batch:
            raise ValueError(f"tensor '{node.name}' has a fixed batch of "
                             f"{dim}; cannot run batch {batch}")
        shape.append(dim)
    return shape


class OnnxRuntimeSession:
    def __init__(self, spec: dict):
        path = spec["model_path"]
        params = spec["params"]
        _bridge.require_model_file(path, ".onnx", "ONNX model (.onnx)")
        options = onnxruntime.SessionOptions()
        # Unset thread counts stay 0: ONNX Runtime's own default.
        options.intra_op_num_threads = (
            _bridge.int_param(params, "threads") or 0)
        options.inter_op_num_threads = (
            _bridge.int_param(params, "inter_threads") or 0)
        options.graph_optimization_level = _bridge.choice_param(
            params, "opt_level", OPT_LEVELS, "all")
        options.execution_mode = _bridge.choice_param(
            params, "execution_mode", EXECUTION_MODES, "sequential")
        self._session = onnxruntime.InferenceSession(
            path, options, providers=["CPUExecutionProvider"])
        batch = spec["batch"]
        input_node = _bridge.single_tensor(self._session.get_inputs(),
                                           "input", path)
        output_node = _bridge.single_tensor(self._session.get_outputs(),
                                            "output", path)
        self._input = (input_node.name, _dtype(input_node),
                       _shape(input_node, batch))
        self._output = (output_node.name, _dtype(output_node),
                        _shape(output_node, batch))
        self._output_array, self._binding = self._new_binding()
        self._values = []
        self._slot_bindings = []
        self.infer = functools.partial(self._session.run_with_iobinding,
                                       self._binding)

    def _new_binding(self):
        """An IOBinding with an output array of its own."""
        array = numpy.empty(self._output[2], self._output[1])
        binding = self._session.io_binding()
        binding.bind_ortvalue_output(
            self._output[0], onnxruntime.OrtValue.ortvalue_from_numpy(array))
        return array, binding

    def input_info(self):
        return _bridge.tensor_info(*self._input)

    def output_info(self):
        return _bridge.tensor_info(*self._output)

    def set_inputs(self, batches):
        # OrtValues over the caller's memory: ONNX Runtime reads the batch
        # in place, nothing is copied before or during infer().
        self._values = [
            onnxruntime.OrtValue.ortvalue_from_numpy(array)
            for array in _bridge.input_arrays(batches, self._input[1],
                                              self._input[2])]

    def bind(self, index: int):
        self._binding.bind_ortvalue_input(self._input[0], self._values[index])

    def open_requests(self, n: int):
        # Run() is thread-safe on one session (onnxruntime_perf_test -c N
        # does the same); each slot binds its own input and output.
        self._slot_bindings = [self._new_binding() for _ in range(n)]
        return [functools.partial(self._session.run_with_iobinding, binding)
                for _, binding in self._slot_bindings]

    def bind_request(self, slot: int, index: int):
        self._slot_bindings[slot][1].bind_ortvalue_input(
            self._input[0], self._values[index])

    def read_output(self, out):
        _bridge.copy_output(out, self._output_array)
