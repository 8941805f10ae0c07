"""Runs every benchmark in bench/ (each a standalone script) and prints their figures.

Each script prints its results as ``name=value`` lines at the end. This runner prepares the bench database
(`kontora_bench`, migrated), runs the scripts one by one (or those named on the command line), and repeats
all figures at the end under the script's name. It exits non-zero if any script fails.

    make bench                      # all of them
    .venv/bin/python bench/run.py platform_http
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIGURE = re.compile(r"^([a-z0-9_]+)=(\S+)$")


def main(argv: list[str]) -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "bench/_prepare.py"], cwd=ROOT, env=env, check=True)
    wanted = set(argv)
    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith(("_", "run")))
    if wanted:
        scripts = [p for p in scripts if p.stem in wanted]
    figures: dict[str, list[str]] = {}
    failed = []
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        if result.returncode != 0:
            failed.append(script.stem)
        figures[script.stem] = [line for line in result.stdout.splitlines() if FIGURE.match(line.strip())]
    print("\n== figures")
    for name, lines in figures.items():
        for line in lines:
            print(f"{name}.{line.strip()}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
