/**
 * @authcloud/status-poller: polls the Nevis Authentication Cloud status
 * endpoint (`POST {base}/api/v1/status`) from a browser page until the
 * operation (enrollment, approval, ...) leaves the "pending" state.
 *
 * No runtime dependencies, never logs, never sends an Authorization header
 * or cookies, never puts the status token in a URL or an error message, and
 * strips the transaction token from every answer it hands back.
 */
/** The operation's state. Any value other than "pending" is final. */
export type OperationStatus = "pending" | "succeeded" | "failed" | "unknown" | (string & {});
/**
 * One 200 answer of the status endpoint, without the secret transaction
 * token. Only `status` is guaranteed; the other fields are copied when the
 * server sent them as strings. Fields the poller does not know are dropped.
 */
export interface StatusAnswer {
    status: OperationStatus;
    transactionId?: string;
    userId?: string;
    username?: string;
    createdAt?: string;
    lastUpdatedAt?: string;
}
/**
 * What went wrong in a transient failure (the poll goes on after a delay):
 * - network: fetch itself failed (offline, DNS, CORS refused, connection reset);
 * - timeout: the request took longer than `requestTimeoutMs` and was aborted;
 * - http: the endpoint answered 408, 429 or 5xx;
 * - bad-answer: a 2xx answer whose body is not a JSON object with a non-empty string `status`.
 */
export type PollErrorKind = "network" | "timeout" | "http" | "bad-answer";
/** A transient failure, handed to `onError`; the poll retries after `retryInMs`. */
export declare class PollError extends Error {
    readonly kind: PollErrorKind;
    /** The HTTP status for kind "http", otherwise undefined. */
    readonly httpStatus: number | undefined;
    /**
     * Milliseconds until the next request. When the retry would come after
     * the overall deadline, the poll ends with outcome "timeout" at the
     * deadline instead.
     */
    readonly retryInMs: number;
    /** How many requests in a row have failed, this one included (1, 2, ...). */
    readonly attempt: number;
    /** The error fetch threw, for kind "network"; otherwise undefined. */
    readonly cause: unknown;
    constructor(kind: PollErrorKind, message: string, details: {
        httpStatus?: number | undefined;
        retryInMs: number;
        attempt: number;
        cause?: unknown;
    });
}
/** The time source and timers; injectable for tests. */
export interface Clock {
    /** Monotonic milliseconds (default: performance.now()). */
    now(): number;
    setTimeout(callback: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
}
/** The parts of `document` the poller uses to notice a hidden page. */
export type VisibilityDocument = Pick<Document, "visibilityState" | "addEventListener" | "removeEventListener">;
export interface PollOptions {
    /**
     * The instance's base URL, e.g. "https://acme.mauth.nevis.cloud" or
     * "http://127.0.0.1:8080", with or without a trailing slash; a path prefix
     * is kept. Relative URLs are resolved against the page's location.
     */
    baseUrl: string;
    /** The `statusToken` the backend got when it started the operation. */
    statusToken: string;
    /** Time between the starts of two polls. Default 1500; at least 100. */
    intervalMs?: number | undefined;
    /** Overall deadline from the call. Default 300000 (5 minutes); ends with outcome "timeout". */
    timeoutMs?: number | undefined;
    /** Aborting ends the poll at once with outcome "aborted" and aborts the request in flight. */
    signal?: AbortSignal | undefined;
    /** Called with every 200 answer, in order, the final one included. */
    onStatus?: ((answer: StatusAnswer) => void) | undefined;
    /** Called on every transient failure (network, timeout, 408/429/5xx, bad JSON) with the retry delay. */
    onError?: ((error: PollError) => void) | undefined;
    /**
     * After the page has been hidden this long, send no more requests until it
     * is visible again; then poll at once and resume the interval. The deadline
     * keeps running while paused. Default 30000; 0 pauses at the first poll
     * while hidden; Infinity never pauses.
     */
    pauseWhenHiddenAfterMs?: number | undefined;
    /** Cap of the exponential back-off (it starts at intervalMs). Default 30000; never below intervalMs. */
    maxBackoffMs?: number | undefined;
    /** Time limit of one request; the deadline shortens it. Default 10000. */
    requestTimeoutMs?: number | undefined;
    /** Default globalThis.fetch. */
    fetch?: typeof fetch | undefined;
    /** Default globalThis.document when there is one; null turns visibility handling off. */
    document?: VisibilityDocument | null | undefined;
    /** Default: performance.now() and the global timers. For tests. */
    clock?: Clock | undefined;
}
/**
 * How a poll ended. `polls` counts the requests sent, an aborted one included.
 * - final: a 200 answer whose status is not "pending".
 * - timeout: the deadline (timeoutMs) passed.
 * - aborted: the signal was aborted.
 * - rejected: the endpoint answered with a status that retrying cannot fix
 *   (400, 401, 403, 404, ... any status but 2xx, 408, 429 and 5xx).
 */
export type PollOutcome = {
    kind: "final";
    answer: StatusAnswer;
    polls: number;
} | {
    kind: "timeout";
    polls: number;
} | {
    kind: "aborted";
    polls: number;
} | {
    kind: "rejected";
    httpStatus: number;
    polls: number;
};
export declare const DEFAULT_INTERVAL_MS = 1500;
export declare const DEFAULT_TIMEOUT_MS: number;
export declare const DEFAULT_PAUSE_WHEN_HIDDEN_AFTER_MS = 30000;
export declare const DEFAULT_MAX_BACKOFF_MS = 30000;
export declare const DEFAULT_REQUEST_TIMEOUT_MS = 10000;
/**
 * Polls `POST {baseUrl}/api/v1/status` with `{"statusToken": ...}`: the first
 * request at once, then one every `intervalMs` on a fixed schedule (start +
 * k·interval; a slow answer skips the slots it missed instead of bursting),
 * never more than one request in flight. Resolves with the outcome; rejects
 * with a TypeError for invalid options, or with the error a callback threw
 * (which also stops the poll).
 */
export declare function pollStatus(options: PollOptions): Promise<PollOutcome>;
