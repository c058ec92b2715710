import { test } from "node:test";
import assert from "node:assert/strict";
import { pollStatus } from "../dist/index.js";
import { FakeClock, answer, base, fakeFetch, track } from "./helpers.js";

const opts = { timeout: 10_000 };

for (const final of ["succeeded", "failed", "unknown", "expired-in-a-future-api"]) {
  test(`polling stops on "${final}"`, opts, async () => {
    const clock = new FakeClock();
    const http = fakeFetch(clock, (call) => answer(call.index < 2 ? "pending" : final));
    const seen = [];
    const run = track(pollStatus(base(clock, http.fetch, { onStatus: (a) => seen.push(a.status) })), clock);
    await clock.advanceTo(60_000);
    assert.equal(run.settled, true);
    assert.equal(run.value.kind, "final");
    assert.equal(run.value.answer.status, final);
    assert.equal(run.value.polls, 3);
    assert.deepEqual(seen, ["pending", "pending", final]);
    assert.deepEqual(http.times(), [0, 1000, 2000]);
    assert.equal(run.at, 2000);
    assert.equal(clock.timerCount, 0, "no timer left behind");
  });
}

test("the first poll goes out at once, before any timer fires", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, () => answer("pending"));
  pollStatus(base(clock, http.fetch, { timeoutMs: 5000 }));
  assert.equal(http.calls.length, 1);
  assert.equal(http.calls[0].at, 0);
  await clock.advanceTo(5000);
});

test("answers taking 60% of the interval still give polls at k·interval (no drift)", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, (call) => ({ ...answer(call.index < 7 ? "pending" : "succeeded"), delay: 600 }));
  const run = track(pollStatus(base(clock, http.fetch)), clock);
  await clock.advanceTo(20_000);
  assert.deepEqual(http.times(), [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]);
  assert.equal(run.value.kind, "final");
  assert.equal(run.at, 7600);
  assert.equal(http.maxInFlight, 1);
});

test("uneven answer times keep the grid: the next poll is at the next slot, not interval after the answer", opts, async () => {
  const clock = new FakeClock();
  const delays = [10, 900, 350, 999, 1, 500];
  const http = fakeFetch(clock, (call) => ({ ...answer(call.index < 5 ? "pending" : "failed"), delay: delays[call.index] }));
  const run = track(pollStatus(base(clock, http.fetch)), clock);
  await clock.advanceTo(20_000);
  assert.deepEqual(http.times(), [0, 1000, 2000, 3000, 4000, 5000]);
  assert.equal(run.value.answer.status, "failed");
});

test("a slow answer skips the missed slots instead of bursting, one request at a time", opts, async () => {
  const clock = new FakeClock();
  // The 2nd answer takes 2.5 intervals; the rest are quick.
  const http = fakeFetch(clock, (call) => ({ ...answer(call.index < 5 ? "pending" : "succeeded"), delay: call.index === 1 ? 2500 : 100 }));
  const run = track(pollStatus(base(clock, http.fetch, { requestTimeoutMs: 5000 })), clock);
  await clock.advanceTo(20_000);
  // 1000 + 2500 = 3500: slots 2000 and 3000 are gone; next at 4000, then on the grid again.
  assert.deepEqual(http.times(), [0, 1000, 4000, 5000, 6000, 7000]);
  assert.equal(http.maxInFlight, 1);
  assert.equal(run.value.kind, "final");
});

test("the deadline ends a poll that stays pending with outcome timeout, aborting the request in flight", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, () => ({ ...answer("pending"), delay: 400 }));
  const run = track(pollStatus(base(clock, http.fetch, { timeoutMs: 4200 })), clock);
  await clock.advanceTo(4199);
  assert.equal(run.settled, false);
  await clock.advanceTo(4200);
  assert.equal(run.settled, true);
  assert.deepEqual(run.value, { kind: "timeout", polls: 5 });
  assert.equal(run.at, 4200);
  assert.deepEqual(http.times(), [0, 1000, 2000, 3000, 4000]);
  assert.equal(http.calls[4].aborted, true, "the request in flight at the deadline is aborted");
  await clock.advanceTo(60_000);
  assert.equal(http.calls.length, 5, "nothing after the deadline");
  assert.equal(clock.timerCount, 0);
});

test("the default deadline is 5 minutes and the default interval 1.5 s", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, () => answer("pending"));
  const run = track(pollStatus({ baseUrl: "http://127.0.0.1:8080", statusToken: "t", clock, fetch: http.fetch, document: null }), clock);
  await clock.advanceTo(299_999);
  assert.equal(run.settled, false);
  await clock.advanceTo(300_000);
  assert.equal(run.value.kind, "timeout");
  assert.deepEqual(http.times().slice(0, 4), [0, 1500, 3000, 4500]);
  assert.equal(http.calls.length, 200); // 0, 1500, ..., 298500
});

test("abort during a request ends the poll at once and aborts the request", opts, async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const http = fakeFetch(clock, (call) => ({ ...answer("pending"), delay: call.index === 2 ? 800 : 10 }));
  const run = track(pollStatus(base(clock, http.fetch, { signal: controller.signal })), clock);
  await clock.advanceTo(2300);
  assert.equal(http.calls.length, 3);
  assert.equal(http.inFlight, 1);
  controller.abort();
  await clock.advance(0); // no virtual time passes
  assert.equal(run.settled, true);
  assert.deepEqual(run.value, { kind: "aborted", polls: 3 });
  assert.equal(run.at, 2300);
  assert.equal(http.calls[2].aborted, true);
  assert.equal(http.calls[2].init.signal.aborted, true);
  await clock.advanceTo(30_000);
  assert.equal(http.calls.length, 3);
  assert.equal(clock.timerCount, 0);
});

test("abort between polls ends the poll at once", opts, async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const http = fakeFetch(clock, () => answer("pending"));
  const run = track(pollStatus(base(clock, http.fetch, { signal: controller.signal })), clock);
  await clock.advanceTo(1500);
  controller.abort();
  await clock.advance(0);
  assert.deepEqual(run.value, { kind: "aborted", polls: 2 });
  assert.equal(run.at, 1500);
  await clock.advanceTo(30_000);
  assert.equal(http.calls.length, 2);
});

test("an already aborted signal sends nothing", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, () => answer("pending"));
  const outcome = await pollStatus(base(clock, http.fetch, { signal: AbortSignal.abort() }));
  assert.deepEqual(outcome, { kind: "aborted", polls: 0 });
  assert.equal(http.calls.length, 0);
  assert.equal(clock.timerCount, 0);
});

test("a callback that throws stops the poll and rejects with its error", opts, async () => {
  const clock = new FakeClock();
  const http = fakeFetch(clock, () => answer("pending"));
  const boom = new Error("boom");
  let calls = 0;
  const run = track(
    pollStatus(
      base(clock, http.fetch, {
        onStatus: () => {
          calls += 1;
          if (calls === 2) throw boom;
        },
      }),
    ),
    clock,
  );
  await clock.advanceTo(10_000);
  assert.equal(run.error, boom);
  assert.equal(http.calls.length, 2);
  assert.equal(clock.timerCount, 0);
});
