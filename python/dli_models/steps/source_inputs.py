"""The check set's inputs for an imported model: the sample photos
preprocessed as model.json declares for its image input, and for every
other input (or every input of a model without images: task generic or no
preprocessing) a seeded synthetic batch by the input's kind. The `source` step
then runs the imported file on them; every converter compares with that.
"""

from dli_models import common, description
from dli_models.steps import reference

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
    outputs=lambda context: [context.model_dir / common.CHECK_DIR /
                             common.CHECK_NAMES]
    + common.check_input_paths(context),
)


def uses_photos(metadata: dict) -> bool:
    preprocessing = metadata.get("preprocessing") or {}
    return (metadata["task"] == "image_classification"
            and "crop" in preprocessing)


def photo_batch(context: common.Context, metadata: dict, input_meta: dict):
    """The sample photos preprocessed as model.json declares, in the
    input's layout, and their names."""
    import numpy
    import torch
    photos = common.read_sample_manifest(context.sample_dir)
    names = [name for name, _ in photos]
    batch = torch.stack([
        reference.preprocess(context.sample_dir / name,
                             metadata["preprocessing"])
        for name in names]).numpy()
    if input_meta.get("layout") == "NHWC":
        batch = numpy.ascontiguousarray(batch.transpose(0, 2, 3, 1))
    return names, batch


def run(context: common.Context) -> None:
    metadata = common.read_model_json(context)
    inputs = common.model_inputs(metadata)
    image = next((index for index, entry in enumerate(inputs)
                  if entry.get("kind") == "image"), None)
    photos = {}
    if uses_photos(metadata) and image is not None:
        names, photos[image] = photo_batch(context, metadata, inputs[image])
        print(f"check set: the {len(names)} sample photos, preprocessed as "
              "model.json declares")
    else:
        names = [f"synthetic-{index}"
                 for index in range(description.SYNTHETIC_CHECK_BATCH)]
        print(f"check set: {len(names)} synthetic inputs (seed "
              f"{description.SYNTHETIC_SEED}) by input kind: " + ", ".join(
                  f"{entry['name']} {entry.get('kind') or 'random'}"
                  for entry in inputs))
    arrays = description.synthetic_inputs(
        inputs, len(names), description.SYNTHETIC_SEED, given=photos)
    folder = context.model_dir / common.CHECK_DIR
    common.write_check_arrays(context, common.check_input_paths(context),
                              arrays)
    common.write_file_atomic(folder / common.CHECK_NAMES, lambda temporary:
                             temporary.write_text("\n".join(names) + "\n"))


if __name__ == "__main__":
    common.step_main(STEP, run)
