// Starts `scorecard lsp` for .scorecard files: diagnostics as you type,
// hover, go to definition, references, outline, completion, formatting,
// rename and quick fixes all come from the language server.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace
    .getConfiguration("scorecard")
    .get("server.path", "scorecard");
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "scorecard",
    "Scorecard",
    { run: server, debug: server },
    {
      documentSelector: [{ language: "scorecard" }],
      // Imports that change on disk change what their importers report.
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.scorecard"),
      },
    }
  );
  context.subscriptions.push(client);
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `Could not start \`${command} lsp\`: ${error.message}. ` +
        "Install scorecard or set scorecard.server.path."
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
