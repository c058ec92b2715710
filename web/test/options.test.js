import { test } from "node:test";
import assert from "node:assert/strict";
import { pollStatus } from "../dist/index.js";
import { FakeClock, TOKEN, answer, base, fakeFetch, track } from "./helpers.js";

const opts = { timeout: 10_000 };

const invalid = {
  "intervalMs 99": { intervalMs: 99 },
  "intervalMs 0": { intervalMs: 0 },
  "intervalMs -1500": { intervalMs: -1500 },
  "intervalMs NaN": { intervalMs: NaN },
  "intervalMs Infinity": { intervalMs: Infinity },
  "intervalMs as a string": { intervalMs: "1500" },
  "timeoutMs 0": { timeoutMs: 0 },
  "timeoutMs Infinity": { timeoutMs: Infinity },
  "timeoutMs beyond setTimeout's range": { timeoutMs: 2 ** 31 },
  "maxBackoffMs 50": { maxBackoffMs: 50 },
  "requestTimeoutMs 0": { requestTimeoutMs: 0 },
  "pauseWhenHiddenAfterMs -1": { pauseWhenHiddenAfterMs: -1 },
  "pauseWhenHiddenAfterMs NaN": { pauseWhenHiddenAfterMs: NaN },
  "empty baseUrl": { baseUrl: "" },
  "blank baseUrl": { baseUrl: "   " },
  "baseUrl not a URL (no page to resolve against)": { baseUrl: "acme.mauth.nevis.cloud" },
  "ftp baseUrl": { baseUrl: "ftp://acme.example.test" },
  "baseUrl with a query": { baseUrl: "https://acme.example.test/?x=1" },
  "baseUrl with a fragment": { baseUrl: "https://acme.example.test/#x" },
  "baseUrl with credentials": { baseUrl: "https://user:pw@acme.example.test" },
  "baseUrl a number": { baseUrl: 8080 },
  "missing baseUrl": { baseUrl: undefined },
  "empty statusToken": { statusToken: "" },
  "missing statusToken": { statusToken: undefined },
  "statusToken a number": { statusToken: 123 },
  "onStatus not a function": { onStatus: "log" },
  "onError not a function": { onError: {} },
  "signal not an AbortSignal": { signal: { aborted: false } },
  "document without listeners": { document: { visibilityState: "visible" } },
  "clock without timers": { clock: { now: () => 0 } },
  "fetch not a function": { fetch: "fetch" },
};

for (const [name, override] of Object.entries(invalid)) {
  test(`rejects ${name} with a TypeError, sending nothing`, opts, async () => {
    const clock = new FakeClock();
    const http = fakeFetch(clock, () => answer("succeeded"));
    let promise;
    assert.doesNotThrow(() => {
      promise = pollStatus({ ...base(clock, http.fetch), ...override });
    }, "invalid options reject the promise, they do not throw");
    const run = track(promise, clock);
    await clock.advance(0);
    assert.equal(run.settled, true, "settled at once");
    const error = run.error;
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${String(error ?? JSON.stringify(run.value))}`);
    assert.match(error.message, /^pollStatus: /);
    assert.ok(!error.message.includes(TOKEN), "the token is never in an error message");
    assert.equal(http.calls.length, 0);
    assert.equal(clock.timerCount, 0);
  });
}

for (const options of [null, undefined, "https://acme.example.test"]) {
  test(`rejects options ${JSON.stringify(options)}`, opts, async () => {
    await assert.rejects(pollStatus(options), TypeError);
  });
}

test("rejects when there is no fetch at all", opts, async () => {
  const saved = globalThis.fetch;
  delete globalThis.fetch;
  try {
    const options = base(new FakeClock(), undefined);
    delete options.fetch;
    await assert.rejects(pollStatus(options), /no fetch available/);
  } finally {
    globalThis.fetch = saved;
  }
});

test("the smallest values are accepted", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, (call) => answer(call.index < 2 ? "pending" : "succeeded"));
  const promise = pollStatus(
    base(clock, http.fetch, { intervalMs: 100, timeoutMs: 1000, maxBackoffMs: 100, requestTimeoutMs: 1, pauseWhenHiddenAfterMs: 0 }),
  );
  await clock.advanceTo(1000);
  assert.equal((await promise).kind, "final");
  assert.deepEqual(http.times(), [0, 100, 200]);
});
