import { test } from "node:test";
import assert from "node:assert/strict";
import { PollError, pollStatus } from "../dist/index.js";
import { FakeClock, TOKEN, TX_TOKEN, answer, base, fakeFetch, track } from "./helpers.js";

const opts = { timeout: 10_000 };

test("429 with Retry-After in seconds is honoured, then the normal interval resumes", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, (call) =>
    [answer("pending"), { status: 429, headers: { "Retry-After": "7" } }, answer("pending"), answer("succeeded")][call.index],
  );
  const errors = [];
  const run = track(pollStatus(base(clock, http.fetch, { onError: (e) => errors.push(e) })), clock);
  await clock.advanceTo(60_000);
  assert.deepEqual(http.times(), [0, 1000, 8000, 9000]);
  assert.equal(run.value.kind, "final");
  assert.equal(run.value.polls, 4);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof PollError);
  assert.equal(errors[0].kind, "http");
  assert.equal(errors[0].httpStatus, 429);
  assert.equal(errors[0].retryInMs, 7000);
  assert.equal(errors[0].attempt, 1);
});

test("Retry-After as an HTTP date is honoured", opts, async () => {
  const clock = new FakeClock();
  const retryAt = new Date(Date.now() + 9000).toUTCString(); // whole seconds: 8 to 9 s from now
  const http = fakeFetch(clock, (call) => (call.index === 0 ? { status: 503, headers: { "Retry-After": retryAt } } : answer("succeeded")));
  const errors = [];
  const run = track(pollStatus(base(clock, http.fetch, { onError: (e) => errors.push(e) })), clock);
  await clock.advanceTo(60_000);
  const wait = errors[0].retryInMs;
  assert.ok(wait > 7000 && wait <= 9000, `retry in ${wait} ms`);
  assert.deepEqual(http.times(), [0, wait]);
  assert.equal(run.value.kind, "final");
});

test("a Retry-After shorter than the interval waits the interval; garbage is ignored", opts, async () => {
  const clock = new FakeClock();
  const replies = [
    { status: 429, headers: { "Retry-After": "0" } },
    { status: 429, headers: { "Retry-After": "1.5" } }, // not delta-seconds nor a date: exponential back-off (2nd failure)
    answer("succeeded"),
  ];
  const http = fakeFetch(clock, (call) => replies[call.index]);
  const errors = [];
  track(pollStatus(base(clock, http.fetch, { onError: (e) => errors.push(e) })), clock);
  await clock.advanceTo(60_000);
  assert.deepEqual(
    errors.map((e) => e.retryInMs),
    [1000, 2000],
  );
  assert.deepEqual(http.times(), [0, 1000, 3000]);
});

test("5xx back-off doubles from the interval and resets after a good answer", opts, async () => {
  const clock = new FakeClock();
  const plan = [500, 502, 503, 504, "pending", "pending", 500, "succeeded"];
  const http = fakeFetch(clock, (call) => {
    const step = plan[call.index];
    return typeof step === "number" ? { status: step } : answer(step);
  });
  const errors = [];
  const run = track(pollStatus(base(clock, http.fetch, { onError: (e) => errors.push(e) })), clock);
  await clock.advanceTo(60_000);
  assert.deepEqual(http.times(), [0, 1000, 3000, 7000, 15000, 16000, 17000, 18000]);
  assert.deepEqual(
    errors.map((e) => [e.httpStatus, e.retryInMs, e.attempt]),
    [
      [500, 1000, 1],
      [502, 2000, 2],
      [503, 4000, 3],
      [504, 8000, 4],
      [500, 1000, 1],
    ],
  );
  assert.equal(run.value.kind, "final");
});

test("back-off is capped at maxBackoffMs", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, (call) => (call.index < 6 ? { status: 500 } : answer("succeeded")));
  const errors = [];
  track(pollStatus(base(clock, http.fetch, { maxBackoffMs: 3000, onError: (e) => errors.push(e) })), clock);
  await clock.advanceTo(60_000);
  assert.deepEqual(
    errors.map((e) => e.retryInMs),
    [1000, 2000, 3000, 3000, 3000, 3000],
  );
  assert.deepEqual(http.times(), [0, 1000, 3000, 6000, 9000, 12000, 15000]);
});

test("network errors, bad JSON, answers without status and request timeouts back off too, and leak no token", opts, async () => {
  const clock = new FakeClock();
  const fetchFailure = new TypeError("fetch failed");
  const replies = [
    { error: fetchFailure },
    { body: `{"token":"${TX_TOKEN}","status":` }, // cut off
    { json: [answer("succeeded").json] },
    { json: { transactionId: "x", token: TX_TOKEN } },
    { hang: true },
    answer("succeeded"),
  ];
  const http = fakeFetch(clock, (call) => replies[call.index]);
  const errors = [];
  const run = track(pollStatus(base(clock, http.fetch, { requestTimeoutMs: 500, onError: (e) => errors.push(e) })), clock);
  await clock.advanceTo(60_000);
  assert.deepEqual(
    errors.map((e) => e.kind),
    ["network", "bad-answer", "bad-answer", "bad-answer", "timeout"],
  );
  assert.deepEqual(
    errors.map((e) => e.retryInMs),
    [1000, 2000, 4000, 8000, 16000],
  );
  assert.deepEqual(http.times(), [0, 1000, 3000, 7000, 15000, 31500]);
  assert.equal(http.calls[4].aborted, true, "the hanging request was aborted by its own timeout");
  assert.equal(errors[0].cause, fetchFailure);
  for (const error of errors.slice(1)) assert.equal(error.cause, undefined);
  for (const error of errors) {
    const text = `${String(error)} ${error.stack} ${JSON.stringify(error)}`;
    assert.ok(!text.includes(TOKEN) && !text.includes(TX_TOKEN), text);
  }
  assert.equal(run.value.kind, "final");
});

test("408 is retried like 429", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, (call) => (call.index === 0 ? { status: 408 } : answer("succeeded")));
  const run = track(pollStatus(base(clock, http.fetch)), clock);
  await clock.advanceTo(60_000);
  assert.equal(run.value.kind, "final");
  assert.equal(http.calls.length, 2);
});

for (const httpStatus of [400, 401, 403, 404, 410]) {
  test(`HTTP ${httpStatus} is not retried: outcome rejected`, opts, async () => {
    const clock = new FakeClock();
    const http = fakeFetch(clock, (call) => (call.index === 0 ? answer("pending") : { status: httpStatus, json: { error: "x" } }));
    const errors = [];
    const run = track(pollStatus(base(clock, http.fetch, { onError: (e) => errors.push(e) })), clock);
    await clock.advanceTo(60_000);
    assert.deepEqual(run.value, { kind: "rejected", httpStatus, polls: 2 });
    assert.equal(run.at, 1000);
    assert.equal(http.calls.length, 2);
    assert.equal(errors.length, 0);
  });
}

test("a retry delay past the deadline ends with timeout at the deadline", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, () => ({ status: 429, headers: { "Retry-After": "60" } }));
  const errors = [];
  const run = track(pollStatus(base(clock, http.fetch, { timeoutMs: 10_000, onError: (e) => errors.push(e) })), clock);
  await clock.advanceTo(9_999);
  assert.equal(run.settled, false);
  assert.equal(errors[0].retryInMs, 60_000);
  await clock.advanceTo(120_000);
  assert.deepEqual(run.value, { kind: "timeout", polls: 1 });
  assert.equal(run.at, 10_000);
  assert.equal(http.calls.length, 1);
});
