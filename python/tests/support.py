"""What the model-preparation tests share: where the prepared fixture is and
how to run prepare.py the way a user does."""

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict

PYTHON_ROOT = Path(__file__).resolve().parents[1]
if str(PYTHON_ROOT) not in sys.path:
    sys.path.insert(0, str(PYTHON_ROOT))

from dli_models import common  # noqa: E402  (needs the path set above)

PREPARE = PYTHON_ROOT / "dli_models" / "prepare.py"
MODEL = "mobilenet_v2"
# The steps the ctest fixture runs (see python/CMakeLists.txt).
FIXTURE_STEPS = ("sample_photos", "reference", "openvino_ir")
PROGRESS = re.compile(r"^\[\d+/\d+\] (\w+) \.\.\. (skipped|done|failed)")


def fixture_models_dir() -> Path:
    """The models folder the ctest fixture `models.prepare` filled."""
    folder = os.environ.get("DLI_TEST_MODELS_DIR")
    if not folder or not (Path(folder) / MODEL / common.MODEL_JSON).exists():
        raise RuntimeError("DLI_TEST_MODELS_DIR must name a folder prepared "
                           "by prepare.py (ctest's models.prepare does it)")
    return Path(folder)


def run_prepare(models_dir: Path, *arguments: str,
                **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(common.system_python()), str(PREPARE), "--models-dir",
         str(models_dir), *arguments],
        capture_output=True, text=True, env=dict(os.environ, **environment),
        timeout=120)


def step_outcomes(stdout: str) -> Dict[str, str]:
    """{step: skipped|done|failed} from prepare.py's progress lines."""
    return {match.group(1): match.group(2)
            for match in map(PROGRESS.match, stdout.splitlines()) if match}
