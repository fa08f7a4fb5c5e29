//! `scorecard lsp`: a language server over standard input and output.
//!
//! The server is synchronous: one thread reads frames, one writes, and the
//! main loop answers each request in order. Every open document is checked
//! with the checker `scorecard check` runs, over the texts of all open
//! documents, so what the editor shows is what `check` reports, unsaved
//! imports included. Diagnostics are published once the edits pause
//! ([`DEBOUNCE`]); requests always see the latest text.

pub mod actions;
pub mod analysis;
pub mod completion;
pub mod diagnostics;
pub mod hover;
pub mod index;
pub mod navigate;
pub mod rename;
pub mod symbols;
pub mod text;
pub mod transport;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, Write};
use std::rc::Rc;
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::time::Duration;

use lsp_server::{Message, Notification, Request, RequestId, Response, ResponseError};
use lsp_types::{
    CodeActionParams, CompletionParams, DocumentFormattingParams, DocumentSymbolParams,
    GotoDefinitionParams, HoverParams, PositionEncodingKind, ReferenceParams, RenameParams,
    TextDocumentPositionParams, TextEdit,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use analysis::{Analysis, Document, Documents};
use text::{Encoding, LineIndex, uri_to_path};
use transport::{Incoming, Outgoing, error_without_id};

/// How long edits must pause before diagnostics are published.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

const PARSE_ERROR: i32 = -32700;
const INVALID_REQUEST: i32 = -32600;
const METHOD_NOT_FOUND: i32 = -32601;
const INVALID_PARAMS: i32 = -32602;
const INTERNAL_ERROR: i32 = -32603;
const SERVER_NOT_INITIALIZED: i32 = -32002;
const REQUEST_FAILED: i32 = -32803;

type Answer = Result<Value, (i32, String)>;

/// Serve until `exit`; the process's exit code (0 after `shutdown`, else 1).
pub fn serve(input: impl BufRead + Send + 'static, output: impl Write + Send + 'static) -> u8 {
    let incoming = transport::reader(input);
    let (out, writer) = transport::writer(output);
    let mut server = Server::new(out);
    let code = loop {
        let next = if server.dirty {
            incoming.recv_timeout(DEBOUNCE)
        } else {
            incoming.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match next {
            Err(RecvTimeoutError::Timeout) => guard(&mut server, Server::publish_all),
            // The client went away without `exit`.
            Err(RecvTimeoutError::Disconnected) => break 1,
            Ok(Incoming::Malformed { id, code, message }) => server.malformed(id, code, &message),
            Ok(Incoming::Message(Message::Request(r))) => {
                let id = r.id.clone();
                // A defect in a feature must not end the editing session: the
                // request fails, and the next one starts from fresh analyses.
                let answered =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.request(r)));
                if answered.is_err() {
                    server.cache.clear();
                    server.send(error(id, INTERNAL_ERROR, "internal error".to_string()));
                }
            }
            Ok(Incoming::Message(Message::Response(_))) => {}
            Ok(Incoming::Message(Message::Notification(n))) => {
                if n.method == "exit" {
                    break if server.shut_down { 0 } else { 1 };
                }
                guard(&mut server, |s| s.notification(n));
            }
        }
    };
    drop(server);
    let _ = writer.join();
    code
}

/// Run `f`; after a panic, drop the analyses so the next message starts afresh.
fn guard(server: &mut Server, f: impl FnOnce(&mut Server)) {
    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(server)));
    if done.is_err() {
        server.cache.clear();
        server.dirty = false;
    }
}

struct Server {
    out: Sender<Outgoing>,
    encoding: Encoding,
    initialized: bool,
    shut_down: bool,
    documents: Documents,
    /// Analyses of the current texts; emptied by any edit, since a change
    /// to one file can change what its importers report.
    cache: HashMap<String, Rc<Analysis>>,
    /// Edits not yet followed by published diagnostics.
    dirty: bool,
    /// The last analysis of each document that had a model, for completion.
    last_checked: HashMap<String, Rc<Analysis>>,
    /// Files not open whose diagnostics (found through an importer) are shown.
    imports_published: BTreeSet<String>,
}

impl Server {
    fn new(out: Sender<Outgoing>) -> Self {
        Server {
            out,
            encoding: Encoding::Utf16,
            initialized: false,
            shut_down: false,
            documents: Documents::new(),
            cache: HashMap::new(),
            dirty: false,
            imports_published: BTreeSet::new(),
            last_checked: HashMap::new(),
        }
    }

    fn send(&self, message: impl Into<Message>) {
        let _ = self.out.send(Outgoing::Message(message.into()));
    }

    fn malformed(&self, id: Option<RequestId>, code: i32, message: &str) {
        match id {
            Some(id) => self.send(error(id, code, message.to_string())),
            None => {
                let _ = self.out.send(error_without_id(code, message));
            }
        }
    }

    fn request(&mut self, r: Request) {
        let answer = if r.method == "initialize" {
            self.initialize(&r.params)
        } else if !self.initialized {
            Err((
                SERVER_NOT_INITIALIZED,
                "the server has not been initialized".into(),
            ))
        } else if self.shut_down {
            Err((INVALID_REQUEST, "the server is shutting down".into()))
        } else if r.method == "shutdown" {
            self.shut_down = true;
            Ok(Value::Null)
        } else {
            self.answer(&r.method, r.params)
        };
        let response = match answer {
            Ok(result) => Response {
                id: r.id,
                result: Some(result),
                error: None,
            },
            Err((code, message)) => error(r.id, code, message),
        };
        self.send(response);
    }

    fn initialize(&mut self, params: &Value) -> Answer {
        if self.initialized {
            return Err((INVALID_REQUEST, "initialize was already received".into()));
        }
        self.initialized = true;
        let utf8 = params
            .pointer("/capabilities/general/positionEncodings")
            .and_then(Value::as_array)
            .is_some_and(|list| list.iter().any(|e| e == "utf-8"));
        self.encoding = if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        let encoding = if utf8 {
            PositionEncodingKind::UTF8
        } else {
            PositionEncodingKind::UTF16
        };
        Ok(json!({
            "capabilities": {
                "positionEncoding": encoding,
                "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
                "hoverProvider": true,
                "definitionProvider": true,
                "referencesProvider": true,
                "documentSymbolProvider": true,
                "completionProvider": { "triggerCharacters": ["(", " "] },
                "documentFormattingProvider": true,
                "renameProvider": { "prepareProvider": true },
                "codeActionProvider": { "codeActionKinds": ["quickfix"] },
            },
            "serverInfo": { "name": "scorecard", "version": env!("CARGO_PKG_VERSION") },
        }))
    }

    fn notification(&mut self, n: Notification) {
        if !self.initialized {
            return;
        }
        let params = n.params;
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Some(doc) = params.get("textDocument") else {
                    return;
                };
                let (Some(uri), Some(text)) = (
                    doc.get("uri").and_then(Value::as_str),
                    doc.get("text").and_then(Value::as_str),
                ) else {
                    return;
                };
                let version = doc.get("version").and_then(Value::as_i64).unwrap_or(0);
                self.documents.insert(
                    uri.to_string(),
                    Document {
                        text: text.to_string(),
                        version: i32::try_from(version).unwrap_or(0),
                        path: uri_to_path(uri),
                    },
                );
                self.changed();
                // A document opened is checked at once; edits wait for a pause.
                self.publish_all();
            }
            "textDocument/didChange" => {
                let Some(uri) = params.pointer("/textDocument/uri").and_then(Value::as_str) else {
                    return;
                };
                let version = params
                    .pointer("/textDocument/version")
                    .and_then(Value::as_i64);
                let Some(changes) = params.get("contentChanges").and_then(Value::as_array) else {
                    return;
                };
                let encoding = self.encoding;
                let Some(doc) = self.documents.get_mut(uri) else {
                    return;
                };
                for change in changes {
                    let Some(text) = change.get("text").and_then(Value::as_str) else {
                        continue;
                    };
                    match change
                        .get("range")
                        .and_then(|r| serde_json::from_value::<lsp_types::Range>(r.clone()).ok())
                    {
                        Some(range) => {
                            let span = LineIndex::new(&doc.text, encoding).span(range);
                            doc.text.replace_range(span.range(), text);
                        }
                        None => doc.text = text.to_string(),
                    }
                }
                if let Some(v) = version.and_then(|v| i32::try_from(v).ok()) {
                    doc.version = v;
                }
                self.changed();
            }
            "textDocument/didClose" => {
                let Some(uri) = params.pointer("/textDocument/uri").and_then(Value::as_str) else {
                    return;
                };
                self.last_checked.remove(uri);
                if self.documents.remove(uri).is_some() {
                    self.changed();
                    self.send(Notification {
                        method: "textDocument/publishDiagnostics".into(),
                        params: json!({ "uri": uri, "diagnostics": [] }),
                    });
                }
            }
            // Files on disk changed: imports that are not open may read differently.
            "textDocument/didSave" | "workspace/didChangeWatchedFiles" => self.changed(),
            _ => {}
        }
    }

    fn changed(&mut self) {
        self.cache.clear();
        self.dirty = true;
    }

    fn analysis(&mut self, uri: &str) -> Option<Rc<Analysis>> {
        if let Some(a) = self.cache.get(uri) {
            return Some(a.clone());
        }
        let a = Rc::new(Analysis::new(uri, &self.documents)?);
        self.cache.insert(uri.to_string(), a.clone());
        if a.checked.model.is_some() {
            self.last_checked.insert(uri.to_string(), a.clone());
        }
        Some(a)
    }

    fn all_analyses(&mut self) -> Vec<Rc<Analysis>> {
        let uris: Vec<String> = self.documents.keys().cloned().collect();
        uris.iter().filter_map(|u| self.analysis(u)).collect()
    }

    /// Publish each open document's diagnostics, and those `check` reports
    /// in the files they import that are not open themselves (merged over
    /// every importer; emptied once no open document reports any).
    fn publish_all(&mut self) {
        self.dirty = false;
        let open: Vec<(String, i32)> = self
            .documents
            .iter()
            .map(|(u, d)| (u.clone(), d.version))
            .collect();
        let mut imported: BTreeMap<String, (lsp_types::Uri, Vec<lsp_types::Diagnostic>)> =
            BTreeMap::new();
        for (uri, version) in &open {
            let Some(a) = self.analysis(uri) else {
                continue;
            };
            if let Some((u, items)) = diagnostics::in_file(&a, a.root(), self.encoding) {
                self.publish(diagnostics::params(u, items, Some(*version)));
            }
            for loaded in a.program.files.iter().skip(1) {
                let import_uri = a.uri(loaded.file);
                if self.documents.contains_key(import_uri) {
                    continue;
                }
                if let Some((u, items)) = diagnostics::in_file(&a, loaded.file, self.encoding) {
                    let entry = imported
                        .entry(import_uri.to_string())
                        .or_insert_with(|| (u, Vec::new()));
                    for d in items {
                        if !entry.1.contains(&d) {
                            entry.1.push(d);
                        }
                    }
                }
            }
        }
        let before = std::mem::take(&mut self.imports_published);
        for (uri, (u, items)) in imported {
            if items.is_empty() && !before.contains(&uri) {
                continue;
            }
            if !items.is_empty() {
                self.imports_published.insert(uri.clone());
            }
            self.publish(diagnostics::params(u, items, None));
        }
        for uri in before.difference(&self.imports_published.clone()) {
            if self.documents.contains_key(uri) {
                continue;
            }
            if let Ok(u) = uri.parse() {
                self.publish(diagnostics::params(u, Vec::new(), None));
            }
        }
    }

    fn publish(&self, params: lsp_types::PublishDiagnosticsParams) {
        if let Ok(params) = serde_json::to_value(params) {
            self.send(Notification {
                method: "textDocument/publishDiagnostics".into(),
                params,
            });
        }
    }

    /// The analysis of a request's document and the byte offset of its position.
    fn at(
        &mut self,
        p: &TextDocumentPositionParams,
    ) -> Result<(Rc<Analysis>, usize), (i32, String)> {
        let a = self.document(p.text_document.uri.as_str())?;
        let offset = a.lines(a.root(), self.encoding).offset(p.position);
        Ok((a, offset))
    }

    fn document(&mut self, uri: &str) -> Result<Rc<Analysis>, (i32, String)> {
        self.analysis(uri)
            .ok_or_else(|| (REQUEST_FAILED, format!("`{uri}` is not an open document")))
    }

    fn answer(&mut self, method: &str, params: Value) -> Answer {
        let encoding = self.encoding;
        match method {
            "textDocument/hover" => {
                let p: HoverParams = parse(params)?;
                let (a, offset) = self.at(&p.text_document_position_params)?;
                to_value(hover::hover(&a, offset, encoding))
            }
            "textDocument/definition" => {
                let p: GotoDefinitionParams = parse(params)?;
                let (a, offset) = self.at(&p.text_document_position_params)?;
                to_value(navigate::definition(&a, offset, encoding))
            }
            "textDocument/references" => {
                let p: ReferenceParams = parse(params)?;
                let (a, offset) = self.at(&p.text_document_position)?;
                let Some(name) = navigate::declared_name_at(&a, offset) else {
                    return Ok(json!([]));
                };
                let all = self.all_analyses();
                let refs: Vec<&Analysis> = all.iter().map(Rc::as_ref).collect();
                to_value(navigate::mentions(
                    &refs,
                    &name,
                    p.context.include_declaration,
                    encoding,
                ))
            }
            "textDocument/documentSymbol" => {
                let p: DocumentSymbolParams = parse(params)?;
                let a = self.document(p.text_document.uri.as_str())?;
                to_value(symbols::document_symbols(&a, encoding))
            }
            "textDocument/completion" => {
                let p: CompletionParams = parse(params)?;
                let (a, offset) = self.at(&p.text_document_position)?;
                let uri = p.text_document_position.text_document.uri.as_str();
                let text = a.text(a.root());
                let line = text
                    .get(..offset)
                    .unwrap_or("")
                    .rsplit('\n')
                    .next()
                    .unwrap_or("");
                // Mid-edit the text rarely parses: names come from the last version that did.
                let names = match (&a.checked.model, self.last_checked.get(uri)) {
                    (None, Some(last)) => last.clone(),
                    _ => a.clone(),
                };
                to_value(completion::completion(&names, line))
            }
            "textDocument/formatting" => {
                let p: DocumentFormattingParams = parse(params)?;
                let uri = p.text_document.uri.as_str();
                let Some(doc) = self.documents.get(uri) else {
                    return Err((REQUEST_FAILED, format!("`{uri}` is not an open document")));
                };
                // A text with syntax errors is left as it is, as `fmt` leaves it.
                let Ok(formatted) = crate::fmt::format(crate::source::FileId(0), &doc.text) else {
                    return Ok(Value::Null);
                };
                if formatted == doc.text {
                    return Ok(json!([]));
                }
                let lines = LineIndex::new(&doc.text, encoding);
                let whole = lines.range(crate::syntax::ast::Span::new(0, doc.text.len()));
                to_value(vec![TextEdit::new(whole, formatted)])
            }
            "textDocument/prepareRename" => {
                let p: TextDocumentPositionParams = parse(params)?;
                let (a, offset) = self.at(&p)?;
                let Some(o) = a.index.at(a.root(), offset).cloned() else {
                    return Ok(Value::Null);
                };
                if navigate::declared_name_at(&a, offset).is_none() {
                    return Ok(Value::Null);
                }
                rename::check_renamable(&a, &o.name).map_err(|m| (REQUEST_FAILED, m))?;
                let range = a.lines(a.root(), encoding).range(o.span);
                Ok(json!({ "range": range, "placeholder": o.name }))
            }
            "textDocument/rename" => {
                let p: RenameParams = parse(params)?;
                let (a, offset) = self.at(&p.text_document_position)?;
                let all = self.all_analyses();
                let refs: Vec<&Analysis> = all.iter().map(Rc::as_ref).collect();
                let edit = rename::rename(&refs, &a, offset, &p.new_name, encoding)
                    .map_err(|m| (REQUEST_FAILED, m))?;
                to_value(edit)
            }
            "textDocument/codeAction" => {
                let p: CodeActionParams = parse(params)?;
                let a = self.document(p.text_document.uri.as_str())?;
                let span = a.lines(a.root(), encoding).span(p.range);
                to_value(actions::actions(&a, span, encoding))
            }
            _ => Err((METHOD_NOT_FOUND, format!("unknown method `{method}`"))),
        }
    }
}

fn error(id: RequestId, code: i32, message: String) -> Response {
    Response {
        id,
        result: None,
        error: Some(ResponseError {
            code,
            message,
            data: None,
        }),
    }
}

fn parse<P: DeserializeOwned>(params: Value) -> Result<P, (i32, String)> {
    serde_json::from_value(params).map_err(|e| (INVALID_PARAMS, format!("invalid params: {e}")))
}

fn to_value(v: impl serde::Serialize) -> Answer {
    serde_json::to_value(v).map_err(|e| (PARSE_ERROR, e.to_string()))
}
