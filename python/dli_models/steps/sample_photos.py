"""Materialises the bundled sample photos into <models-dir>/_datasets/sample/.

The committed source of truth is data/sample_photos/manifest.tsv: real
photos shipped by Debian packages and the ImageNet classes a person accepts
for each. This step copies them and writes manifest.txt, one line per photo:
`file<TAB>class[,class...]` with 0-based ImageNet class indices.
"""

import csv
import shutil
from pathlib import Path
from typing import Dict, List

from dli_models import common

SOURCE_MANIFEST = common.REPO_ROOT / "data" / "sample_photos" / "manifest.tsv"
COLUMNS = ("file", "package", "source", "classes", "class_names", "why")


def read_source_manifest() -> List[Dict[str, str]]:
    """The rows of manifest.tsv; `#` lines are comments, then a header row."""
    lines = [line for line in SOURCE_MANIFEST.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise common.StepError(f"{SOURCE_MANIFEST}: header must be the "
                               f"tab-separated columns {', '.join(COLUMNS)}")
    return list(reader)


def _inputs(context: common.Context) -> List[Path]:
    return [SOURCE_MANIFEST] + [Path(row["source"])
                                for row in read_source_manifest()]


def _outputs(context: common.Context) -> List[Path]:
    return [context.sample_dir / "manifest.txt"] + [
        context.sample_dir / row["file"] for row in read_source_manifest()]


STEP = common.Step(
    name="sample_photos",
    interpreter=common.SYSTEM_INTERPRETER,
    description="copy the labelled sample photos out of Debian packages",
    origin=common.ZOO,
    inputs=_inputs,
    outputs=_outputs,
)


def _checked_classes(row: Dict[str, str], labels: List[str]) -> List[int]:
    """The row's class indices, after checking that the names written next
    to them are the names of those classes (catches off-by-one indices)."""
    where = f"{SOURCE_MANIFEST}, {row['file']}"
    try:
        classes = [int(index) for index in row["classes"].split(",")]
    except ValueError:
        raise common.StepError(f"{where}: classes must be comma-separated "
                               f"integers, got {row['classes']!r}") from None
    names = row["class_names"].split("|")
    if len(names) != len(classes):
        raise common.StepError(f"{where}: {len(classes)} classes but "
                               f"{len(names)} class names")
    for index, name in zip(classes, names):
        if not 0 <= index < len(labels):
            raise common.StepError(f"{where}: class {index} is outside "
                                   f"0..{len(labels) - 1}")
        expected = labels[index].split(",")[0].strip()
        if name != expected:
            raise common.StepError(f"{where}: class {index} is {expected!r}, "
                                   f"not {name!r}")
    return classes


def run(context: common.Context) -> None:
    labels = common.read_imagenet_labels()
    rows = read_source_manifest()
    names = [row["file"] for row in rows]
    if len(set(names)) != len(names):
        raise common.StepError(f"{SOURCE_MANIFEST}: file names must be unique")
    manifest_lines = []
    for row in rows:
        classes = _checked_classes(row, labels)
        source = Path(row["source"])
        if not source.is_file():
            raise common.StepError(
                f"{source} is missing: install the Debian package "
                f"{row['package']} (scripts/setup.sh)")
        common.write_file_atomic(
            context.sample_dir / row["file"],
            lambda temporary, source=source: shutil.copyfile(source, temporary))
        manifest_lines.append(f"{row['file']}\t{','.join(map(str, classes))}")
    # The folder is generated: drop photos that left the manifest, so the
    # set on disk is exactly the set in the manifest.
    for stale in context.sample_dir.iterdir():
        if stale.is_file() and stale.name not in names + ["manifest.txt"]:
            stale.unlink()
    common.write_file_atomic(
        context.sample_dir / "manifest.txt",
        lambda temporary: temporary.write_text(
            "\n".join(manifest_lines) + "\n"))
    print(f"{len(rows)} photos from Debian packages in {context.sample_dir}")


if __name__ == "__main__":
    common.step_main(STEP, run)
