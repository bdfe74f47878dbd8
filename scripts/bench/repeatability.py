"""Summary of scripts/bench/repeatability.sh: reads OUT/{single,repeated}.json
(`dli results export --all-versions --json`) and OUT/wall.tsv, prints a
markdown table per kind of run and one line per criterion of issue 14."""
import collections
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])


def by_run(kind):
    """{run id: {(framework, batch): aggregate}} in run order."""
    runs = collections.defaultdict(dict)
    for a in json.loads((out / f"{kind}.json").read_text())["aggregates"]:
        if a["ok"] and a["fps"]:
            runs[a["run"]][(a["framework"], a["batch"])] = a
    return [runs[r] for r in sorted(runs)]


def overlap(a, b):
    return a["fps_interval"][0] <= b["fps_interval"][1] and b["fps_interval"][0] <= a["fps_interval"][1]


def rank_changes(runs):
    """Pairs of batch-1 frameworks ordered one way in one run and the other
    way in another, counting only runs where their intervals do not overlap."""
    names = sorted({f for r in runs for (f, b) in r if b == 1})
    changes = []
    for i, x in enumerate(names):
        for y in names[i + 1:]:
            orders = {r[(x, 1)]["fps"] > r[(y, 1)]["fps"] for r in runs
                      if (x, 1) in r and (y, 1) in r and not overlap(r[(x, 1)], r[(y, 1)])}
            if len(orders) == 2:
                changes.append(f"{x}/{y}")
    return changes


walls = collections.defaultdict(list)
for line in (out / "wall.tsv").read_text().splitlines():
    kind, start, end = line.split("\t")
    walls[kind].append(float(end) - float(start))

for kind in ("single", "repeated"):
    runs = by_run(kind)
    points = sorted(runs[0], key=lambda p: (p[1], -runs[0][p]["fps"]))
    print(f"\n### {kind}: {len(runs)} runs\n")
    print("| framework | batch | " + " | ".join(f"run {i + 1} FPS [95% interval]" for i in range(len(runs)))
          + " | max/min |")
    print("|---|---|" + "---|" * (len(runs) + 1))
    inside = total = 0
    worst = (1.0, None)
    for p in points:
        cells, fps = [], []
        for i, r in enumerate(runs):
            a = r.get(p)
            if a is None:
                cells.append("-")
                continue
            fps.append(a["fps"])
            flag = "*" if a["flagged"] else ""
            cells.append(f"{a['fps']:.1f} [{a['fps_interval'][0]:.1f}, {a['fps_interval'][1]:.1f}]{flag}")
            if i > 0:
                total += 1
                lo, hi = runs[0][p]["fps_interval"]
                inside += lo <= a["fps"] <= hi
        ratio = max(fps) / min(fps)
        worst = max(worst, (ratio, p))
        print(f"| {p[0]} | {p[1]} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    changes = rank_changes(runs)
    print(f"\n- later runs inside the first run's interval: {inside} of {total}"
          f" ({100 * inside / max(total, 1):.0f}%)")
    print(f"- worst max/min FPS across runs: {worst[0]:.2f} ({worst[1][0]}, batch {worst[1][1]})")
    print(f"- batch-1 rank changes between non-overlapping frameworks: {len(changes)}"
          + (f" ({', '.join(changes)})" if changes else ""))
    print(f"- wall time per run: " + ", ".join(f"{w:.0f} s" for w in walls[kind])
          + "  (* = a repetition flagged for interference or drift)")
