# Sourced by the other scripts: puts the project's tools on PATH and names the browser for the test runners.
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-60}"
# The official OpenAI spec, shared beside this checkout.
export OPENAI_SPEC_PATH="${OPENAI_SPEC_PATH:-$(cd "$PWD/.." && pwd)/shared/specs/openai-openapi.yaml}"
# The CommonMark and GFM spec examples for tests/commonmark.rs, shared beside this checkout too.
export COMMONMARK_SPEC_DIR="${COMMONMARK_SPEC_DIR:-$(cd "$PWD/.." && pwd)/shared/specs/commonmark}"
