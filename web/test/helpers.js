// Test doubles: a virtual clock, a scripted fetch and a fake document.
// Timing tests run in virtual time, so they are exact and do not depend on
// how busy the machine is.

/** Lets every pending promise chain (and real stream reads) run. */
export async function settle() {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Virtual time: timers fire only when the test advances the clock. */
export class FakeClock {
  #now = 0;
  #seq = 0;
  #timers = new Map();

  now() {
    return this.#now;
  }

  setTimeout(callback, ms) {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(id) {
    this.#timers.delete(id);
  }

  /** How many timers are set and not yet fired or cleared. */
  get timerCount() {
    return this.#timers.size;
  }

  /** Fires, in time order, every timer due up to `target`, letting promises settle in between. */
  async advanceTo(target) {
    for (;;) {
      await settle();
      let next;
      for (const [id, timer] of this.#timers) {
        if (timer.at > target) continue;
        if (!next || timer.at < next.timer.at || (timer.at === next.timer.at && id < next.id)) next = { id, timer };
      }
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.timer.at);
      next.timer.callback();
    }
    this.#now = Math.max(this.#now, target);
    await settle();
  }

  advance(ms) {
    return this.advanceTo(this.#now + ms);
  }
}

/**
 * A fetch whose answers come from `respond(call)`, which returns
 * `{ status = 200, json, body, headers, delay = 0, error, hang }`:
 * the answer arrives `delay` virtual ms after the request (never with `hang`),
 * or fetch rejects with `error`. Aborting the signal rejects with an AbortError.
 */
export function fakeFetch(clock, respond) {
  const calls = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetch = (url, init) => {
    const call = { index: calls.length, url, init, at: clock.now(), aborted: false, answeredAt: undefined };
    calls.push(call);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const spec = respond(call) ?? {};
    return new Promise((resolve, reject) => {
      const signal = init?.signal;
      let timer;
      const onAbort = () => {
        call.aborted = true;
        inFlight -= 1;
        if (timer !== undefined) clock.clearTimeout(timer);
        reject(new DOMException("The operation was aborted.", "AbortError"));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      if (spec.hang) return;
      timer = clock.setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        inFlight -= 1;
        call.answeredAt = clock.now();
        if (spec.error) return reject(spec.error);
        const body = spec.body ?? (spec.json === undefined ? "" : JSON.stringify(spec.json));
        resolve(new Response(body, { status: spec.status ?? 200, headers: spec.headers ?? { "Content-Type": "application/json" } }));
      }, spec.delay ?? 0);
    });
  };
  return {
    fetch,
    calls,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    times: () => calls.map((call) => call.at),
  };
}

/** A document whose visibility the test switches; it counts its listeners. */
export class FakeDocument {
  visibilityState = "visible";
  #listeners = new Set();

  addEventListener(type, listener) {
    if (type === "visibilitychange") this.#listeners.add(listener);
  }

  removeEventListener(type, listener) {
    if (type === "visibilitychange") this.#listeners.delete(listener);
  }

  get listenerCount() {
    return this.#listeners.size;
  }

  set(state) {
    this.visibilityState = state;
    for (const listener of [...this.#listeners]) listener(new Event("visibilitychange"));
  }
}

/** Records when and how a promise settled, in virtual time, without awaiting it. */
export function track(promise, clock) {
  const state = { settled: false, value: undefined, error: undefined, at: undefined };
  promise.then(
    (value) => Object.assign(state, { settled: true, value, at: clock.now() }),
    (error) => Object.assign(state, { settled: true, error, at: clock.now() }),
  );
  return state;
}

export const TOKEN = "statusTok-3f9c1e7a-SECRET";
export const TX_TOKEN = "eyJhbGciOiJSUzI1NiJ9.TRANSACTION-SECRET.sig";

/** A 200 answer as the real cloud sends it, token included. */
export function answer(status, extra = {}) {
  return {
    json: {
      transactionId: "b7d44592-0000-4000-8000-000000000001",
      status,
      userId: "7e16ba00-0000-4000-8000-000000000002",
      username: "Userxyz123",
      token: TX_TOKEN,
      createdAt: "2020-10-09T12:52:48Z",
      lastUpdatedAt: "2020-10-09T12:52:48Z",
      ...extra,
    },
  };
}

/** Options shared by most tests: virtual clock, no document. */
export function base(clock, fetch, more = {}) {
  return { baseUrl: "https://acme.mauth.nevis.cloud", statusToken: TOKEN, clock, fetch, document: null, intervalMs: 1000, ...more };
}
