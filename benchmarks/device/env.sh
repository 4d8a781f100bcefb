# Source at the start of a device command (after `carry: [".devpack"]`): unpacks benchmarks/device/pack.sh's pack
# into /tmp and points PATH, PYTHONPATH, WIKIGYM_NODE_MODULES and WIKIGYM_CACHE at it. Idempotent per machine.
_wg_root=$(pwd)
if [ ! -x /tmp/wg/bin/node ]; then
  mkdir -p /tmp/wg/bin /tmp/wg/site /tmp/wg/cache
  xz -dc .devpack/node.xz > /tmp/wg/bin/node && chmod +x /tmp/wg/bin/node
  xz -dc .devpack/node_modules.tar.xz | tar -C /tmp/wg -xf -
  xz -dc .devpack/site.tar.xz | tar -C /tmp/wg/site -xf -
  xz -dc .devpack/cache.tar.xz | tar -C /tmp/wg/cache -xf -
fi
export PATH=/tmp/wg/bin:$PATH PYTHONPATH=/tmp/wg/site:$_wg_root${PYTHONPATH:+:$PYTHONPATH}
export WIKIGYM_NODE_MODULES=/tmp/wg/node_modules WIKIGYM_CACHE=/tmp/wg/cache PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
wikigym() { python3 -m wikigym.cli "$@"; }
# benchmarks/learning_run.py's data (repos at the absolute paths its trajectories name, and runs/learning/).
if [ -f .devpack/learning.tar.xz ] && [ ! -d /tmp/wg/repos ]; then
  tar -C / -xJf .devpack/learning.tar.xz tmp/wg/repos
  [ -d runs/learning ] || tar -C "$_wg_root" -xJf .devpack/learning.tar.xz runs/learning
fi
