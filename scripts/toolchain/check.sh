#!/bin/sh
# Check, without installing anything, that what the project's commands need is in place; say what to run if not.
# Used before commands that must not install silently (`make compile`); `make setup` installs it all.
set -eu
cd "$(dirname "$0")/../.."
missing=""
command -v node >/dev/null 2>&1 || missing="$missing\n  - node (install Node.js 18+)"
[ -x .venv/bin/brownie ] || missing="$missing\n  - the Python environment .venv (with eth-brownie)"
[ -f node_modules/solc/soljson.js ] || missing="$missing\n  - node_modules (solc-js, anvil, ganache, OpenZeppelin)"
wanted=$(sed -n 's/^ *version: *\([0-9][0-9.]*\) *$/\1/p' brownie-config.yaml | head -n 1)
[ -e ".solcx/solc-v$wanted" ] || missing="$missing\n  - the offline compiler bridge .solcx/solc-v$wanted"
if [ -n "$missing" ]; then
  printf "coopledger: the toolchain is not set up; missing:%b\nRun \`make setup\` in %s, then try again.\n" \
    "$missing" "$(pwd)" >&2
  exit 1
fi
