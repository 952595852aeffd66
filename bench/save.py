"""``python -m bench.save`` (``make bench-save``): copy the last run into the committed record.

``make bench`` writes ``bench/out/results.json`` (untracked); this copies it to
``bench/results.json`` once every suite has a figure (a partial or failed run is refused).
"""

from __future__ import annotations

import json
import shutil
import sys

from bench.__main__ import OUTPUT, RECORD, SUITES


def main() -> int:
    """Copy OUTPUT to RECORD; exit 1 with the reason when the run is missing or incomplete."""
    if not OUTPUT.exists():
        print(f"no run in {OUTPUT}: run `make bench` first", file=sys.stderr)
        return 1
    results = json.loads(OUTPUT.read_text(encoding="utf-8"))
    missing = [k for _n, _m, keys in SUITES for k in keys if results.get(k) is None]
    if missing:
        print(f"incomplete run (no figure for {', '.join(missing)}); not saved", file=sys.stderr)
        return 1
    shutil.copyfile(OUTPUT, RECORD)
    print(f"saved {OUTPUT} -> {RECORD} (run of {results.get('date')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
