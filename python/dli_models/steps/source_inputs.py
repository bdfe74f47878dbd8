"""The check set's inputs for an imported model: the sample photos
preprocessed as model.json declares, or, for a model without images (task
generic or no preprocessing), a seeded synthetic batch. The `source` step
then runs the imported file on them; every converter compares with that.
"""

from dli_models import common
from dli_models.steps import reference

SYNTHETIC_BATCH = 2
SEED = 20261201


def _inputs(context: common.Context):
    return [context.sample_dir / "manifest.txt"] + reference.sample_photo_paths(
        context) if context.sample_dir.exists() else []


STEP = common.Step(
    name="source_inputs",
    interpreter=common.SYSTEM_INTERPRETER,
    description="preprocess the sample photos (or make synthetic inputs) "
                "for the imported model's parity checks",
    origin=common.IMPORTED,
    inputs=_inputs,
    outputs=("{model_dir}/reference/check_images.txt",
             "{model_dir}/reference/check_input.npy"),
)


def uses_photos(metadata: dict) -> bool:
    preprocessing = metadata.get("preprocessing") or {}
    return (metadata["task"] == "image_classification"
            and "crop" in preprocessing)


def synthetic_batch(input_meta: dict):
    import numpy
    shape = [SYNTHETIC_BATCH] + input_meta["shape"][1:]
    if any(dim < 0 for dim in shape):
        raise common.StepError(
            f"input {input_meta['name']} has shape {input_meta['shape']}: "
            "give every dimension but the batch with --input")
    generator = numpy.random.default_rng(SEED)
    dtype = numpy.dtype(input_meta["dtype"])
    if dtype.kind == "f":
        return generator.standard_normal(shape).astype(dtype)
    if dtype.kind == "b":
        return numpy.ones(shape, dtype)
    return generator.integers(0, 10, shape).astype(dtype)


def run(context: common.Context) -> None:
    import numpy
    import torch
    metadata = common.read_model_json(context)
    input_meta = metadata["input"]
    if uses_photos(metadata):
        photos = common.read_sample_manifest(context.sample_dir)
        names = [name for name, _ in photos]
        batch = torch.stack([
            reference.preprocess(context.sample_dir / name,
                                 metadata["preprocessing"])
            for name in names]).numpy()
        if input_meta.get("layout") == "NHWC":
            batch = numpy.ascontiguousarray(batch.transpose(0, 2, 3, 1))
        print(f"check set: the {len(names)} sample photos, preprocessed as "
              "model.json declares")
    else:
        batch = synthetic_batch(input_meta)
        names = [f"synthetic-{index}" for index in range(len(batch))]
        print(f"check set: {len(names)} synthetic inputs (seed {SEED}): the "
              "model declares no image preprocessing")
    folder = context.model_dir / common.CHECK_DIR
    common.write_file_atomic(folder / "check_input.npy",
                             lambda temporary: numpy.save(temporary, batch))
    common.write_file_atomic(folder / "check_images.txt", lambda temporary:
                             temporary.write_text("\n".join(names) + "\n"))


if __name__ == "__main__":
    common.step_main(STEP, run)
