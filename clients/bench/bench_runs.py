"""Reading parley-bench's --json reports for the summaries (summarize.py,
summarize_cluster.py): OUTDIR/<name>.jsonl holds one report per run, one
JSON object a line, as run_suite.sh and run_cluster.sh write them.
"""
import json
import statistics
from pathlib import Path


def load_runs(out):
    """(name, runs) for each OUTDIR/*.jsonl that holds a report, in name
    order; lines that are no JSON object (a run that printed something else)
    are passed over."""
    for path in sorted(Path(out).glob("*.jsonl")):
        runs = [json.loads(line) for line in path.read_text().splitlines() if line.strip().startswith("{")]
        if runs:
            yield path.stem, runs


def figure(values, digits=1, thousands=False):
    """The median of the values that are not None, with [min–max] when there
    are several; "-" when there are none."""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    spec = f"{',' if thousands else ''}.{digits}f"
    text = format(statistics.median(values), spec)
    if len(values) > 1:
        text += f" [{format(min(values), spec)}–{format(max(values), spec)}]"
    return text
