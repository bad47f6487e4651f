#!/usr/bin/env bash
# What benchmarks/gpu_check.sh needs on a GPU machine that lacks it, made here (Debian/Ubuntu,
# x86-64): .whl/ with the graphviz and torchviz wheels, and .gvbin/ with this machine's `dot`,
# its libraries and its core, dot and neato plugins (no cairo: no PNG or PDF there; the check
# leaves those tests to CI). Both folders are git-ignored; name them in the device's `carry`.
# Run from the repository root:  bash benchmarks/gpu_carry.sh
set -eu
python=${PYTHON:-.venv/bin/python}
rm -rf .whl .gvbin
"$python" -m pip download -q --no-deps --only-binary=:all: -d .whl graphviz torchviz
lib=/lib/x86_64-linux-gnu plugins=/usr/lib/x86_64-linux-gnu/graphviz
mkdir -p .gvbin/bin .gvbin/libexec .gvbin/lib/graphviz
cp "$(command -v dot)" .gvbin/libexec/dot  # (dot picks its layout from its own name)
for l in libgvc.so.6 libcgraph.so.6 libltdl.so.7 libcdt.so.5 libpathplan.so.4 libexpat.so.1 \
    libgts-0.7.so.5 libglib-2.0.so.0 libpcre2-8.so.0; do
    cp -L "$lib/$l" .gvbin/lib/
done
for p in core dot_layout neato_layout; do
    cp -L "$plugins/libgvplugin_$p.so.6" .gvbin/lib/graphviz/
done
cat >.gvbin/bin/dot <<'WRAPPER'
#!/bin/sh
here=$(cd "$(dirname "$0")/.." && pwd)
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" GVBINDIR="$here/lib/graphviz"
exec "$here/libexec/dot" "$@"
WRAPPER
chmod +x .gvbin/bin/dot
GVBINDIR=$PWD/.gvbin/lib/graphviz LD_LIBRARY_PATH=$PWD/.gvbin/lib .gvbin/libexec/dot -c
echo 'digraph { a -> b }' | env -i PATH=/usr/bin:/bin .gvbin/bin/dot -Tjson >/dev/null
ls .whl; du -sh .whl .gvbin
