/**
 * @authcloud/status-poller: polls the Nevis Authentication Cloud status
 * endpoint (`POST {base}/api/v1/status`) from a browser page until the
 * operation (enrollment, approval, ...) leaves the "pending" state.
 *
 * No runtime dependencies, never logs, never sends an Authorization header
 * or cookies, never puts the status token in a URL or an error message, and
 * strips the transaction token from every answer it hands back.
 */
/** A transient failure, handed to `onError`; the poll retries after `retryInMs`. */
export class PollError extends Error {
    constructor(kind, message, details) {
        super(message);
        this.name = "PollError";
        this.kind = kind;
        this.httpStatus = details.httpStatus;
        this.retryInMs = details.retryInMs;
        this.attempt = details.attempt;
        this.cause = details.cause;
    }
}
export const DEFAULT_INTERVAL_MS = 1500;
export const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;
export const DEFAULT_PAUSE_WHEN_HIDDEN_AFTER_MS = 30000;
export const DEFAULT_MAX_BACKOFF_MS = 30000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10000;
const STATUS_PATH = "/api/v1/status";
/** setTimeout's largest delay; longer ones would fire at once. */
const MAX_TIMER_MS = 2147483647;
const OPTIONAL_FIELDS = ["transactionId", "userId", "username", "createdAt", "lastUpdatedAt"];
/**
 * Polls `POST {baseUrl}/api/v1/status` with `{"statusToken": ...}`: the first
 * request at once, then one every `intervalMs` on a fixed schedule (start +
 * k·interval; a slow answer skips the slots it missed instead of bursting),
 * never more than one request in flight. Resolves with the outcome; rejects
 * with a TypeError for invalid options, or with the error a callback threw
 * (which also stops the poll).
 */
export function pollStatus(options) {
    let config;
    try {
        config = resolveOptions(options);
    }
    catch (error) {
        return Promise.reject(error);
    }
    return new Promise((resolve, reject) => run(config, resolve, reject));
}
function run(cfg, resolve, reject) {
    const { clock, signal, document: doc, fetch: doFetch } = cfg;
    if (signal?.aborted) {
        resolve({ kind: "aborted", polls: 0 });
        return;
    }
    const start = clock.now();
    const deadline = start + cfg.timeoutMs;
    let done = false;
    let polls = 0;
    let inflight;
    let wakeSleep;
    let hiddenSince;
    let paused = false;
    const stop = () => {
        if (done)
            return false;
        done = true;
        clock.clearTimeout(deadlineTimer);
        signal?.removeEventListener("abort", onAbort);
        doc?.removeEventListener("visibilitychange", onVisibility);
        const controller = inflight;
        inflight = undefined;
        controller?.abort();
        wakeSleep?.();
        return true;
    };
    const finish = (outcome) => {
        if (stop())
            resolve(outcome);
    };
    const fail = (error) => {
        if (stop())
            reject(error);
    };
    const onAbort = () => finish({ kind: "aborted", polls });
    const syncVisibility = () => {
        if (doc?.visibilityState === "hidden") {
            if (hiddenSince === undefined)
                hiddenSince = clock.now();
        }
        else {
            hiddenSince = undefined;
        }
    };
    const onVisibility = () => {
        if (done)
            return;
        syncVisibility();
        if (paused && hiddenSince === undefined)
            wakeSleep?.();
    };
    /** Resolves at `at` (clock time), or when woken; `undefined` sleeps until woken. */
    const sleep = (at) => new Promise((wake) => {
        let timer;
        const endSleep = () => {
            if (timer !== undefined)
                clock.clearTimeout(timer);
            if (wakeSleep === endSleep)
                wakeSleep = undefined;
            wake();
        };
        wakeSleep = endSleep;
        if (at !== undefined)
            timer = clock.setTimeout(endSleep, Math.min(Math.max(0, at - clock.now()), MAX_TIMER_MS));
    });
    const request = async () => {
        const controller = new AbortController();
        inflight = controller;
        // The request's own limit; when the deadline comes first, the deadline timer aborts it.
        const limit = cfg.requestTimeoutMs;
        let timedOut = false;
        const timer = limit < deadline - clock.now()
            ? clock.setTimeout(() => {
                timedOut = true;
                controller.abort();
            }, limit)
            : undefined;
        const failed = (cause) => timedOut
            ? { type: "transient", kind: "timeout", message: `status request timed out after ${Math.round(limit)} ms` }
            : { type: "transient", kind: "network", message: "status request failed (network error)", cause };
        try {
            let response;
            try {
                response = await doFetch(cfg.url, {
                    method: "POST",
                    headers: { "Content-Type": "application/json" },
                    body: cfg.body,
                    credentials: "omit",
                    signal: controller.signal,
                });
            }
            catch (cause) {
                return failed(cause);
            }
            const status = response.status;
            if (status >= 200 && status < 300) {
                let text;
                try {
                    text = await response.text();
                }
                catch (cause) {
                    return failed(cause);
                }
                const answer = parseAnswer(text);
                return answer
                    ? { type: "answer", answer }
                    : { type: "transient", kind: "bad-answer", message: "status answer is not a JSON object with a string status" };
            }
            discardBody(response);
            if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
                return {
                    type: "transient",
                    kind: "http",
                    httpStatus: status,
                    message: `status endpoint answered HTTP ${status}`,
                    retryAfterMs: parseRetryAfter(response.headers?.get("Retry-After") ?? null),
                };
            }
            return { type: "rejected", httpStatus: status };
        }
        finally {
            if (timer !== undefined)
                clock.clearTimeout(timer);
            if (inflight === controller)
                inflight = undefined;
        }
    };
    const loop = async () => {
        let anchor = start;
        let slot = 0;
        let nextAt = start;
        let reanchor = false;
        let failures = 0;
        for (;;) {
            while (!done && clock.now() < nextAt)
                await sleep(nextAt);
            if (done)
                return;
            if (clock.now() >= deadline)
                return finish({ kind: "timeout", polls });
            syncVisibility();
            if (hiddenSince !== undefined && clock.now() - hiddenSince >= cfg.pauseWhenHiddenAfterMs) {
                paused = true;
                while (!done && hiddenSince !== undefined) {
                    await sleep(undefined);
                    if (!done)
                        syncVisibility();
                }
                paused = false;
                if (done)
                    return;
                reanchor = true;
            }
            const pollStart = clock.now();
            if (reanchor) {
                anchor = pollStart;
                slot = 0;
                reanchor = false;
            }
            polls += 1;
            const result = await request();
            if (done)
                return;
            if (result.type === "answer") {
                failures = 0;
                cfg.onStatus?.(result.answer);
                if (done)
                    return;
                if (result.answer.status !== "pending")
                    return finish({ kind: "final", answer: result.answer, polls });
                // The next free slot of the schedule; slots missed by a slow answer are skipped.
                slot = Math.max(slot + 1, Math.ceil((clock.now() - anchor) / cfg.intervalMs));
                nextAt = anchor + slot * cfg.intervalMs;
            }
            else if (result.type === "rejected") {
                return finish({ kind: "rejected", httpStatus: result.httpStatus, polls });
            }
            else {
                failures += 1;
                const delay = result.retryAfterMs !== undefined
                    ? Math.max(cfg.intervalMs, result.retryAfterMs)
                    : Math.min(cfg.backoffCapMs, cfg.intervalMs * 2 ** (failures - 1));
                nextAt = clock.now() + delay;
                reanchor = true;
                cfg.onError?.(new PollError(result.kind, result.message, {
                    httpStatus: result.httpStatus,
                    retryInMs: delay,
                    attempt: failures,
                    cause: result.cause,
                }));
            }
        }
    };
    const deadlineTimer = clock.setTimeout(() => finish({ kind: "timeout", polls }), cfg.timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    doc?.addEventListener("visibilitychange", onVisibility);
    syncVisibility();
    loop().catch(fail);
}
function parseAnswer(text) {
    let data;
    try {
        data = JSON.parse(text);
    }
    catch {
        return undefined;
    }
    if (typeof data !== "object" || data === null || Array.isArray(data))
        return undefined;
    const record = data;
    const status = record["status"];
    if (typeof status !== "string" || status === "")
        return undefined;
    // Copy the known fields only: the transaction `token` never leaves this module.
    const answer = { status };
    for (const key of OPTIONAL_FIELDS) {
        const value = record[key];
        if (typeof value === "string")
            answer[key] = value;
    }
    return answer;
}
/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unparsable. */
function parseRetryAfter(value) {
    if (value === null)
        return undefined;
    const text = value.trim();
    if (/^\d+$/.test(text))
        return Number(text) * 1000;
    // An HTTP date (IMF-fixdate, RFC 850 or asctime) always has a letter and hh:mm:ss.
    if (!/[A-Za-z]/.test(text) || !/\d\d:\d\d:\d\d/.test(text))
        return undefined;
    const at = Date.parse(text);
    return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
function discardBody(response) {
    try {
        response.body?.cancel().catch(() => undefined);
    }
    catch {
        // Nothing to free.
    }
}
function resolveOptions(options) {
    if (typeof options !== "object" || options === null)
        throw new TypeError("pollStatus: options must be an object");
    const url = statusUrl(options.baseUrl);
    if (typeof options.statusToken !== "string" || options.statusToken === "") {
        throw new TypeError("pollStatus: statusToken must be a non-empty string");
    }
    const intervalMs = duration("intervalMs", options.intervalMs, DEFAULT_INTERVAL_MS, 100);
    const timeoutMs = duration("timeoutMs", options.timeoutMs, DEFAULT_TIMEOUT_MS, 1);
    const maxBackoffMs = duration("maxBackoffMs", options.maxBackoffMs, DEFAULT_MAX_BACKOFF_MS, 100);
    const requestTimeoutMs = duration("requestTimeoutMs", options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 1);
    const pause = options.pauseWhenHiddenAfterMs;
    if (pause !== undefined && (typeof pause !== "number" || Number.isNaN(pause) || pause < 0)) {
        throw new TypeError("pollStatus: pauseWhenHiddenAfterMs must be a number >= 0 (Infinity never pauses)");
    }
    const onStatus = optionalFunction("onStatus", options.onStatus);
    const onError = optionalFunction("onError", options.onError);
    const fetchImpl = options.fetch ?? (typeof fetch === "function" ? fetch : undefined);
    if (typeof fetchImpl !== "function")
        throw new TypeError("pollStatus: no fetch available; pass options.fetch");
    const signal = options.signal;
    if (signal !== undefined && (typeof signal !== "object" || signal === null || typeof signal.addEventListener !== "function")) {
        throw new TypeError("pollStatus: signal must be an AbortSignal");
    }
    let doc;
    if (options.document === undefined) {
        const global = globalThis.document;
        doc = global && typeof global.addEventListener === "function" ? global : undefined;
    }
    else if (options.document !== null) {
        if (typeof options.document !== "object" || typeof options.document.addEventListener !== "function" || typeof options.document.removeEventListener !== "function") {
            throw new TypeError("pollStatus: document must have visibilityState, addEventListener and removeEventListener");
        }
        doc = options.document;
    }
    const clock = options.clock ?? defaultClock();
    if (typeof clock !== "object" || clock === null || typeof clock.now !== "function" || typeof clock.setTimeout !== "function" || typeof clock.clearTimeout !== "function") {
        throw new TypeError("pollStatus: clock must have now, setTimeout and clearTimeout");
    }
    return {
        url,
        body: JSON.stringify({ statusToken: options.statusToken }),
        intervalMs,
        timeoutMs,
        pauseWhenHiddenAfterMs: pause ?? DEFAULT_PAUSE_WHEN_HIDDEN_AFTER_MS,
        backoffCapMs: Math.max(maxBackoffMs, intervalMs),
        requestTimeoutMs,
        signal,
        onStatus,
        onError,
        // Called as a plain function: a browser's fetch throws "Illegal invocation" when `this` is another object.
        fetch: (input, init) => fetchImpl(input, init),
        document: doc,
        clock,
    };
}
function statusUrl(baseUrl) {
    if (typeof baseUrl !== "string" || baseUrl.trim() === "")
        throw new TypeError("pollStatus: baseUrl must be a non-empty string");
    const pageUrl = typeof location === "object" && location !== null ? location.href : undefined;
    let base;
    try {
        base = new URL(baseUrl, pageUrl);
    }
    catch {
        throw new TypeError("pollStatus: baseUrl is not a valid URL");
    }
    if (base.protocol !== "https:" && base.protocol !== "http:")
        throw new TypeError("pollStatus: baseUrl must be an http or https URL");
    if (base.search !== "" || base.hash !== "" || base.username !== "" || base.password !== "") {
        throw new TypeError("pollStatus: baseUrl must not have a query, a fragment or credentials");
    }
    return base.origin + base.pathname.replace(/\/+$/, "") + STATUS_PATH;
}
function duration(name, value, fallback, min) {
    if (value === undefined)
        return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
        throw new TypeError(`pollStatus: ${name} must be a finite number of milliseconds between ${min} and ${MAX_TIMER_MS}`);
    }
    return value;
}
function optionalFunction(name, value) {
    if (value !== undefined && typeof value !== "function")
        throw new TypeError(`pollStatus: ${name} must be a function`);
    return value;
}
function defaultClock() {
    const perf = typeof performance === "object" && performance !== null && typeof performance.now === "function" ? performance : undefined;
    return {
        now: perf ? () => perf.now() : () => Date.now(),
        setTimeout: (callback, ms) => setTimeout(callback, ms),
        clearTimeout: (handle) => clearTimeout(handle),
    };
}
