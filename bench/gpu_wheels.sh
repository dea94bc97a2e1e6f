#!/usr/bin/env bash
# The wheels the GPU machine needs for bench/gpu_check.py, downloaded here (PyPI reachable),
# pinned, checked for Python 3.12 / manylinux x86_64 and split into carry folders that each
# fit one transfer (64 MiB, less the working tree).
#
#   bench/gpu_wheels.sh [DEST]            # default DEST=/work/gpu_wheels (outside git)
#
# The GPU machine has Python 3.12, torch 2.11 + CUDA, transformers, peft and accelerate, and no
# network. So:
#   1. resolve what the check needs (unsloth, unsloth_zoo, trl, bitsandbytes, datasets, and
#      journal-me's own dependencies) for cp312 manylinux with a *stub* torch 2.11 wheel (the
#      real one and its CUDA libraries are already there; resolving them would pull GBs);
#   2. resolve what is there already (transformers 5, peft, accelerate on the same stub) and
#      subtract it, plus torch's own dependencies (triton, nvidia-*, sympy, …);
#   3. pip download --no-deps --only-binary=:all: --platform manylinux… --python-version 3.12
#      the pinned rest into DEST/all, write DEST/requirements.txt;
#   4. check: pip install --no-deps --dry-run --target … --no-index of the whole set for
#      cp312 manylinux, and that every Requires-Dist (markers evaluated for 3.12 Linux) is in
#      the set or in what the machine has;
#   5. split into DEST/carry1, carry2, … of at most CARRY_MIB each; a single wheel larger than
#      that cannot travel and is listed as such (bench/gpu_check.py then skips its phase);
#   6. if unsloth caps transformers below what a plain resolve picks (the machine's version is
#      unknown), that transformers wheel goes to DEST/fallback: install it only if unsloth
#      refuses the machine's transformers.
# To carry: copy DEST/carryN to the repo's ignored .whl/carryN and pass carry [".whl/carryN"].
#
# llama-cpp-python has no binary wheel on PyPI (sdist only; CUDA wheels live on its own index,
# unreachable from there), so it is not in the set: see docs/gpu-check.md for how the check
# copes (the train phase records the llama.cpp steps as failed/skipped; SFT/DPO/export run).
set -euo pipefail

DEST=${1:-/work/gpu_wheels}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-$ROOT/.venv/bin/python}
CARRY_MIB=${CARRY_MIB:-56}  # + the working tree (~5 MB) per transfer of 64 MiB
TORCH_VERSION=${TORCH_VERSION:-2.11.0}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$DEST"

# manylinux_2_24/2_27 too: bitsandbytes ≥ 0.45 ships only manylinux_2_24 wheels (a 2_28 system
# runs them); with 2014/2_28 alone pip falls back to bitsandbytes 0.42 and unsloth cannot resolve
PLATFORM=(--only-binary=:all: --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64
  --platform manylinux_2_24_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_28_x86_64
  --python-version 3.12 --implementation cp)
# what bench/gpu_check.py and `journal-me train` import beyond the machine's stack
WANTED=(
  # trl: unsloth 2026.10.x requires trl<=1.15.0 (pyproject's train extra says >=1.16: they
  # conflict; the resolver picks what unsloth allows — see docs/gpu-check.md)
  "unsloth>=2026.10" unsloth_zoo trl bitsandbytes "datasets>=3.0" "sentencepiece>=0.2"
  "whoosh-reloaded>=2.7.5,<2.8" "networkx>=3.2" "watchdog>=6.0" "python-frontmatter>=1.1"
  "platformdirs>=4.2" "markdown-it-py>=3.0" "mdit-py-plugins>=0.4" "PyYAML>=6.0" "dateparser>=1.2"
  "rich>=13.7" "gguf>=0.17" "ruamel.yaml>=0.18" "fsrs>=6.0" "textual[syntax]>=8.2,<9" "textual-plotext>=1.0"
)
PRESENT=("transformers>=5,<6" "peft>=0.17" "accelerate>=1.0")

# 1–2. resolve against a stub torch (name and version only, no dependencies; "2.11.0+stub"
# satisfies ==2.11.0 and sorts above PyPI's own 2.11.0, so the resolver takes it)
"$PY" - "$WORK/stub" "$TORCH_VERSION" <<'EOF'
import base64, hashlib, sys, zipfile
from pathlib import Path
out, version = Path(sys.argv[1]), sys.argv[2] + "+stub"  # a local version sorts above the real one
out.mkdir(parents=True, exist_ok=True)
files = {
    "torch/__init__.py": b"",
    f"torch-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n".encode(),
    f"torch-{version}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: stub\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
for name, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append(f"{name},sha256={digest},{len(data)}")
record.append(f"torch-{version}.dist-info/RECORD,,")
with zipfile.ZipFile(out / f"torch-{version}-py3-none-any.whl", "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
    z.writestr(f"torch-{version}.dist-info/RECORD", "\n".join(record) + "\n")
EOF

resolve() {  # resolve REPORT REQ… : a pip resolution report (metadata only, nothing installed)
  local report=$1
  shift
  "$PY" -m pip install --dry-run --ignore-installed --quiet --report "$report" \
    --target "$WORK/t" "${PLATFORM[@]}" --find-links "$WORK/stub" "torch==$TORCH_VERSION" "$@" \
    2> >(grep -v "is ignored: it is neither" >&2)
}
echo "resolving for cp312 manylinux x86_64 (torch $TORCH_VERSION stubbed)…"
resolve "$WORK/all.json" "${WANTED[@]}" "${PRESENT[@]}"
resolve "$WORK/present.json" "${PRESENT[@]}"

"$PY" - "$WORK/all.json" "$WORK/present.json" "$DEST" <<'EOF'
import json, re, sys
from pathlib import Path
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
def pins(path):
    return {norm(i["metadata"]["name"]): i["metadata"]["version"] for i in json.load(open(path))["install"]}
everything, present = pins(sys.argv[1]), pins(sys.argv[2])
# torch's own dependencies come with the machine's torch + CUDA install
torch_deps = {"torch", "triton", "sympy", "mpmath", "networkx", "jinja2", "markupsafe", "filelock",
              "fsspec", "typing-extensions", "setuptools"}
there = set(present) | torch_deps
need = {n: v for n, v in everything.items()
        if n not in there and not n.startswith(("nvidia-", "cuda-"))}
dest = Path(sys.argv[3])
(dest / "requirements.txt").write_text("".join(f"{n}=={v}\n" for n, v in sorted(need.items())))
(dest / "present.txt").write_text("".join(f"{n}=={v}\n" for n, v in sorted(present.items())))
print(f"{len(need)} packages to carry; {len(present)} assumed present (present.txt)")
print("torch resolved as", everything.get("torch"))
fallback = [f"{n}=={v}" for n, v in everything.items() if n in present and present[n] != v]
(dest / "fallback.txt").write_text("".join(f + "\n" for f in fallback))
if fallback:
    print("the set needs other versions of what the machine may have:", ", ".join(fallback), "(DEST/fallback)")
EOF

# 3. download exactly the pins, no dependencies
rm -rf "$DEST/all" && mkdir -p "$DEST/all"
"$PY" -m pip download --no-deps "${PLATFORM[@]}" -d "$DEST/all" -r "$DEST/requirements.txt" \
  --quiet 2> >(grep -v "is ignored: it is neither" >&2)

rm -rf "$DEST/fallback" && mkdir -p "$DEST/fallback"
if [ -s "$DEST/fallback.txt" ]; then
  "$PY" -m pip download --no-deps "${PLATFORM[@]}" -d "$DEST/fallback" -r "$DEST/fallback.txt" \
    --quiet 2> >(grep -v "is ignored: it is neither" >&2)
fi

# 4. the set installs for 3.12 (metadata and tags), and its dependencies close
"$PY" -m pip install --no-deps --dry-run --ignore-installed --quiet --target "$WORK/t2" \
  "${PLATFORM[@]}" --no-index --find-links "$DEST/all" -r "$DEST/requirements.txt"
echo "pip install --no-deps --dry-run (cp312, manylinux): ok"

# 5. closure check and the carry split
"$PY" - "$DEST" "$CARRY_MIB" <<'EOF'
import re, shutil, sys, zipfile
from email.parser import Parser
from pathlib import Path
from packaging.requirements import Requirement
dest, limit = Path(sys.argv[1]), int(sys.argv[2]) * 2**20
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
wheels = sorted((dest / "all").glob("*.whl"))
have = {norm(w.name.split("-")[0]) for w in wheels}
there = {norm(l.split("==")[0]) for l in (dest / "present.txt").read_text().split()}
there |= {"torch", "triton", "sympy", "mpmath", "networkx", "jinja2", "markupsafe", "filelock",
          "fsspec", "typing-extensions", "setuptools"}
env = {"python_version": "3.12", "python_full_version": "3.12.3", "sys_platform": "linux",
       "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
       "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
missing = set()
for w in wheels:
    with zipfile.ZipFile(w) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        msg = Parser().parsestr(z.read(meta).decode("utf-8", "replace"))
    for line in msg.get_all("Requires-Dist") or []:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = norm(req.name)
        if name not in have and name not in there and not name.startswith(("nvidia-", "cuda-")):
            missing.add(f"{name} (needed by {w.name.split('-')[0]})")
if missing:
    print("MISSING dependencies:", *sorted(missing), sep="\n  ")
    sys.exit(1)
print(f"dependencies close over {len(wheels)} wheels + what the machine has")
for old in dest.glob("carry*"):
    shutil.rmtree(old)
bins, too_big = [], []
for w in sorted(wheels, key=lambda p: -p.stat().st_size):
    size = w.stat().st_size
    if size > limit:
        too_big.append(w)
        continue
    for b in bins:
        if b[0] + size <= limit:
            b[0] += size; b[1].append(w); break
    else:
        bins.append([size, [w]])
for i, (size, files) in enumerate(bins, 1):
    d = dest / f"carry{i}"
    d.mkdir()
    for f in files:
        shutil.copy2(f, d / f.name)
    print(f"carry{i}: {len(files)} wheels, {size / 2**20:.1f} MiB")
total = sum(w.stat().st_size for w in wheels)
print(f"total {total / 2**20:.1f} MiB in {len(wheels)} wheels")
for w in too_big:
    print(f"TOO BIG to carry ({w.stat().st_size / 2**20:.1f} MiB > {limit / 2**20:.0f} MiB): {w.name}")
EOF
