"""Markdown FPS table (framework x batch, with 95% CI) of a `dli results export --json` file."""
import json
import sys

points = [p["result"] for p in json.load(open(sys.argv[1]))["points"]
          if p["kind"] == "performance" and p["result"]["status"] == "ok"]
batches = sorted({p["batch"] for p in points})
rows = {}
for p in points:
    label = f"{p['framework']} {p['precision']}"
    b, l = p["batch"], p["latency_ms"]
    rows.setdefault(label, {})[b] = (p["fps"], b * 1000 / l["ci95_high"], b * 1000 / l["ci95_low"])
print("| framework | " + " | ".join(f"batch {b}" for b in batches) + " |")
print("|---|" + "---|" * len(batches))
for label in sorted(rows, key=lambda k: -max(v[0] for v in rows[k].values())):
    cells = [f"{rows[label][b][0]:.1f} [{rows[label][b][1]:.1f}, {rows[label][b][2]:.1f}]"
             if b in rows[label] else "-" for b in batches]
    print(f"| {label} | " + " | ".join(cells) + " |")
