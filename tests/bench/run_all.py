"""`make bench`: run every tests/bench/bench_*.py in turn; each prints a table and writes JSON
under var/bench/."""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
failed = []
for script in sorted(here.glob("bench_*.py")):
    print(f"\n### {script.name}", flush=True)
    if subprocess.run([sys.executable, str(script)], cwd=here.parent.parent).returncode != 0:
        failed.append(script.name)
if failed:
    print(f"\nfailed: {', '.join(failed)}")
    sys.exit(1)
