"""The ONNX hub of a model imported from TorchScript: exported with Debian's
torch (opset 13, dynamic batch), and the TorchScript archive itself kept as
the PyTorch backend's format, with the dli_io.json it reads. The reference
outputs of every parity check are the TorchScript model's own, on the check
set. A model imported from ONNX has nothing to do here.
"""

from dli_models import common
from dli_models.steps import source, torchscript

ONNX_OPSET = 13


def is_torchscript(context: common.Context) -> bool:
    try:
        metadata = common.read_model_json(context)
    except common.StepError:
        return False
    return metadata.get("source", {}).get("format") == "torchscript"


def _outputs(context: common.Context):
    if not is_torchscript(context):
        return []
    return ([common.hub_onnx(context),
             context.model_dir / f"torchscript/{context.model}.pt"]
            + common.check_output_paths(context))


STEP = common.Step(
    name="source_export",
    interpreter=common.SYSTEM_INTERPRETER,
    description="export an imported TorchScript model to ONNX (the hub) and "
                "run it on the check set",
    depends=("source_inputs",),
    origin=common.IMPORTED,
    formats=("torchscript",), frameworks=("pytorch",),
    converter="(the imported file)",
    inputs=lambda context: sorted((context.model_dir / "source").glob("*"))
    + common.check_input_paths(context),
    outputs=_outputs,
)


def run(context: common.Context) -> None:
    if not is_torchscript(context):
        print("the source is ONNX: nothing to export")
        common.register_formats(context, STEP.name, [])
        return
    import torch
    metadata = common.read_model_json(context)
    inputs_meta = common.model_inputs(metadata)
    outputs_meta = common.model_outputs(metadata)
    module = torch.jit.load(str(context.model_dir / metadata["source"]["file"]),
                            map_location="cpu").eval()
    names, inputs = source.load_inputs(context)
    outputs = torchscript.run_module(module, inputs)
    common.write_check_arrays(context, common.check_output_paths(context),
                              outputs)
    folder = context.model_dir / common.CHECK_DIR
    what = f"the source TorchScript in torch {torch.__version__}"
    common.write_file_atomic(folder / common.CHECK_SOURCE,
                             lambda temporary: temporary.write_text(what + "\n"))
    print(f"{what}: outputs {[list(output.shape) for output in outputs]} on "
          f"{len(names)} inputs")
    examples = tuple(torch.from_numpy(batch[:1]) for batch in inputs)
    hub = common.hub_onnx(context)
    dynamic_batch = {entry["name"]: {0: "batch"}
                     for entry in inputs_meta + outputs_meta}
    try:
        common.write_file_atomic(hub, lambda temporary: torch.onnx.export(
            module, examples, str(temporary), opset_version=ONNX_OPSET,
            input_names=[entry["name"] for entry in inputs_meta],
            output_names=[entry["name"] for entry in outputs_meta],
            dynamic_axes=dynamic_batch))
    except Exception as error:  # the exporter raises several types
        raise common.StepError(
            f"torch.onnx.export {torch.__version__} cannot export it: "
            + (str(error).strip().splitlines() or [type(error).__name__])[0]
        ) from None
    metadata["source"]["exporter_version"] = torch.__version__
    common.write_json_atomic(context.model_json, metadata)
    path = context.model_dir / f"torchscript/{context.model}.pt"
    torchscript.save_torchscript(module, path, metadata)
    parity = common.compare_outputs(
        "TorchScript with dli_io.json", torchscript.infer(path, inputs),
        outputs, names, [entry["name"] for entry in outputs_meta],
        max_abs_diff=0.0)
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="torchscript-fp32", format="torchscript", precision="FP32",
        path=str(path.relative_to(context.model_dir)), frameworks=["pytorch"],
        converter="(the imported file)", converter_version="-",
        layout=inputs_meta[0].get("layout") or "NCHW", parity=parity)])
    print(f"exported {hub.relative_to(context.model_dir)} with torch "
          f"{torch.__version__}, opset {ONNX_OPSET}, dynamic batch")


if __name__ == "__main__":
    common.step_main(STEP, run)
