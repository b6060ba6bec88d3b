// Follows one job's log over the daemon's WebSocket, as a real client would.
//
//   node --experimental-websocket ws-client.mjs <ws-url> [--token T | --query-token T]
//        [--lines FILE] [--timeout SECONDS]
//
// Node 20 has the WHATWG WebSocket client (undici) only behind --experimental-websocket;
// Node 22+ has it by default. No npm packages.
//
// --token sends "Authorization: Bearer T" (undici's WebSocketInit accepts headers);
// --query-token appends ?token=T, the form browsers must use.
// Writes the text of every "line" frame to --lines (one per line), and prints one JSON
// summary to stdout:
//   {"opened":true,"lines":N,"firstSeq":1,"lastSeq":N,"seqContiguous":true,
//    "end":{...end frame...},"closeCode":1000,"error":null}
// Exit code: 0 when an end frame arrived, every seq from 1 to end.lastSeq arrived in
// order, and the socket closed with 1000; 1 otherwise; 2 on bad usage.
import { writeFileSync } from "node:fs";

function parseArgs(argv) {
  const options = { url: null, token: null, queryToken: null, lines: null, timeout: 600 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === "--token") options.token = next();
    else if (arg === "--query-token") options.queryToken = next();
    else if (arg === "--lines") options.lines = next();
    else if (arg === "--timeout") options.timeout = Number(next());
    else if (!options.url) options.url = arg;
    else usage(`unexpected argument ${arg}`);
  }
  if (!options.url) usage("missing <ws-url>");
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

let url = options.url;
if (options.queryToken) {
  url += (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(options.queryToken);
}

const summary = {
  progress: 0,
  opened: false,
  lines: 0,
  firstSeq: null,
  lastSeq: null,
  seqContiguous: true,
  streams: {},
  end: null,
  closeCode: null,
  closeReason: null,
  error: null,
};
const texts = [];

const init = options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : undefined;
const socket = init ? new WebSocket(url, init) : new WebSocket(url);

const timer = setTimeout(() => {
  summary.error = `timed out after ${options.timeout}s`;
  socket.close(1000);
  finish();
}, options.timeout * 1000);

socket.addEventListener("open", () => {
  summary.opened = true;
});

socket.addEventListener("message", (event) => {
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
    const expected = summary.lastSeq === null ? 1 : summary.lastSeq + 1;
    if (frame.seq !== expected) {
      summary.seqContiguous = false;
      summary.error ??= `expected seq ${expected}, got ${frame.seq}`;
    }
    summary.firstSeq ??= frame.seq;
    summary.lastSeq = frame.seq;
    summary.lines++;
    summary.streams[frame.stream] = (summary.streams[frame.stream] ?? 0) + 1;
    texts.push(String(frame.text));
  } else if (frame.type === "progress") {
    // Progress is state between lines: it carries no seq, and a phase apt reports.
    if ("seq" in frame) summary.error ??= "a progress frame carries a seq";
    if (!["update", "download", "install"].includes(frame.phase)) summary.error ??= `progress phase ${frame.phase}`;
    summary.progress++;
  } else if (frame.type === "end") {
    summary.end = frame;
  } else {
    summary.error ??= `unknown frame type ${JSON.stringify(frame.type)}`;
  }
});

socket.addEventListener("error", (event) => {
  summary.error ??= `socket error: ${event.message ?? event.error?.message ?? "unknown (handshake refused?)"}`;
});

socket.addEventListener("close", (event) => {
  summary.closeCode = event.code;
  summary.closeReason = event.reason;
  finish();
});

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  if (options.lines) writeFileSync(options.lines, texts.length ? texts.join("\n") + "\n" : "");
  const endSeqMatches = summary.end !== null && summary.end.lastSeq === (summary.lastSeq ?? 0);
  if (summary.end && !endSeqMatches) {
    summary.error ??= `end.lastSeq ${summary.end.lastSeq} but the last line frame was ${summary.lastSeq}`;
  }
  const ok = summary.error === null && summary.end !== null && summary.seqContiguous && endSeqMatches && summary.closeCode === 1000;
  process.stdout.write(JSON.stringify(summary) + "\n");
  process.exit(ok ? 0 : 1);
}
