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
