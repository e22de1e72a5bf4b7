#!/bin/sh
# Install the offline solc bridge for the compiler version brownie-config.yaml pins, as
# .solcx/solc-v<version> -> scripts/toolchain/solc, where py-solc-x looks when SOLCX_BINARY_PATH=.solcx.
# Idempotent. Refuses (with the fix in the message) when the solc-js in node_modules is another version.
set -eu
cd "$(dirname "$0")/../.."
wanted=$(sed -n 's/^ *version: *\([0-9][0-9.]*\) *$/\1/p' brownie-config.yaml | head -n 1)
if [ -z "$wanted" ]; then
  echo "install-solc-bridge: brownie-config.yaml has no compiler.solc.version; set one (e.g. 0.8.37)." >&2
  exit 1
fi
if [ ! -f node_modules/solc/package.json ]; then
  echo "install-solc-bridge: node_modules/solc is missing. Run \`make setup\`." >&2
  exit 1
fi
installed=$(node -p 'require("./node_modules/solc/package.json").version')
if [ "$installed" != "$wanted" ]; then
  echo "install-solc-bridge: brownie-config.yaml pins solc $wanted but package.json installs solc-js $installed;" \
    "make them the same version, then run \`make setup\`." >&2
  exit 1
fi
mkdir -p .solcx
ln -sfn ../scripts/toolchain/solc ".solcx/solc-v$wanted"
echo "solc $wanted: offline bridge at .solcx/solc-v$wanted (solc-js, no download)"
