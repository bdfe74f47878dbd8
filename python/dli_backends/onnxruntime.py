"""ONNX Runtime (CPU) through its Python API, for the bridged backend
backends/onnxruntime. Every input and output is bound with IOBinding before
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
DTYPES = {"tensor(float)": numpy.float32, "tensor(float16)": numpy.float16,
          "tensor(int64)": numpy.int64, "tensor(int32)": numpy.int32,
          "tensor(int8)": numpy.int8, "tensor(uint8)": numpy.uint8,
          "tensor(bool)": numpy.bool_}


def version() -> str:
    return onnxruntime.__version__


def open(spec: dict) -> "OnnxRuntimeSession":  # noqa: A001 (bridge protocol)
    return OnnxRuntimeSession(spec)


def _dtype(node) -> numpy.dtype:
    if node.type not in DTYPES:
        raise ValueError(f"tensor '{node.name}' is {node.type}; DLI exchanges "
                         f"{', '.join(DTYPES)}")
    return numpy.dtype(DTYPES[node.type])


def _file_dims(node, batch: int):
    """The node's dimensions, -1 where the file leaves one open; a fixed
    batch other than `batch` cannot run."""
    dims = [dim if isinstance(dim, int) and dim >= 0 else -1
            for dim in node.shape]
    if dims and dims[0] not in (-1, batch):
        raise ValueError(f"tensor '{node.name}' has a fixed batch of "
                         f"{dims[0]}; cannot run batch {batch}")
    return dims


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
        input_nodes = self._session.get_inputs()
        _bridge.check_shape_names(spec, [node.name for node in input_nodes])
        self._inputs = [
            (node.name, _dtype(node),
             _bridge.resolve_shape(spec, node.name, _file_dims(node, batch)))
            for node in input_nodes]
        self._outputs = [(node.name, _dtype(node), _file_dims(node, batch))
                         for node in self._session.get_outputs()]
        if any(dim < 0 for _, _, shape in self._outputs for dim in shape[1:]):
            self._outputs = self._outputs_of_one_run()
        for _, _, shape in self._outputs:
            if shape:
                shape[0] = batch
        self._output_arrays, self._binding = self._new_binding()
        self._values = []
        self._slot_bindings = []
        self.infer = functools.partial(self._session.run_with_iobinding,
                                       self._binding)

    def _outputs_of_one_run(self):
        """Output shapes that depend on the inputs' (a sequence length): one
        run on zeros at open tells them."""
        feeds = {name: numpy.zeros(shape, dtype)
                 for name, dtype, shape in self._inputs}
        values = self._session.run(None, feeds)
        return [(name, dtype, list(value.shape))
                for (name, dtype, _), value in zip(self._outputs, values)]

    def _new_binding(self):
        """An IOBinding with output arrays of its own."""
        arrays = [numpy.empty(shape, dtype) for _, dtype, shape in self._outputs]
        binding = self._session.io_binding()
        for (name, _, _), array in zip(self._outputs, arrays):
            binding.bind_ortvalue_output(
                name, onnxruntime.OrtValue.ortvalue_from_numpy(array))
        return arrays, binding

    def inputs(self):
        return [_bridge.tensor_info(*tensor) for tensor in self._inputs]

    def outputs(self):
        return [_bridge.tensor_info(*tensor) for tensor in self._outputs]

    def set_inputs(self, batches):
        # OrtValues over the caller's memory: ONNX Runtime reads the batch
        # in place, nothing is copied before or during infer().
        arrays = _bridge.input_arrays(
            batches, [dtype for _, dtype, _ in self._inputs],
            [shape for _, _, shape in self._inputs])
        self._values = [[onnxruntime.OrtValue.ortvalue_from_numpy(array)
                         for array in batch] for batch in arrays]

    def _bind_inputs(self, binding, index: int):
        for (name, _, _), value in zip(self._inputs, self._values[index]):
            binding.bind_ortvalue_input(name, value)

    def bind(self, index: int):
        self._bind_inputs(self._binding, index)

    def open_requests(self, n: int):
        # Run() is thread-safe on one session (onnxruntime_perf_test -c N
        # does the same); each slot binds its own input and output.
        self._slot_bindings = [self._new_binding() for _ in range(n)]
        return [functools.partial(self._session.run_with_iobinding, binding)
                for _, binding in self._slot_bindings]

    def bind_request(self, slot: int, index: int):
        self._bind_inputs(self._slot_bindings[slot][1], index)

    def read_output(self, index: int, out):
        _bridge.copy_output(out, self._output_arrays[index])
