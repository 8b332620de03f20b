"""`make mutation`'s verdict: every mutant of the rule modules that the pure tests let live must be
listed in tests/mutation/survivors.txt with the reason it is equivalent; no listed entry may be
stale. Run after ``mutmut run`` (configured in pyproject.toml, [tool.mutmut]).

A survivor is identified by its function and the lines the mutation changed (not by mutmut's
number, which moves when the function changes), so the list survives unrelated edits.

Entries of survivors.txt, separated by blank lines:

    [app.domain.sessions.x_training_end_on]
    - <the line as written>
    + <the line as mutated>
    why: <why no test can tell them apart>
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MUTMUT = str(Path(sys.executable).with_name("mutmut"))


def survivors() -> dict[tuple[str, tuple[str, ...]], str]:
    """(function, changed lines) -> mutant name, for every mutant not killed."""
    listing = subprocess.run([MUTMUT, "results"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    found = {}
    for line in listing.splitlines():
        name, _, status = line.strip().partition(": ")
        if not name or status == "killed":
            continue
        shown = subprocess.run([MUTMUT, "show", name], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        changed = tuple(" ".join(row.split()) for row in shown.splitlines()
                        if row[:1] in "-+" and not row.startswith(("---", "+++")))
        found[(re.sub(r"__mutmut_\d+$", "", name), changed)] = f"{name} ({status})"
    return found


def listed() -> dict[tuple[str, tuple[str, ...]], str]:
    entries = {}
    for block in (HERE / "survivors.txt").read_text().split("\n\n"):
        rows = [row for row in block.strip().splitlines() if not row.startswith("#")]
        if not rows:
            continue
        function = rows[0].strip("[]")
        changed = tuple(" ".join(row.split()) for row in rows[1:] if row[:1] in "-+")
        why = " ".join(row.removeprefix("why:").strip() for row in rows if row.startswith("why:"))
        assert why, f"survivors.txt: {function} gives no reason"
        entries[(function, changed)] = why
    return entries


def main() -> int:
    alive, known = survivors(), listed()
    unexplained = sorted(set(alive) - set(known))
    stale = sorted(set(known) - set(alive))
    for function, changed in unexplained:
        print(f"survived, not listed: {alive[(function, changed)]}\n[{function}]\n" + "\n".join(changed) + "\nwhy: ?\n")
    for function, changed in stale:
        print(f"listed, no longer a survivor (remove it): [{function}] " + " / ".join(changed))
    print(f"{len(alive)} survivors, {len(alive) - len(unexplained)} listed as equivalent, {len(unexplained)} unexplained, "
          f"{len(stale)} stale entries")
    return 1 if unexplained or stale else 0


if __name__ == "__main__":
    sys.exit(main())
