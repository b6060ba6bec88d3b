// Follows one job's log over the daemon's WebSocket, as a real client would.
//
//   node --experimental-websocket ws-client.mjs <ws-url> [--token T | --token-file F |
//        --query-token T] [--lines FILE] [--out DIR] [--after N] [--follow] [--timeout SECONDS]
//
// Node 20 has the WHATWG WebSocket client (undici) only behind --experimental-websocket;
// Node 22+ has it by default. No npm packages.
//
// --token sends "Authorization: Bearer T" (undici's WebSocketInit accepts headers);
// --query-token appends ?token=T, the form browsers must use.
// --token-file reads T from a file, so it stays out of the process list.
// Writes the text of every "line" frame to --lines (one per line) at the end. --out DIR
// appends each line's text and a newline to DIR/stdout or DIR/stderr as it arrives (a test
// can wait for a line the client has seen). --after N asks for lines after seq N only.
// --follow: when the connection ends without an end frame (the daemon shut down with 1001,
// was killed, or is not up yet), connect again with ?after=<last seq received>, until the
// end frame or the timeout: a client that follows a job across daemon restarts.
// Prints one JSON summary to stdout:
//   {"opened":true,"connections":1,"lines":N,"firstSeq":1,"lastSeq":N,"seqContiguous":true,
//    "end":{...end frame...},"closeCode":1000,"shutdownFrames":0,"reconnectCount":0,
//    "reconnects":[],"error":null}
// ("reconnects" lists the first 20 reconnections: the close code and error before each, and
// the after= it sends; "reconnectCount" counts them all.)
// Exit code: 0 when an end frame arrived, every seq from after+1 to end.lastSeq arrived once
// and in order, and the last connection closed with 1000; 1 otherwise; 2 on bad usage.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

function parseArgs(argv) {
  const options = { url: null, token: null, queryToken: null, lines: null, out: null, after: 0, follow: false, timeout: 600 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === "--token") options.token = next();
    else if (arg === "--token-file") options.token = readFileSync(next(), "utf8").trim();
    else if (arg === "--query-token") options.queryToken = next();
    else if (arg === "--lines") options.lines = next();
    else if (arg === "--out") options.out = next();
    else if (arg === "--after") options.after = Number(next());
    else if (arg === "--follow") options.follow = true;
    else if (arg === "--timeout") options.timeout = Number(next());
    else if (!options.url) options.url = arg;
    else usage(`unexpected argument ${arg}`);
  }
  if (!options.url) usage("missing <ws-url>");
  if (!Number.isInteger(options.after) || options.after < 0) usage("--after needs a whole number");
  return options;
}

function usage(message) {
  process.stderr.write(`ws-client: ${message}\n`);
  process.exit(2);
}

const options = parseArgs(process.argv.slice(2));
if (typeof WebSocket !== "function") {
  usage("no global WebSocket: run node with --experimental-websocket (Node 20.10+)");
}

const summary = {
  progress: 0,
  opened: false,
  connections: 0,
  lines: 0,
  firstSeq: null,
  lastSeq: null,
  seqContiguous: true,
  streams: {},
  end: null,
  closeCode: null,
  closeReason: null,
  shutdownFrames: 0,
  reconnectCount: 0,
  reconnects: [],
  error: null,
};
const texts = [];
if (options.out) mkdirSync(options.out, { recursive: true });

// The URL of the next connection: the given one, plus ?after= once lines arrived (or --after).
function connectionUrl() {
  const url = new URL(options.url);
  const after = summary.lastSeq ?? options.after;
  if (after > 0) url.searchParams.set("after", String(after));
  if (options.queryToken) url.searchParams.set("token", options.queryToken);
  return url.toString();
}

const timer = setTimeout(() => {
  summary.error = `timed out after ${options.timeout}s`;
  finish();
}, options.timeout * 1000);

let socket = null;
let finished = false;

function connect() {
  const init = options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : undefined;
  const current = init ? new WebSocket(connectionUrl(), init) : new WebSocket(connectionUrl());
  socket = current;
  let opened = false;
  let ended = false;
  // Node 20's WebSocket (undici) fires "error" but never "close" when the connection is refused
  // or the handshake fails, and a daemon in the middle of stopping may accept the TCP
  // connection and never answer the handshake. So a connection ends at the first of: its
  // close event, an error before it opened, or 10 s without a handshake.
  const handshakeTimer = setTimeout(() => connectionEnded(1006, "", "no handshake within 10 s"), 10_000);

  function connectionEnded(code, reason, error) {
    if (ended) return;
    ended = true;
    clearTimeout(handshakeTimer);
    if (!opened) current.close();
    summary.closeCode = code;
    summary.closeReason = reason;
    if (options.follow && !summary.end && code !== 1000 && summary.error === null && !finished) {
      summary.reconnectCount++;
      // The first ones tell the story; a daemon that is down for a while refuses many more.
      if (summary.reconnects.length < 20) summary.reconnects.push({ closeCode: code, after: summary.lastSeq ?? options.after, error });
      // A daemon that is restarting refuses connections for a moment: try again shortly.
      setTimeout(connect, 250);
      return;
    }
    if (error) summary.error ??= error;
    finish();
  }

  current.addEventListener("open", () => {
    clearTimeout(handshakeTimer);
    opened = true;
    summary.opened = true;
    summary.connections++;
  });

  current.addEventListener("message", (event) => {
    if (typeof event.data !== "string") {
      summary.error ??= "received a binary frame; every frame must be one JSON text";
      return;
    }
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      summary.error ??= `frame is not JSON: ${event.data.slice(0, 200)}`;
      return;
    }
    if (frame.type === "line") {
      if (summary.end) summary.error ??= "line frame after the end frame";
      const expected = (summary.lastSeq ?? options.after) + 1;
      if (frame.seq !== expected) {
        summary.seqContiguous = false;
        summary.error ??= `expected seq ${expected}, got ${frame.seq}`;
      }
      summary.firstSeq ??= frame.seq;
      summary.lastSeq = frame.seq;
      summary.lines++;
      summary.streams[frame.stream] = (summary.streams[frame.stream] ?? 0) + 1;
      texts.push(String(frame.text));
      if (options.out) appendFileSync(`${options.out}/${frame.stream === "stderr" ? "stderr" : "stdout"}`, `${frame.text}\n`);
    } else if (frame.type === "progress") {
      // Progress is state between lines: it carries no seq, and a phase apt reports.
      if ("seq" in frame) summary.error ??= "a progress frame carries a seq";
      if (!["update", "download", "install"].includes(frame.phase)) summary.error ??= `progress phase ${frame.phase}`;
      summary.progress++;
    } else if (frame.type === "end") {
      summary.end = frame;
    } else if (frame.type === "shutdown") {
      summary.shutdownFrames++;
      if (frame.lastSeq !== (summary.lastSeq ?? options.after)) {
        summary.error ??= `shutdown frame says lastSeq ${frame.lastSeq}, but the last line received was ${summary.lastSeq}`;
      }
    } else {
      summary.error ??= `unknown frame type ${JSON.stringify(frame.type)}`;
    }
  });

  current.addEventListener("error", (event) => {
    const error = `socket error: ${event.message ?? event.error?.message ?? "unknown (handshake refused?)"}`;
    if (!opened) connectionEnded(1006, "", error);
  });

  current.addEventListener("close", (event) => connectionEnded(event.code, event.reason, null));
}

function finish() {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  if (socket && socket.readyState <= 1) socket.close(1000);
  if (options.lines) writeFileSync(options.lines, texts.length ? texts.join("\n") + "\n" : "");
  const endSeqMatches = summary.end !== null && summary.end.lastSeq === (summary.lastSeq ?? options.after);
  if (summary.end && !endSeqMatches) {
    summary.error ??= `end.lastSeq ${summary.end.lastSeq} but the last line frame was ${summary.lastSeq}`;
  }
  const ok = summary.error === null && summary.end !== null && summary.seqContiguous && endSeqMatches && summary.closeCode === 1000;
  process.stdout.write(JSON.stringify(summary) + "\n");
  process.exit(ok ? 0 : 1);
}

connect();
