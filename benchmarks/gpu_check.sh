#!/usr/bin/env bash
# The GPU check: the core test suite with Qt blocked, then the benchmarks on CUDA (and the
# optimizer lab's on the CPU beside them), each log written to $OUT (default /tmp/gpu-check).
# Run from the repository root on a machine with torch and CUDA:  bash benchmarks/gpu_check.sh
# Optional: .whl/ (wheels of missing pure-Python packages: graphviz, torchviz) and .gvbin/
# (a Graphviz `dot` with its libraries, for a machine without one) are used where present.
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
workers=$(python3 -c "import xdist" 2>/dev/null && echo "-n 8" || echo "")
# shellcheck disable=SC2086
step core-tests 200 python3 -m pytest tests/core -q -p no:cacheprovider -p no:pytest-qt -rs $workers
step landscape-51 60 python3 benchmarks/bench_landscape.py --device cuda --grid 51
step landscape-201 90 python3 benchmarks/bench_landscape.py --device cuda --grid 201 --points 10000
step optim-cuda 60 python3 benchmarks/bench_optim.py --device cuda --no-ui
step optim-cpu 60 python3 benchmarks/bench_optim.py --device cpu --no-ui
step trace-cuda 80 python3 benchmarks/bench_trace.py --device cuda --quick --no-process
step tracer-parts-cuda 60 python3 benchmarks/bench_tracer_parts.py --device cuda --quick
