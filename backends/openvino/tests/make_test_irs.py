"""Converts the tiny test network to the OpenVINO IR variants the tests read.

Run with the OpenVINO venv's python: make_test_irs.py TINY_DIR. Reads
TINY_DIR/tiny.onnx (backends/sdk/testing/make_tiny_models.py) and writes:
  tiny_fp32.xml/.bin        the network as converted
  tiny_fp16.xml/.bin        weights compressed to float16
  tiny_f16_output.xml/.bin  float32 weights, output tensor in float16
"""
import pathlib
import sys

import openvino as ov


def main(tiny_dir):
    tiny_dir = pathlib.Path(tiny_dir)
    model = ov.convert_model(str(tiny_dir / "tiny.onnx"))
    ov.save_model(model, str(tiny_dir / "tiny_fp32.xml"), compress_to_fp16=False)
    ov.save_model(model, str(tiny_dir / "tiny_fp16.xml"), compress_to_fp16=True)

    ppp = ov.preprocess.PrePostProcessor(ov.convert_model(str(tiny_dir / "tiny.onnx")))
    ppp.output().tensor().set_element_type(ov.Type.f16)
    ov.save_model(ppp.build(), str(tiny_dir / "tiny_f16_output.xml"),
                  compress_to_fp16=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_test_irs.py TINY_DIR")
    main(sys.argv[1])
