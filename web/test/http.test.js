// End to end on the loopback: Node's real fetch and real timers against a
// small HTTP server that plays the status endpoint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { pollStatus } from "../dist/index.js";
import { TOKEN, TX_TOKEN } from "./helpers.js";

function serve(handler) {
  return new Promise((resolve) => {
    const seen = [];
    const server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        handler(seen.length - 1, res);
      });
    });
    server.listen(0, "127.0.0.1", () => resolve({ server, seen, base: `http://127.0.0.1:${server.address().port}` }));
  });
}

function reply(res, status, json, headers = {}) {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(json));
}

test("real fetch: pending, a 503, pending, succeeded", { timeout: 20_000 }, async () => {
  const { server, seen, base } = await serve((i, res) => {
    if (i === 1) return reply(res, 503, { error: "busy" });
    reply(res, 200, { transactionId: "t-1", status: i < 3 ? "pending" : "succeeded", token: TX_TOKEN, userId: "u-1" });
  });
  try {
    const statuses = [];
    const errors = [];
    const starts = [];
    const outcome = await pollStatus({
      fetch: (url, init) => {
        starts.push(performance.now());
        return fetch(url, init);
      },
      baseUrl: `${base}/`,
      statusToken: TOKEN,
      intervalMs: 100,
      timeoutMs: 15_000,
      onStatus: (a) => statuses.push(a),
      onError: (e) => errors.push([e.kind, e.httpStatus, e.retryInMs]),
    });
    assert.deepEqual(outcome, { kind: "final", answer: { status: "succeeded", transactionId: "t-1", userId: "u-1" }, polls: 4 });
    assert.deepEqual(
      statuses.map((a) => a.status),
      ["pending", "pending", "succeeded"],
    );
    assert.deepEqual(errors, [["http", 503, 100]]);
    for (const request of seen) {
      assert.equal(request.method, "POST");
      assert.equal(request.url, "/api/v1/status");
      assert.equal(request.headers["content-type"], "application/json");
      assert.equal(request.headers.authorization, undefined);
      assert.equal(request.headers.cookie, undefined);
      assert.deepEqual(JSON.parse(request.body), { statusToken: TOKEN });
    }
    // Real timers: requests start at least an interval apart (generous upper bound for a busy machine).
    assert.equal(starts.length, 4);
    for (let i = 1; i < starts.length; i += 1) {
      const gap = starts[i] - starts[i - 1];
      assert.ok(gap >= 95 && gap < 2000, `gap ${gap} ms`);
    }
  } finally {
    server.close();
  }
});

test("real fetch: 404 for an unknown token is rejected at once", { timeout: 20_000 }, async () => {
  const { server, seen, base } = await serve((_i, res) => reply(res, 404, { error: "not found" }));
  try {
    const outcome = await pollStatus({ baseUrl: base, statusToken: TOKEN, intervalMs: 100, timeoutMs: 15_000 });
    assert.deepEqual(outcome, { kind: "rejected", httpStatus: 404, polls: 1 });
    assert.equal(seen.length, 1);
  } finally {
    server.close();
  }
});

test("real fetch: abort cancels a request the server never answers", { timeout: 20_000 }, async () => {
  const open = [];
  const { server, seen, base } = await serve((_i, res) => open.push(res));
  try {
    const controller = new AbortController();
    const promise = pollStatus({ baseUrl: base, statusToken: TOKEN, intervalMs: 100, signal: controller.signal });
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    const closed = new Promise((resolve) => open[0].on("close", resolve));
    controller.abort();
    assert.deepEqual(await promise, { kind: "aborted", polls: 1 });
    await closed; // the client really dropped the request
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
