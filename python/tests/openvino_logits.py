"""Runs a model file through OpenVINO's CPU plugin (in .venv/openvino) on an
input batch and saves the logits: openvino_logits.py MODEL INPUT.npy OUT.npy

f32 arithmetic is pinned because the CPU plugin picks bf16 by default on
CPUs that have it, and these tests check the files, not that choice."""

import sys

import numpy
import openvino


def main(model_path: str, input_path: str, output_path: str) -> None:
    compiled = openvino.Core().compile_model(
        model_path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    result = compiled({compiled.input(0): numpy.load(input_path)})
    numpy.save(output_path, result[compiled.output(0)])


if __name__ == "__main__":
    main(*sys.argv[1:])
