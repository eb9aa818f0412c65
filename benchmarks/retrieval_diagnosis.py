"""What keeps the style encoder from recognising the reference in generated motion (validation split).

For every validation performer with two takes, the second take's speech is generated in the first
take's style (steered, as the product does), and the style encoder is asked which of the
references each clip came from (top-1 among the first 20, as the model card measures, and among
all). Then hybrids swap one part of the motion between the generated clip and the performer's
own take of that speech: the gaze, and the head's rest (the head less the style's head-mover share
times its follow of the gaze, :mod:`model_runtime.learned.head_follow`), the follow always taken
of the gaze the hybrid has. A part whose swap in from the true take lifts retrieval is the part
the generator gets wrong. It never looks at the test split.

    .venv/bin/python benchmarks/retrieval_diagnosis.py [--seeds 2] [--models assets]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.validation_split import validation_split  # noqa: E402
from model_runtime.clip import MotionClip  # noqa: E402
from model_runtime.conventions import ANGLE_CHANNELS  # noqa: E402
from model_runtime.generate import Controls  # noqa: E402
from model_runtime.learned.engine import apply_controls, generate_learned  # noqa: E402
from model_runtime.learned.gaze_events import to_angles, to_generator_motion  # noqa: E402
from model_runtime.learned.head_follow import DEFAULT_HEAD_MOVER, follow_track, measured_mover  # noqa: E402
from model_runtime.learned.style import style_from_take  # noqa: E402
from model_runtime.training.measure import top1_retrieval  # noqa: E402


def parts(clip: MotionClip, mover: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(rest head (frames, 3), world gaze (frames, 2)) in the generator's layout, degrees."""
    motion = to_generator_motion(clip.data[:, : len(ANGLE_CHANNELS)]).astype(np.float64)
    rest = motion[:, :3].copy()
    rest[:, :2] -= mover * follow_track(motion[:, 3:5], clip.fps)
    return rest, motion[:, 3:5]


def hybrid(rest: NDArray[np.float64], gaze: NDArray[np.float64], mover: float, like: MotionClip) -> MotionClip:
    """A clip from a rest head and a world gaze: the head follows that gaze, the eyes are aimed as the runtime aims them."""
    n = min(len(rest), len(gaze))
    motion = np.column_stack([rest[:n], gaze[:n]])
    motion[:, :2] += mover * follow_track(gaze[:n], like.fps)
    head, left, right = apply_controls(to_angles(motion).astype(np.float64), Controls())
    data = like.data[:n].copy()
    data[:, 0:3], data[:, 3:5], data[:, 5:7] = head, left, right
    return MotionClip(fps=like.fps, data=data, meta={})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--models", type=Path, default=ROOT / "assets")
    args = parser.parse_args()
    split = validation_split(args.models)
    models, pairs, references, targets = split.models, split.pairs, split.references, split.targets
    movers = [DEFAULT_HEAD_MOVER if (m := measured_mover(r)) is None else m for r in references]
    gallery = np.stack([style_from_take(models.style_encoder, r).vector for r in references])

    def report(name: str, clips: list[MotionClip]) -> None:
        queries = np.stack([style_from_take(models.style_encoder, c).vector for c in clips])
        print(f"  {name:52s} among 20: {top1_retrieval(queries[:20], gallery[:20]):.2f}   among {len(clips)}: {top1_retrieval(queries, gallery):.2f}   "
              f"cos to the reference {float(np.mean(np.sum(queries * gallery, axis=1))):.3f}")

    print(f"validation: {len(pairs)} performers with two takes; retrieval of the reference (top-1) from")
    report("the performer's own take of the speech", targets)
    for seed in range(args.seeds):
        generated = [generate_learned(b.features, r, seed=seed, controls=Controls(), models=models) for (_, b), r in zip(pairs, references, strict=True)]
        report(f"generated, seed {seed}", generated)
        if seed == 0:
            mixed_a, mixed_b = [], []
            for g, t, m in zip(generated, targets, movers, strict=True):
                (g_rest, g_gaze), (t_rest, t_gaze) = parts(g, m), parts(t, m)
                mixed_a.append(hybrid(t_rest, g_gaze, m, g))
                mixed_b.append(hybrid(g_rest, t_gaze, m, t))
            report("generated gaze, the take's rest head", mixed_a)
            report("the take's gaze, the generated rest head", mixed_b)


if __name__ == "__main__":
    main()
