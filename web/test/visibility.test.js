import { test } from "node:test";
import assert from "node:assert/strict";
import { pollStatus } from "../dist/index.js";
import { FakeClock, FakeDocument, answer, base, fakeFetch, track } from "./helpers.js";

const opts = { timeout: 10_000 };

test("a page hidden for pauseWhenHiddenAfterMs stops polling and polls at once when visible again", opts, async () => {
  const clock = new FakeClock();
  const doc = new FakeDocument();
  const http = fakeFetch(clock, (call) => answer(call.index < 6 ? "pending" : "succeeded"));
  const run = track(pollStatus(base(clock, http.fetch, { document: doc, pauseWhenHiddenAfterMs: 3000 })), clock);
  assert.equal(doc.listenerCount, 1);
  await clock.advanceTo(500);
  doc.set("hidden");
  await clock.advanceTo(10_000);
  // Hidden since 500: the poll at 3000 (hidden 2.5 s) still goes out, the one at 4000 (3.5 s) does not.
  assert.deepEqual(http.times(), [0, 1000, 2000, 3000]);
  doc.set("visible");
  await clock.advance(0);
  assert.deepEqual(http.times(), [0, 1000, 2000, 3000, 10000], "polls at once when visible");
  await clock.advanceTo(60_000);
  assert.deepEqual(http.times(), [0, 1000, 2000, 3000, 10000, 11000, 12000]);
  assert.equal(run.value.kind, "final");
  assert.equal(doc.listenerCount, 0, "listener removed at the end");
});

test("a page hidden for less than pauseWhenHiddenAfterMs keeps the schedule", opts, async () => {
  const clock = new FakeClock();
  const doc = new FakeDocument();
  const http = fakeFetch(clock, (call) => answer(call.index < 5 ? "pending" : "succeeded"));
  track(pollStatus(base(clock, http.fetch, { document: doc, pauseWhenHiddenAfterMs: 3000 })), clock);
  await clock.advanceTo(500);
  doc.set("hidden");
  await clock.advanceTo(3200);
  doc.set("visible");
  await clock.advanceTo(3300);
  doc.set("hidden"); // the hidden time starts again from here
  await clock.advanceTo(60_000);
  assert.deepEqual(http.times(), [0, 1000, 2000, 3000, 4000, 5000]);
});

test("a page hidden from the start pauses after the threshold; the deadline keeps running", opts, async () => {
  const clock = new FakeClock();
  const doc = new FakeDocument();
  doc.visibilityState = "hidden";
  const http = fakeFetch(clock, () => answer("pending"));
  const run = track(pollStatus(base(clock, http.fetch, { document: doc, pauseWhenHiddenAfterMs: 2000, timeoutMs: 8000 })), clock);
  await clock.advanceTo(7999);
  assert.deepEqual(http.times(), [0, 1000]);
  assert.equal(run.settled, false);
  await clock.advanceTo(8000);
  assert.deepEqual(run.value, { kind: "timeout", polls: 2 });
  assert.equal(doc.listenerCount, 0);
  assert.equal(clock.timerCount, 0);
});

test("abort while paused ends the poll at once", opts, async () => {
  const clock = new FakeClock();
  const doc = new FakeDocument();
  doc.visibilityState = "hidden";
  const controller = new AbortController();
  const http = fakeFetch(clock, () => answer("pending"));
  const run = track(pollStatus(base(clock, http.fetch, { document: doc, pauseWhenHiddenAfterMs: 0, signal: controller.signal })), clock);
  await clock.advanceTo(5000);
  assert.equal(http.calls.length, 0, "pauseWhenHiddenAfterMs 0 sends nothing while hidden");
  controller.abort();
  await clock.advance(0);
  assert.deepEqual(run.value, { kind: "aborted", polls: 0 });
  assert.equal(run.at, 5000);
});

test("pauseWhenHiddenAfterMs: Infinity never pauses", opts, async () => {
  const clock = new FakeClock();
  const doc = new FakeDocument();
  doc.visibilityState = "hidden";
  const http = fakeFetch(clock, () => answer("pending"));
  track(pollStatus(base(clock, http.fetch, { document: doc, pauseWhenHiddenAfterMs: Infinity, timeoutMs: 100_000 })), clock);
  await clock.advanceTo(100_000);
  assert.equal(http.calls.length, 100);
});

test("globalThis.document is used by default, with the 30 s default threshold", opts, async () => {
  const clock = new FakeClock();
  const doc = new FakeDocument();
  globalThis.document = doc;
  try {
    const http = fakeFetch(clock, () => answer("pending"));
    const options = base(clock, http.fetch, { timeoutMs: 60_000 });
    delete options.document;
    track(pollStatus(options), clock);
    assert.equal(doc.listenerCount, 1);
    doc.set("hidden");
    await clock.advanceTo(60_000);
    // Hidden since 0: polls at 0 .. 29000 go out, 30000 pauses.
    assert.equal(http.calls.length, 30);
    assert.equal(http.calls.at(-1).at, 29_000);
  } finally {
    delete globalThis.document;
  }
});
