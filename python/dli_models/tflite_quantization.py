"""TFLite FP16, INT8 and UINT8 models for `dli optimize --framework tflite`,
one step per precision (steps/tflite_fp16.py, tflite_int8.py,
tflite_uint8.py), all optional.

- FP16: TensorFlow's converter, tf.lite.TFLiteConverter, from the
  TensorFlow SavedModel of the tensorflow step (NHWC, the graph onnx2tf
  wrote): post-training float16 quantization (Optimize.DEFAULT with
  supported_types=[float16]), weights stored in half precision and
  dequantized to float32 when the interpreter prepares the graph.
- INT8 / UINT8: full-integer post-training static quantization of the FP32
  .tflite file by AI Edge Quantizer (ai_edge_quantizer), LiteRT's quantizer
  and the successor of the converter's: its static_wi8_ai8 recipe (int8
  per-channel symmetric weights, int8 per-tensor asymmetric activations,
  every operation an integer kernel, int8 input and output) calibrated on
  the calibration set of dli optimize (transposed to NHWC, one image per
  sample). Activation ranges are its default moving average of the
  per-image minima and maxima, except the model's output, whose range is
  the extremes over the set: an int8 output clips the logits to its range,
  and with the averaged range the most confident photos' top logits
  saturated and tied (measured, docs/OPTIMIZE.md). UINT8 is the INT8 model
  with uint8 input and output (a requantizing QUANTIZE operator at both
  ends, _as_plain_tflite), as the converter's UINT8 model is.
  The DLI backend quantizes inputs and dequantizes outputs outside the timed
  call. Against the converter's full-integer models (global extremes as
  ranges) this halves the logit error: RMS 0.97 -> 0.45 on 85 images that
  are not in the sample set, top-1 equal to FP32 on 63 -> 70 of them.
"""

from typing import Optional

from dli_models import common, optimization
from dli_models.steps import tensorflow

FLOAT_TFLITE_INPUT = f"{{model_dir}}/{tensorflow.tflite_file('{model}')}"
SAVED_MODEL_INPUTS = tuple(
    f"{{model_dir}}/{tensorflow.SAVED_MODEL_DIR}/{name}"
    for name in ("saved_model.pb", "variables/variables.index",
                 "variables/variables.data-00000-of-00001"))
FRAMEWORKS = ["tflite"]
# This module and the backend's (de)quantization, which the check uses.
CODE_INPUTS = ("{repo}/python/dli_models/tflite_quantization.py",
               "{repo}/python/dli_backends/tflite.py")


def tflite_file(model: str, precision: str) -> str:
    return f"tflite/{precision.lower()}/{model}.tflite"


def needs_calibration(precision: str) -> bool:
    return precision != "FP16"


def make_step(precision: str) -> common.Step:
    """The STEP of steps/tflite_<precision>.py."""
    what = ("float16 weights" if not needs_calibration(precision) else
            f"full-integer {precision} (calibration set of dli optimize)")
    tool = ("AI Edge Quantizer from the FP32 .tflite"
            if needs_calibration(precision)
            else "tf.lite.TFLiteConverter from the SavedModel")
    return common.Step(
        name=f"tflite_{precision.lower()}",
        interpreter="tensorflow",
        description=f"TFLite {what} with {tool}",
        depends=("tensorflow",),
        inputs=common.with_check_set(
            *((FLOAT_TFLITE_INPUT,) + optimization.CALIBRATION_INPUTS
              if needs_calibration(precision) else SAVED_MODEL_INPUTS),
            *optimization.CODE_INPUTS, *CODE_INPUTS),
        outputs=(f"{{model_dir}}/{tflite_file('{model}', precision)}",),
        optional=True,
    )


def _convert_fp16(saved_model_dir) -> bytes:
    import tensorflow as tf
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model_dir))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def _as_plain_tflite(model: bytes, uint8_io: bool) -> bytes:
    """The quantizer's model as an ordinary .tflite file, with uint8 input
    and output when `uint8_io`; StepError unless its input and output are
    int8.

    AI Edge Quantizer stores the constant data of a model over 256 KiB after
    the flatbuffer (buffer offsets); it is moved back into the flatbuffer
    (LiteRT reads either; the file stays under 2 GB).

    uint8 I/O: each int8 input and output tensor gets a uint8 twin with the
    same scale and the zero point + 128, joined to it by a QUANTIZE operator
    (uint8 -> int8 in front, int8 -> uint8 at the end), which requantizes
    exactly. This is the graph that TensorFlow's converter makes for
    inference_input_type=tf.uint8; TensorFlow's own modify_model_io_type
    only rewrites models with float input and output, and the quantizer's
    has int8 ones."""
    import copy

    import numpy
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils
    parsed = flatbuffer_utils.convert_bytearray_to_object(model)
    for buffer in parsed.buffers:
        if buffer.offset > 1:
            buffer.data = numpy.frombuffer(
                model[buffer.offset:buffer.offset + buffer.size], numpy.uint8)
            buffer.offset = buffer.size = 0
    (graph,) = parsed.subgraphs
    graph.inputs, graph.outputs = list(graph.inputs), list(graph.outputs)
    for index in graph.inputs + graph.outputs:
        if graph.tensors[index].type != schema.TensorType.INT8:
            raise common.StepError(f"quantized model I/O tensor "
                                   f"{graph.tensors[index].name!r} is not int8")
    if uint8_io:
        quantize = schema.BuiltinOperator.QUANTIZE
        codes = parsed.operatorCodes
        opcode = next((i for i, code in enumerate(codes) if max(
            code.builtinCode, code.deprecatedBuiltinCode) == quantize), None)
        if opcode is None:
            code = schema.OperatorCodeT()
            code.builtinCode = code.deprecatedBuiltinCode = quantize
            code.version = 2
            codes.append(code)
            opcode = len(codes) - 1
        twins = {}

        def requantize(source: int, target: int):
            operator = schema.OperatorT()
            operator.opcodeIndex, operator.inputs = opcode, [source]
            operator.outputs = [target]
            return operator

        for io in (graph.inputs, graph.outputs):
            for position, index in enumerate(io):
                int8 = graph.tensors[index]
                twin = copy.deepcopy(int8)
                twin.type = schema.TensorType.UINT8
                twin.quantization.zeroPoint = [
                    int(zero) + 128 for zero in int8.quantization.zeroPoint]
                int8.name += b"_int8"
                graph.tensors.append(twin)
                twins[index] = io[position] = len(graph.tensors) - 1
                if io is graph.inputs:
                    graph.operators.insert(0, requantize(twins[index], index))
                else:
                    graph.operators.append(requantize(index, twins[index]))
        for signature in parsed.signatureDefs or []:
            for entry in list(signature.inputs) + list(signature.outputs):
                entry.tensorIndex = twins.get(entry.tensorIndex,
                                              entry.tensorIndex)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(parsed))


def _quantize_integer(float_tflite, precision: str, calibration_nhwc) -> bytes:
    """The full-integer model: AI Edge Quantizer's static_wi8_ai8 recipe,
    its moving-average ranges inside and the extremes at the output."""
    # ai_edge_quantizer 0.10 uses numpy.typing without importing it; numpy 2
    # imports it by itself, the numpy 1.26 of this venv does not.
    import numpy.typing  # noqa: F401
    from ai_edge_litert.interpreter import Interpreter
    from ai_edge_quantizer import calibrator, quantizer, recipe, recipe_manager
    from ai_edge_quantizer.utils import qsv_utils

    path = str(float_tflite)
    interpreter = Interpreter(model_path=path)
    ((signature, names),) = interpreter.get_signature_list().items()
    (input_name,) = names["inputs"]

    def samples():
        return {signature: [{input_name: calibration_nhwc[i:i + 1]}
                            for i in range(len(calibration_nhwc))]}

    int8_recipe = recipe.static_wi8_ai8()
    quantizer_ = quantizer.Quantizer(path, int8_recipe)
    ranges = quantizer_.calibrate(samples())
    manager = recipe_manager.RecipeManager()
    manager.load_quantization_recipe(int8_recipe)
    extremes = calibrator.Calibrator(
        path, qsv_update_func=qsv_utils.min_max_update)
    extremes.calibrate(samples(), manager)
    for output in interpreter.get_output_details():
        ranges[output["name"]] = extremes.get_model_qsvs()[output["name"]]
    return _as_plain_tflite(
        bytes(quantizer_.quantize(ranges,
                                  enable_progress_report=False).quantized_model),
        uint8_io=precision == "UINT8")


def _package_version(distribution: str) -> str:
    from importlib import metadata
    return metadata.version(distribution)


def run(context: common.Context, step: common.Step, precision: str) -> None:
    import numpy
    import tensorflow as tf

    calibration_record: Optional[dict] = None
    calibration_nhwc = None
    if needs_calibration(precision):
        calibration, calibration_record = optimization.load_calibration(context)
        calibration_nhwc = numpy.ascontiguousarray(
            calibration.transpose(0, 2, 3, 1))
    path = tflite_file(context.model, precision)
    if calibration_nhwc is None:
        tool, version = "tf.lite.TFLiteConverter", tf.__version__
        print(f"{tool} (TensorFlow {version}): SavedModel -> TFLite {precision}")
        data = _convert_fp16(context.model_dir / tensorflow.SAVED_MODEL_DIR)
        source = tensorflow.SAVED_MODEL_ID
    else:
        tool, version = "ai_edge_quantizer", _package_version("ai-edge-quantizer")
        print(f"AI Edge Quantizer {version}: FP32 .tflite -> TFLite {precision} "
              "(static_wi8_ai8)")
        data = _quantize_integer(
            context.model_dir / tensorflow.tflite_file(context.model),
            precision, calibration_nhwc)
        source = tensorflow.TFLITE_ID
    common.write_file_atomic(context.model_dir / path,
                             lambda temporary: temporary.write_bytes(data))

    names, inputs, reference = common.load_check_set(context)
    nhwc = numpy.ascontiguousarray(inputs.transpose(0, 2, 3, 1))
    optimization.check_optimized(
        f"TFLite {precision} in LiteRT",
        tensorflow.run_tflite(context.model_dir / path, [nhwc])[0], reference,
        names)
    extra = {"calibration": calibration_record} if calibration_record else {}
    common.register_formats(context, step.name, [common.format_entry(
        context, id=f"tflite-{precision.lower()}", format="tflite",
        precision=precision, path=path, layout="NHWC", frameworks=FRAMEWORKS,
        converter=tool, converter_version=version, source_format=source,
        quantization=_QUANTIZATION[precision], **extra)])


_QUANTIZATION = {
    "FP16": {"method": "post-training float16", "weights": "float16"},
    "INT8": {"method": "post-training full integer (static_wi8_ai8)",
             "weights": "int8 per-channel symmetric",
             "activations": "int8 per-tensor asymmetric",
             "activation_ranges": "moving average of the per-image minimum "
                                  "and maximum; the output: the extremes",
             "input_output": "int8"},
    "UINT8": {"method": "post-training full integer (static_wi8_ai8)",
              "weights": "int8 per-channel symmetric",
              "activations": "int8 per-tensor asymmetric",
              "activation_ranges": "moving average of the per-image minimum "
                                   "and maximum; the output: the extremes",
              "input_output": "uint8 (QUANTIZE to and from the int8 graph)"},
}
