// Tokenizes every example scorecard with the TextMate grammar, as VS Code
// does, and fails on any text left unclassified or marked invalid. Files
// the parser rejects (syntax-error fixtures) are left out: `scorecard check`
// decides which those are.
"use strict";

const assert = require("assert");
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.resolve(__dirname, "..", "..", "..");
const grammarPath = path.join(__dirname, "..", "syntaxes", "scorecard.tmLanguage.json");

function scorecardBinary() {
  if (process.env.SCORECARD_BIN) return process.env.SCORECARD_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(root, "target");
  const bin = path.join(target, "debug", "scorecard");
  assert.ok(fs.existsSync(bin), `${bin} is missing: run \`cargo build\` first, or set SCORECARD_BIN`);
  return bin;
}

function walk(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.name.endsWith(".scorecard")) out.push(full);
  }
  return out;
}

/** The files of `files` with a syntax error (a `P` code), by `scorecard check`. */
function unparsable(files) {
  let output;
  try {
    output = execFileSync(scorecardBinary(), ["check", "--format", "json", ...files], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    // Exit code 1: findings; the report is still on standard output.
    if (e.status !== 1) throw e;
    output = e.stdout;
  }
  const found = JSON.parse(output.toString("utf8"));
  return new Set(found.filter((d) => d.code.startsWith("P")).map((d) => path.resolve(root, d.file)));
}

async function loadGrammar() {
  const wasm = fs.readFileSync(path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) =>
      scope === "source.scorecard"
        ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath)
        : null,
  });
  return registry.loadGrammar("source.scorecard");
}

/** Every token of a text: [line number, text, scopes]. */
function tokenize(grammar, text) {
  const out = [];
  let state = vsctm.INITIAL;
  text.split(/\r?\n/).forEach((line, n) => {
    const result = grammar.tokenizeLine(line, state);
    for (const t of result.tokens) {
      out.push([n + 1, line.slice(t.startIndex, t.endIndex), t.scopes]);
    }
    state = result.ruleStack;
  });
  return out;
}

/** Problems of a text: tokens with no scope of their own, or an invalid one. */
function problems(grammar, text) {
  return tokenize(grammar, text)
    .filter(([, s]) => s.trim() !== "")
    .filter(([, , scopes]) => scopes.length < 2 || scopes.some((x) => x.startsWith("invalid")))
    .map(([line, s, scopes]) => `line ${line}: \`${s}\` is ${scopes.length < 2 ? "unclassified" : scopes.join(" ")}`);
}

function scopeOf(grammar, text, word) {
  const token = tokenize(grammar, text).find(([, s]) => s === word);
  assert.ok(token, `\`${word}\` is a token of ${JSON.stringify(text)}`);
  return token[2][token[2].length - 1];
}

async function main() {
  const grammar = await loadGrammar();

  // The grammar tells the kinds of words apart…
  const sample = 'metric win_rate "Share won" { value log(won / (won + lost)) points { [0, 0.5) => 40  else => 0 } } // note';
  assert.strictEqual(scopeOf(grammar, sample, "metric"), "storage.type.scorecard");
  assert.strictEqual(scopeOf(grammar, sample, "win_rate"), "entity.name.type.scorecard");
  assert.strictEqual(scopeOf(grammar, sample, "Share won"), "string.quoted.double.scorecard");
  assert.strictEqual(scopeOf(grammar, sample, "log"), "support.function.builtin.scorecard");
  assert.strictEqual(scopeOf(grammar, sample, "won"), "variable.other.scorecard");
  assert.strictEqual(scopeOf(grammar, sample, "0.5"), "constant.numeric.scorecard");
  assert.strictEqual(scopeOf(grammar, sample, "=>"), "keyword.operator.scorecard");
  assert.strictEqual(scopeOf(grammar, sample, "else"), "keyword.control.scorecard");
  assert.strictEqual(scopeOf(grammar, sample, "points"), "keyword.other.scorecard");
  assert.strictEqual(scopeOf(grammar, sample, "// note"), "comment.line.double-slash.scorecard");
  // …and a character the language does not have is shown as an error.
  assert.deepStrictEqual(problems(grammar, "value a § b"), ["line 1: `§` is source.scorecard invalid.illegal.character.scorecard"]);

  // Every keyword of the parser's grammar is a keyword here too, and every
  // function of the language reference is a built-in function.
  const pest = fs.readFileSync(path.join(root, "grammar", "scorecard.pest"), "utf8");
  const keywords = [...pest.matchAll(/^kw_\w+ = @\{ "(\w+)"/gm)].map((m) => m[1]);
  assert.ok(keywords.length > 50, "the grammar's keywords are found");
  for (const word of keywords) {
    const scope = scopeOf(grammar, `${word} `, word);
    assert.ok(!scope.startsWith("variable.other"), `\`${word}\` is a keyword, not ${scope}`);
  }
  const language = fs.readFileSync(path.join(root, "docs", "language.md"), "utf8");
  const table = language.slice(language.indexOf("## 8. Functions"), language.indexOf("## 9."));
  const functions = [...table.matchAll(/^\| `(\w+)\(/gm)].map((m) => m[1]);
  assert.ok(functions.length > 20, "the functions are found");
  for (const name of functions) {
    assert.strictEqual(scopeOf(grammar, `${name}(x)`, name), "support.function.builtin.scorecard", name);
  }

  const files = [
    ...walk(path.join(root, "scorecards"), []),
    ...walk(path.join(root, "bench"), []),
    ...walk(path.join(root, "tests", "fixtures"), []),
  ];
  const rejected = unparsable(files);
  const checked = files.filter((f) => !rejected.has(f));
  assert.ok(checked.length >= 50, `only ${checked.length} scorecards found`);
  let tokens = 0;
  const failures = [];
  for (const file of checked) {
    const text = fs.readFileSync(file, "utf8");
    tokens += tokenize(grammar, text).length;
    for (const p of problems(grammar, text)) failures.push(`${path.relative(root, file)} ${p}`);
  }
  if (failures.length > 0) {
    console.error(failures.slice(0, 50).join("\n"));
    console.error(`${failures.length} tokens unclassified or invalid`);
    process.exit(1);
  }
  console.log(`${checked.length} scorecards (${rejected.size} with syntax errors left out), ${tokens} tokens: every one classified`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
