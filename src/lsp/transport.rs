//! JSON-RPC over a byte stream: `Content-Length` framed messages. A frame
//! that is not JSON, or JSON that is not a message, is answered with an
//! error and reading goes on; only the end of the input stops it.

use std::io::{BufRead, Read, Write};
use std::sync::mpsc::{Receiver, Sender, channel};

use lsp_server::{Message, RequestId};
use serde_json::{Value, json};

/// What the reader hands to the server.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A frame that could not be read as a message: answer `code`.
    Malformed {
        id: Option<RequestId>,
        code: i32,
        message: String,
    },
}

/// The largest message read (a scorecard is at most a few MiB).
const MAX_FRAME: usize = 64 * 1024 * 1024;

/// Read frames from `input` on a thread until it ends.
pub fn reader(mut input: impl BufRead + Send + 'static) -> Receiver<Incoming> {
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        while let Some(incoming) = read_frame(&mut input) {
            if sender.send(incoming).is_err() {
                break;
            }
        }
    });
    receiver
}

/// The longest header line read as one.
const MAX_HEADER_LINE: u64 = 8 * 1024;

/// One frame, or `None` at the end of the input.
fn read_frame(input: &mut impl BufRead) -> Option<Incoming> {
    let mut length: Option<usize> = None;
    let mut too_large: Option<u64> = None;
    let mut bad_header = false;
    let mut line = String::new();
    loop {
        line.clear();
        match input.by_ref().take(MAX_HEADER_LINE).read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            if length.is_some() || too_large.is_some() || bad_header {
                break;
            }
            continue;
        }
        match header.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<u64>() {
                    Ok(n) if n <= MAX_FRAME as u64 => length = usize::try_from(n).ok(),
                    Ok(n) => too_large = Some(n),
                    Err(_) => bad_header = true,
                }
            }
            Some(_) => {}
            None => bad_header = true,
        }
    }
    if let Some(n) = too_large {
        // Skipped unread, so the next frame starts where it should.
        if std::io::copy(&mut input.by_ref().take(n), &mut std::io::sink()).ok() != Some(n) {
            return None;
        }
        return Some(malformed(
            None,
            -32700,
            &format!("a message of {n} bytes, above the limit of {MAX_FRAME}"),
        ));
    }
    let Some(length) = length.filter(|_| !bad_header) else {
        return Some(malformed(
            None,
            -32700,
            "a message without a valid Content-Length header",
        ));
    };
    let mut body = vec![0u8; length];
    if input.read_exact(&mut body).is_err() {
        return None;
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return Some(malformed(None, -32700, &format!("parse error: {e}"))),
    };
    let id = value
        .get("id")
        .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
    // Told apart by their fields, since a message of one kind with a wrong
    // field could otherwise read as another kind.
    let message = if value.get("method").is_some() {
        if value.get("id").is_some() {
            serde_json::from_value(value).map(Message::Request)
        } else {
            serde_json::from_value(value).map(Message::Notification)
        }
    } else if value.get("result").is_some() || value.get("error").is_some() {
        serde_json::from_value(value).map(Message::Response)
    } else {
        return Some(malformed(id, -32600, "invalid request: no method"));
    };
    match message {
        Ok(message) => Some(Incoming::Message(message)),
        Err(e) => Some(malformed(id, -32600, &format!("invalid request: {e}"))),
    }
}

fn malformed(id: Option<RequestId>, code: i32, message: &str) -> Incoming {
    Incoming::Malformed {
        id,
        code,
        message: message.to_string(),
    }
}

/// Write messages to `output` on a thread, in the order sent.
pub fn writer(
    mut output: impl Write + Send + 'static,
) -> (Sender<Outgoing>, std::thread::JoinHandle<()>) {
    let (sender, receiver) = channel::<Outgoing>();
    let handle = std::thread::spawn(move || {
        for out in receiver {
            let written = match out {
                Outgoing::Message(m) => m.write(&mut output),
                Outgoing::Raw(value) => {
                    let text = value.to_string();
                    write!(output, "Content-Length: {}\r\n\r\n{text}", text.len())
                        .and_then(|()| output.flush())
                }
            };
            if written.is_err() {
                break;
            }
        }
    });
    (sender, handle)
}

/// What the server writes.
#[derive(Debug)]
pub enum Outgoing {
    Message(Message),
    /// A message `lsp_server` cannot express (an error answering no id).
    Raw(Value),
}

/// The error answer to a frame that was not a message.
pub fn error_without_id(code: i32, message: &str) -> Outgoing {
    Outgoing::Raw(json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code, "message": message },
    }))
}
