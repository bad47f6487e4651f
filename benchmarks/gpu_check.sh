#!/usr/bin/env bash
# The GPU check: the core test suite with Qt blocked, then the benchmarks on CUDA (and the
# optimizer lab's on the CPU beside them), each log written to $OUT (default /tmp/gpu-check).
# Run from the repository root on a machine with torch and CUDA:  bash benchmarks/gpu_check.sh
# Optional: .whl/ (wheels of missing pure-Python packages: graphviz, torchviz) and .gvbin/
# (a Graphviz `dot` with its libraries, for a machine without one) are used where present;
# `bash benchmarks/gpu_carry.sh` makes both here.
set -u
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 GRADVIZ_BLOCK_QT=1 PYTHONPATH=$PWD
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD
fi
[ -x .gvbin/bin/dot ] && ! command -v dot >/dev/null && export PATH=$PWD/.gvbin/bin:$PATH

step() {  # step NAME SECONDS COMMAND...: run with a limit, log to $OUT/NAME.log
    local name=$1 limit=$2
    shift 2
    echo "=== $name: $*"
    local start=$SECONDS
    timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
    echo "=== $name: exit $? after $((SECONDS - start)) s"
    tail -n 25 "$OUT/$name.log"
}

{
    nvidia-smi -L
    python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
    dot -V 2>&1
} | tee "$OUT/machine.log"
workers=$(python3 -c "import xdist" 2>/dev/null && echo "-n 12" || echo "")
pertest=$(python3 -c "import pytest_timeout" 2>/dev/null && echo "--timeout 90" || echo "")
# a Graphviz without its cairo renderer (as .gvbin carries) draws no PNG or PDF, and without
# pango it measures text by estimate, so the tests of those pictures are left to CI
only=()
echo 'digraph{}' | dot -Tpng >/dev/null 2>&1 ||
    only=(-k "not (png or pdf or picture_shows_itself or qt_unimportable or each_steps_picture)")
# the most telling first: each step's limit keeps the whole check under about 9 minutes
# shellcheck disable=SC2086
step core-tests 150 python3 -m pytest tests/core -q -p no:cacheprovider -p no:pytest-qt -rs $workers $pertest "${only[@]}"
step landscape-201 50 python3 benchmarks/bench_landscape.py --device cuda --grid 201 --points 10000 --turns 3
# one fused Triton kernel for the whole landscape: the way to issue 6's ≤ 3× left untried (the
# eager and torch.compile forms, probe_landscape_gpu.py, were timed on 2026-11-30: 5.7-8.5×)
step probe-triton 90 python3 benchmarks/probe_landscape_triton.py
step landscape-51 30 python3 benchmarks/bench_landscape.py --device cuda --grid 51 --turns 3
step trace-cuda 40 python3 benchmarks/bench_trace.py --device cuda --quick --no-process
step optim-cuda 30 python3 benchmarks/bench_optim.py --device cuda --no-ui
step tracer-parts-cuda 25 python3 benchmarks/bench_tracer_parts.py --device cuda --quick
step optim-cpu 25 python3 benchmarks/bench_optim.py --device cpu --no-ui
