"""TFLite INT8 from the FP32 .tflite file with AI Edge Quantizer
(see dli_models/tflite_quantization.py). Optional step:
`dli optimize --to int8 --framework tflite` runs it."""

from dli_models import common, tflite_quantization

PRECISION = "INT8"
STEP = tflite_quantization.make_step(PRECISION)


def run(context: common.Context) -> None:
    tflite_quantization.run(context, STEP, PRECISION)


if __name__ == "__main__":
    common.step_main(STEP, run)
