import { test } from "node:test";
import assert from "node:assert/strict";
import { pollStatus } from "../dist/index.js";
import { FakeClock, TOKEN, TX_TOKEN, answer, base, fakeFetch, track } from "./helpers.js";

const opts = { timeout: 10_000 };

const urls = [
  ["https://acme.mauth.nevis.cloud", "https://acme.mauth.nevis.cloud/api/v1/status"],
  ["https://acme.mauth.nevis.cloud/", "https://acme.mauth.nevis.cloud/api/v1/status"],
  ["http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v1/status"],
  ["http://127.0.0.1:8080//", "http://127.0.0.1:8080/api/v1/status"],
  ["https://gw.example.test/tenant/a/", "https://gw.example.test/tenant/a/api/v1/status"],
];

for (const [baseUrl, expected] of urls) {
  test(`POSTs the status token as JSON to ${expected} (base ${baseUrl})`, opts, async () => {
    const clock = new FakeClock();
    const http = fakeFetch(clock, (call) => answer(call.index === 0 ? "pending" : "succeeded"));
    const run = track(pollStatus(base(clock, http.fetch, { baseUrl })), clock);
    await clock.advanceTo(10_000);
    assert.equal(run.value.kind, "final");
    assert.equal(http.calls.length, 2);
    for (const call of http.calls) {
      assert.equal(call.url, expected);
      assert.ok(!call.url.includes(TOKEN), "the token is never in the URL");
      const { init } = call;
      assert.deepEqual(Object.keys(init).sort(), ["body", "credentials", "headers", "method", "signal"]);
      assert.equal(init.method, "POST");
      assert.equal(init.body, `{"statusToken":"${TOKEN}"}`);
      assert.equal(init.credentials, "omit");
      assert.ok(init.signal instanceof AbortSignal);
      assert.deepEqual([...new Headers(init.headers).entries()], [["content-type", "application/json"]]);
      assert.equal(new Headers(init.headers).has("Authorization"), false);
    }
    assert.notEqual(http.calls[0].init.signal, http.calls[1].init.signal, "one AbortController per request");
  });
}

test("a token with quotes and unicode is JSON-encoded, not pasted", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, () => answer("succeeded"));
  const statusToken = 'a"b\\c\u00e9\n';
  const run = track(pollStatus(base(clock, http.fetch, { statusToken })), clock);
  await clock.advance(0);
  assert.equal(run.value.kind, "final");
  assert.deepEqual(JSON.parse(http.calls[0].init.body), { statusToken });
});

test("fetch is called as a plain function (a browser's fetch rejects another `this`)", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, () => answer("succeeded"));
  const thisValues = [];
  const strictFetch = function (url, init) {
    "use strict";
    thisValues.push(this);
    return http.fetch(url, init);
  };
  const run = track(pollStatus(base(clock, strictFetch)), clock);
  await clock.advance(0);
  assert.equal(run.value.kind, "final");
  assert.deepEqual(thisValues, [undefined]);
});

test("onStatus gets every answer in order, the final one included, without the transaction token", opts, async () => {
  const clock = new FakeClock();
  const replies = [
    answer("pending", { username: null, extraSecret: "future field" }),
    answer("pending", { transactionId: 42 }),
    answer("succeeded"),
  ];
  const http = fakeFetch(clock, (call) => replies[call.index]);
  const seen = [];
  const run = track(pollStatus(base(clock, http.fetch, { onStatus: (a) => seen.push(a) })), clock);
  await clock.advanceTo(10_000);
  const full = {
    transactionId: "b7d44592-0000-4000-8000-000000000001",
    userId: "7e16ba00-0000-4000-8000-000000000002",
    username: "Userxyz123",
    createdAt: "2020-10-09T12:52:48Z",
    lastUpdatedAt: "2020-10-09T12:52:48Z",
  };
  const { username: _dropped, ...withoutUsername } = full;
  const { transactionId: _bad, ...withoutTx } = full;
  assert.deepEqual(seen, [
    { status: "pending", ...withoutUsername },
    { status: "pending", ...withoutTx },
    { status: "succeeded", ...full },
  ]);
  for (const a of seen) assert.equal("token" in a, false);
  assert.deepEqual(run.value, { kind: "final", answer: { status: "succeeded", ...full }, polls: 3 });
  assert.ok(!JSON.stringify([seen, run.value]).includes(TX_TOKEN));
});

test("only status is needed in an answer", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, () => ({ json: { status: "failed" } }));
  const run = track(pollStatus(base(clock, http.fetch)), clock);
  await clock.advance(0);
  assert.deepEqual(run.value, { kind: "final", answer: { status: "failed" }, polls: 1 });
});

test("nothing is ever written to the console", opts, async () => {
  const clock = new FakeClock();
  const methods = ["log", "info", "warn", "error", "debug", "trace"];
  const saved = methods.map((m) => console[m]);
  const written = [];
  methods.forEach((m) => {
    console[m] = (...args) => written.push([m, args]);
  });
  try {
    const replies = [{ error: new TypeError("fetch failed") }, { body: "<html>" }, { status: 503 }, answer("pending"), { status: 401 }];
    const http = fakeFetch(clock, (call) => replies[call.index]);
    const run = track(pollStatus(base(clock, http.fetch)), clock);
    await clock.advanceTo(60_000);
    assert.equal(run.value.kind, "rejected");
  } finally {
    methods.forEach((m, i) => {
      console[m] = saved[i];
    });
  }
  assert.deepEqual(written, []);
});
