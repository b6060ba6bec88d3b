// Serves the lab's apt repository over HTTP, holding package downloads until a test lets
// them go: apt reads a file: repository in place and downloads nothing, so "cancel during the
// download" needs a download that is still going when the cancel arrives.
//
//   node slow-repo.mjs ROOT PORT STATE_DIR
//
// Run it with lab_net, inside a container's network namespace: it listens on 127.0.0.1:PORT
// of the container's own loopback, and reads ROOT and STATE_DIR on the host.
// GET and HEAD of files under ROOT. For a .deb, while STATE_DIR/release does not exist, it
// sends the headers and the first 64 KiB, writes the file's name to STATE_DIR/holding, and
// sends the rest only once STATE_DIR/release exists. Writes STATE_DIR/listening when ready.
// Stops by itself after 15 minutes, in case the test that started it could not.
import { createServer } from "node:http";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { resolve, sep } from "node:path";

const [root, port, stateDir] = process.argv.slice(2);
if (!root || !/^\d+$/.test(port ?? "") || !stateDir) {
  process.stderr.write("usage: slow-repo.mjs ROOT PORT STATE_DIR\n");
  process.exit(2);
}
const rootDir = resolve(root);
const HEAD_BYTES = 64 * 1024;

function released() {
  return existsSync(`${stateDir}/release`);
}

const server = createServer((req, res) => {
  let path;
  try {
    path = resolve(rootDir, "." + decodeURIComponent(new URL(req.url, "http://x").pathname));
  } catch {
    path = null;
  }
  if ((req.method !== "GET" && req.method !== "HEAD") || !path || !path.startsWith(rootDir + sep)) {
    res.writeHead(404).end();
    return;
  }
  let body;
  try {
    if (!statSync(path).isFile()) throw new Error("not a file");
    body = readFileSync(path);
  } catch {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.length });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  if (!path.endsWith(".deb") || released()) {
    res.end(body);
    return;
  }
  res.write(body.subarray(0, HEAD_BYTES));
  writeFileSync(`${stateDir}/holding`, path.slice(rootDir.length + 1) + "\n");
  const poll = setInterval(() => {
    if (res.destroyed) {
      clearInterval(poll);
    } else if (released()) {
      clearInterval(poll);
      res.end(body.subarray(HEAD_BYTES));
    }
  }, 100);
});

server.listen(Number(port), "127.0.0.1", () => writeFileSync(`${stateDir}/listening`, `${port}\n`));
setTimeout(() => process.exit(0), 15 * 60 * 1000).unref();
