// What the browser tests share: starting `fupin serve` on a free port, and watching a page for
// console errors, script errors and failed requests. (Not a test file: `node --test` runs
// `*.test.js` only.)
import { spawn } from "node:child_process";

/** Starts `fupin serve` on port 0; resolves to { server, url } once it prints its address. */
export function startServer(fupinBin, dbUrl) {
  return new Promise((resolve, reject) => {
    const server = spawn(fupinBin, ["--db", dbUrl, "serve", "--listen", "127.0.0.1:0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timer = setTimeout(() => reject(new Error(`fupin serve did not start: ${output}`)), 30000);
    server.stdout.on("data", (chunk) => {
      output += chunk;
      const match = output.match(/http:\/\/[0-9.]+:[0-9]+/);
      if (match) {
        clearTimeout(timer);
        resolve({ server, url: match[0] });
      }
    });
    server.stderr.on("data", (chunk) => {
      output += chunk;
    });
    server.on("exit", (code) => reject(new Error(`fupin serve exited with ${code}: ${output}`)));
  });
}

/** Collects console errors, script errors and responses of 400 or more of a page. */
export function watch(page) {
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  return problems;
}
