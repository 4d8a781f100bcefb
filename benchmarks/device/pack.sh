#!/usr/bin/env bash
# Build .devpack/: what a bare GPU machine (python 3.12, torch/transformers/peft/accelerate installed, no Node, no
# network) needs to run wikigym end to end -- record, rollout, verify (real Mermaid parser), sft, dpo, refine.
#
#   bash benchmarks/device/pack.sh            # here, once (needs pip download access and a local `npm ci`)
#   source benchmarks/device/env.sh           # there, at the start of each command (carry .devpack)
#
# Why a pack: the device takes at most 64 MiB of working tree per call. Node (99 MB) and mermaid's node_modules
# (154 MB) are xz-compressed and trimmed to what the parser loads (no source maps, type files, UMD or minified
# bundles of mermaid); tree-sitter-language-pack keeps only the languages wikigym parses (it ships 172).
set -euo pipefail
cd "$(dirname "$0")/../.."
PACK=.devpack
rm -rf "$PACK" && mkdir -p "$PACK"
grep -qx '/.devpack/' .git/info/exclude 2>/dev/null || echo '/.devpack/' >> .git/info/exclude
[ -d node_modules/mermaid ] || { echo "run \`npm ci\` first (the verifier's Mermaid parser)" >&2; exit 2; }

# 1. Node itself (a static-enough build: libstdc++/libc only) and the trimmed node_modules.
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$PACK/node.xz"
tar --exclude='*.map' --exclude='*.d.ts' --exclude='*.md' --exclude='node_modules/@types' \
    --exclude='node_modules/mermaid/dist/*.min.*' --exclude='node_modules/mermaid/dist/mermaid.js' \
    --exclude='node_modules/mermaid/dist/chunks/mermaid.esm' --exclude='node_modules/mermaid/dist/chunks/mermaid.esm.min' \
    -cf - node_modules | xz -T0 -6 > "$PACK/node_modules.tar.xz"

# 2. The Python packages the device image lacks, installed for CPython 3.12 x86-64 into one site directory.
SITE=$(mktemp -d)
python3 -m pip install -q --no-deps --no-compile --only-binary=:all: --target "$SITE" --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 \
    pydantic==2.14.4 pydantic-core==2.50.5 annotated-types typing-inspection typing-extensions \
    gitpython gitdb smmap tree-sitter==0.26.1 tree-sitter-language-pack==0.13.0 tree-sitter-c-sharp \
    tree-sitter-embedded-template tree-sitter-yaml trl==1.16.0 datasets==5.2.0 dill multiprocess \
    openai-harmony==0.0.8 xxhash
KEEP="$(python3 -c 'from wikigym.repos.languages import SUPPORTED_LANGUAGES as L; print(" ".join(L))') __init__"
for so in "$SITE"/tree_sitter_language_pack/bindings/*; do
  name=$(basename "$so"); name=${name%%.*}
  case " $KEEP " in *" $name "*) ;; *) rm -rf "$so" ;; esac
done
find "$SITE" -name __pycache__ -prune -exec rm -rf {} +
tar -C "$SITE" -cf - . | xz -T0 -6 > "$PACK/site.tar.xz"
rm -rf "$SITE"

# 3. The offline o200k vocabulary (the Harmony tokenizer is rebuilt from it there in ~15 s).
python3 -c 'from wikigym.trajectories.tokenizer import vocab_dir; print(vocab_dir())' > /dev/null
tar -C "${WIKIGYM_CACHE:-$HOME/.cache/wikigym}" -cf - tokenizer/vocab | xz -T0 -6 > "$PACK/cache.tar.xz"
du -sh "$PACK"/*
du -sh "$PACK"
