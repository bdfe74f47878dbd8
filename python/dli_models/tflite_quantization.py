"""TFLite FP16, INT8 and UINT8 models made by TensorFlow's own converter,
tf.lite.TFLiteConverter, from the TensorFlow SavedModel of the tensorflow
step (NHWC, the graph onnx2tf wrote). One step per precision
(steps/tflite_fp16.py, tflite_int8.py, tflite_uint8.py), all optional:
`dli optimize --framework tflite` runs them.

- FP16: post-training float16 quantization (Optimize.DEFAULT with
  supported_types=[float16]): weights stored in half precision, dequantized
  to float32 when the interpreter prepares the graph.
- INT8 / UINT8: full-integer post-training quantization with a
  representative dataset (the calibration set of dli optimize, transposed
  to NHWC) and TFLITE_BUILTINS_INT8 only, so every operation is an integer
  kernel. TensorFlow 2's quantizer is int8 inside (per-channel symmetric
  weights, asymmetric activations); INT8 and UINT8 differ only in the type
  of the model's input and output tensors (inference_input_type /
  inference_output_type), which the DLI plugin quantizes and dequantizes
  outside the timed call.
"""

from typing import Optional

from dli_models import common, optimization
from dli_models.steps import tensorflow

SAVED_MODEL_INPUTS = tuple(
    f"{{model_dir}}/{tensorflow.SAVED_MODEL_DIR}/{name}"
    for name in ("saved_model.pb", "variables/variables.index",
                 "variables/variables.data-00000-of-00001"))
FRAMEWORKS = ["tflite"]
# This module and the plugin's (de)quantization, which the check uses.
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
    return common.Step(
        name=f"tflite_{precision.lower()}",
        interpreter="tensorflow",
        description=f"TFLite {what} from the SavedModel with "
                    "tf.lite.TFLiteConverter",
        depends=("tensorflow",),
        inputs=SAVED_MODEL_INPUTS
        + (optimization.CALIBRATION_INPUTS if needs_calibration(precision)
           else ()) + common.CHECK_OUTPUTS + optimization.CODE_INPUTS
        + CODE_INPUTS,
        outputs=(f"{{model_dir}}/{tflite_file('{model}', precision)}",),
        optional=True,
    )


def _convert(saved_model_dir, precision: str, calibration_nhwc) -> bytes:
    import tensorflow as tf
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model_dir))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if not needs_calibration(precision):
        converter.target_spec.supported_types = [tf.float16]
        return converter.convert()
    # One image per representative sample, as TensorFlow's guide does.
    converter.representative_dataset = lambda: (
        [calibration_nhwc[i:i + 1]] for i in range(len(calibration_nhwc)))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    integer_type = {"INT8": tf.int8, "UINT8": tf.uint8}[precision]
    converter.inference_input_type = integer_type
    converter.inference_output_type = integer_type
    return converter.convert()


def run_tflite(path, nhwc_batch):
    """Logits of a (possibly full-integer) .tflite file on a float batch, with
    the plugin's own input quantization and output dequantization."""
    from ai_edge_litert.interpreter import Interpreter

    from dli_backends import tflite as tflite_backend
    interpreter = Interpreter(model_path=str(path))
    (details,) = interpreter.get_input_details()
    interpreter.resize_tensor_input(details["index"], nhwc_batch.shape)
    interpreter.allocate_tensors()
    values = (tflite_backend.quantize(nhwc_batch, details)
              if tflite_backend.is_quantized(details) else nhwc_batch)
    interpreter.set_tensor(details["index"], values)
    interpreter.invoke()
    (output,) = interpreter.get_output_details()
    return tflite_backend.dequantize(interpreter.get_tensor(output["index"]),
                                     output)


def run(context: common.Context, step: common.Step, precision: str) -> None:
    import numpy
    import tensorflow as tf

    calibration_record: Optional[dict] = None
    calibration_nhwc = None
    if needs_calibration(precision):
        calibration, calibration_record = optimization.load_calibration(context)
        calibration_nhwc = numpy.ascontiguousarray(
            calibration.transpose(0, 2, 3, 1))
    print(f"tf.lite.TFLiteConverter (TensorFlow {tf.__version__}): "
          f"SavedModel -> TFLite {precision}")
    path = tflite_file(context.model, precision)
    data = _convert(context.model_dir / tensorflow.SAVED_MODEL_DIR, precision,
                    calibration_nhwc)
    common.write_file_atomic(context.model_dir / path,
                             lambda temporary: temporary.write_bytes(data))

    names, inputs, reference = common.load_check_set(context)
    nhwc = numpy.ascontiguousarray(inputs.transpose(0, 2, 3, 1))
    optimization.check_optimized(
        f"TFLite {precision} in LiteRT",
        run_tflite(context.model_dir / path, nhwc), reference, names)
    extra = {"calibration": calibration_record} if calibration_record else {}
    common.register_formats(context, step.name, [common.format_entry(
        context, id=f"tflite-{precision.lower()}", format="tflite",
        precision=precision, path=path, layout="NHWC", frameworks=FRAMEWORKS,
        converter="tf.lite.TFLiteConverter", converter_version=tf.__version__,
        source_format=tensorflow.SAVED_MODEL_ID,
        quantization=_QUANTIZATION[precision], **extra)])


_QUANTIZATION = {
    "FP16": {"method": "post-training float16", "weights": "float16"},
    "INT8": {"method": "post-training full integer",
             "weights": "int8 per-channel symmetric",
             "activations": "int8 per-tensor asymmetric",
             "input_output": "int8"},
    "UINT8": {"method": "post-training full integer",
              "weights": "int8 per-channel symmetric",
              "activations": "int8 per-tensor asymmetric",
              "input_output": "uint8"},
}
