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


def _aliases(name: str):
    """The names a model description may use for a TFLite input: a
    converted SavedModel's signature input 'x' becomes
    'serving_default_x:0'."""
    if name.startswith("serving_default_") and name.endswith(":0"):
        return (name[len("serving_default_"):-2],)
    return ()


class TfliteSession:
    def __init__(self, spec: dict):
        path = spec["model_path"]
        _bridge.require_model_file(path, ".tflite", "TFLite model (.tflite)")
        self._path = path
        self._spec = spec
        # num_threads=None is LiteRT's own default, which its Python API
        # turns into 1 thread (ai_edge_litert/interpreter.py).
        self._threads = _bridge.int_param(spec["params"], "threads")
        interpreter = self._interpreter = self._new_interpreter()
        self._inputs = interpreter.get_input_details()
        self._outputs = interpreter.get_output_details()
        # DLI prepares float32 batches for a quantized input (INT8/UINT8 of
        # a full-integer model); set_inputs quantizes them with its own
        # scale and zero point once, before timing.
        self._input_dtypes = [numpy.float32 if is_quantized(details)
                              else details["dtype"] for details in self._inputs]
        self._arrays = []
        self._slots = []
        self.infer = interpreter.invoke

    def _new_interpreter(self):
        """The model loaded and allocated at the session's batch and input
        shapes."""
        path = self._path
        # The default op resolver applies the XNNPACK delegate to the graph.
        try:
            interpreter = Interpreter(model_path=path,
                                      num_threads=self._threads)
        except ValueError as error:  # LiteRT's message omits the file
            raise ValueError(f"cannot load TFLite model '{path}': "
                             f"{error}") from None
        inputs = interpreter.get_input_details()
        names = [details["name"] for details in inputs]
        _bridge.check_shape_names(
            self._spec, names,
            {alias: name for name in names for alias in _aliases(name)})
        for details in inputs:
            signature = details.get("shape_signature", details["shape"])
            dims = _bridge.resolve_shape(self._spec, details["name"],
                                         list(signature),
                                         _aliases(details["name"]))
            if dims != list(details["shape"]):
                interpreter.resize_tensor_input(details["index"], dims)
        interpreter.allocate_tensors()
        return interpreter

    def inputs(self):
        return [_bridge.tensor_info(details["name"], dtype, details["shape"])
                for details, dtype in zip(self._inputs, self._input_dtypes)]

    def outputs(self):
        return [_bridge.tensor_info(details["name"], details["dtype"],
                                    details["shape"])
                for details in self._outputs]

    def set_inputs(self, batches):
        self._arrays = _bridge.input_arrays(
            batches, self._input_dtypes,
            [details["shape"] for details in self._inputs])
        self._arrays = [
            [quantize(array, details) if is_quantized(details) else array
             for array, details in zip(batch, self._inputs)]
            for batch in self._arrays]

    def _set(self, interpreter, index: int):
        # set_tensor copies into the interpreter's input buffers: untimed.
        for details, array in zip(self._inputs, self._arrays[index]):
            interpreter.set_tensor(details["index"], array)

    def bind(self, index: int):
        self._set(self._interpreter, index)

    def open_requests(self, n: int):
        # An Interpreter is not thread-safe: one per slot, each invoke()
        # releasing the GIL while it computes.
        self._slots = [self._new_interpreter() for _ in range(n)]
        return [interpreter.invoke for interpreter in self._slots]

    def bind_request(self, slot: int, index: int):
        self._set(self._slots[slot], index)

    def read_output(self, index: int, out):
        details = self._outputs[index]
        _bridge.copy_output(out, dequantize(
            self._interpreter.get_tensor(details["index"]), details))
