"""TensorFlow Lite through LiteRT's Python interpreter (ai-edge-litert), for
the bridged backend backends/tflite. See docs/backends/tflite.md."""

from importlib import metadata

import numpy
from ai_edge_litert.interpreter import Interpreter

from dli_backends import _bridge



def version() -> str:
    return metadata.version("ai-edge-litert")


def open(spec: dict) -> "TfliteSession":  # noqa: A001 (the bridge protocol)
    return TfliteSession(spec)


def is_quantized(details: dict) -> bool:
    """Whether a tensor holds integers that stand for real values."""
    return details["quantization"][0] != 0.0


def quantize(values: numpy.ndarray, details: dict) -> numpy.ndarray:
    """Real values -> the integers of a quantized tensor, as TFLite defines
    them: round(value / scale) + zero_point, saturated to the type."""
    scale, zero_point = details["quantization"]
    limits = numpy.iinfo(details["dtype"])
    return numpy.clip(numpy.rint(values / scale) + zero_point, limits.min,
                      limits.max).astype(details["dtype"])


def dequantize(values: numpy.ndarray, details: dict) -> numpy.ndarray:
    """The real values of a tensor: (q - zero_point) * scale when it is
    quantized, else the values as they are."""
    if not is_quantized(details):
        return values
    scale, zero_point = details["quantization"]
    return (values.astype(numpy.float32) - zero_point) * scale


class TfliteSession:
    def __init__(self, spec: dict):
        path = spec["model_path"]
        _bridge.require_model_file(path, ".tflite", "TFLite model (.tflite)")
        self._path = path
        self._batch = spec["batch"]
        # num_threads=None is LiteRT's own default, which its Python API
        # turns into 1 thread (ai_edge_litert/interpreter.py).
        self._threads = _bridge.int_param(spec["params"], "threads")
        interpreter = self._interpreter = self._new_interpreter()
        self._input = interpreter.get_input_details()[0]
        self._output = interpreter.get_output_details()[0]
        # DLI prepares float32 batches; a full-integer model (INT8/UINT8
        # input) gets them quantized with its own scale and zero point once,
        # in set_inputs, before timing.
        self._input_dtype = (numpy.float32 if is_quantized(self._input)
                             else self._input["dtype"])
        self._arrays = []
        self._slots = []
        self.infer = interpreter.invoke

    def _new_interpreter(self):
        """The model loaded and allocated at the session's batch."""
        path = self._path
        # The default op resolver applies the XNNPACK delegate to the graph.
        try:
            interpreter = Interpreter(model_path=path,
                                      num_threads=self._threads)
        except ValueError as error:  # LiteRT's message omits the file
            raise ValueError(f"cannot load TFLite model '{path}': "
                             f"{error}") from None
        details = _bridge.single_tensor(interpreter.get_input_details(),
                                        "input", path)
        _bridge.single_tensor(interpreter.get_output_details(), "output", path)
        self._input_index = details["index"]
        shape = list(details["shape"])
        if shape and shape[0] != self._batch:
            shape[0] = self._batch
            interpreter.resize_tensor_input(self._input_index, shape)
        interpreter.allocate_tensors()
        return interpreter

    def input_info(self):
        return _bridge.tensor_info(self._input["name"], self._input_dtype,
                                   self._input["shape"])

    def output_info(self):
        return _bridge.tensor_info(self._output["name"], self._output["dtype"],
                                   self._output["shape"])

    def set_inputs(self, batches):
        self._arrays = _bridge.input_arrays(batches, self._input_dtype,
                                            self._input["shape"])
        if is_quantized(self._input):
            self._arrays = [quantize(array, self._input)
                            for array in self._arrays]

    def bind(self, index: int):
        # set_tensor copies into the interpreter's input buffer: untimed here.
        self._interpreter.set_tensor(self._input_index, self._arrays[index])

    def open_requests(self, n: int):
        # An Interpreter is not thread-safe: one per slot, each invoke()
        # releasing the GIL while it computes.
        self._slots = [self._new_interpreter() for _ in range(n)]
        return [interpreter.invoke for interpreter in self._slots]

    def bind_request(self, slot: int, index: int):
        self._slots[slot].set_tensor(self._input_index, self._arrays[index])

    def read_output(self, out):
        _bridge.copy_output(out, dequantize(
            self._interpreter.get_tensor(self._output["index"]), self._output))
