#!/usr/bin/env node
// Offline stand-in for a native `solc` binary, driving solc-js (the official compiler built to WebAssembly).
//
// py-solc-x (and so Brownie) talks to solc in exactly two ways, and this program answers both:
//   solc --version                                   -> prints "Version: <x.y.z>+commit.<hash>..."
//   solc --standard-json [--allow-paths a,b,...]     -> reads Standard JSON on stdin, writes it on stdout
// Foundry's forge (the invariant campaign, tests/invariant) also passes --base-path and --include-path, as a
// native solc takes them: folders to resolve imports from.
// Imports are resolved from the project folder (the working directory), the --base-path folder and the
// --allow-paths and --include-path folders, never from anywhere else, so a compile cannot read files outside
// what its caller allowed.
"use strict";

const fs = require("fs");
const path = require("path");

function fail(message) {
  process.stderr.write(`solc-bridge: ${message}\n`);
  process.exit(1);
}

let solc;
try {
  solc = require("solc");
} catch (err) {
  fail("the npm package 'solc' is not installed in node_modules. Run `make setup` in the project folder.");
}

function parseArgs(argv) {
  const options = { version: false, standardJson: false, allowPaths: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--version") options.version = true;
    else if (arg === "--standard-json") options.standardJson = true;
    else if (arg === "--allow-paths") {
      const value = argv[i + 1];
      if (value === undefined) fail("--allow-paths needs a comma-separated list of folders");
      options.allowPaths.push(...value.split(",").filter(Boolean));
      i += 1;
    } else if (arg === "--base-path" || arg === "--include-path") {
      const value = argv[i + 1];
      if (value === undefined) fail(`${arg} needs a folder`);
      options.allowPaths.push(value);
      i += 1;
    } else if (arg === "-") {
      // "read from stdin": implied by --standard-json
    } else {
      fail(`unsupported option '${arg}': this bridge answers only --version and --standard-json (with --allow-paths, --base-path, --include-path)`);
    }
  }
  return options;
}

function makeImportResolver(allowPaths) {
  const roots = [process.cwd(), ...allowPaths].map((p) => path.resolve(p));
  const isInside = (file, root) => {
    const rel = path.relative(root, file);
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
  };
  return (importPath) => {
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      if (!roots.some((allowed) => isInside(candidate, allowed))) continue;
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, "utf8") };
      }
    }
    return { error: `File not found in the project or allowed paths: ${importPath}` };
  };
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.version) {
    // py-solc-x parses the "<x.y.z>+commit.<hash>" part of this line.
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return;
  }
  if (!options.standardJson) fail("nothing to do: pass --version or --standard-json");
  const input = fs.readFileSync(0, "utf8");
  const output = solc.compile(input, { import: makeImportResolver(options.allowPaths) });
  process.stdout.write(output);
}

main();
