// For Java callers (JVM-only: java.time, the emulator). The generated API uses Kotlin's
// unsigned types for milliseconds and counts; Java cannot call what takes or returns them
// (the compiler mangles those names, e.g. `getTimeoutMs-s-VKNKU`, and hides the
// constructors). These builders and accessors take and return `java.time.Duration`, `int`
// and `long` instead. Kotlin code has no need for them (use named arguments and `.copy()`).
package dev.authcloud

import java.time.Duration

/**
 * Builds a [ClientConfig] from Java, starting from the documented defaults (or from
 * [from]):
 *
 * ```java
 * ClientConfig config = ClientConfigs.builder()
 *     .instance("acme")
 *     .accessKey(new Secret(System.getenv("AUTHCLOUD_ACCESS_KEY")))
 *     .requestTimeout(Duration.ofSeconds(10))
 *     .build();
 * ```
 *
 * Durations are whole milliseconds (sub-millisecond parts are dropped); a negative one
 * throws [IllegalArgumentException]. Everything else is validated by the client.
 */
class ClientConfigBuilder @JvmOverloads constructor(from: ClientConfig = ClientConfig()) {
    private val config = from.copy()

    /** `https://{instance}.mauth.nevis.cloud`; set this or [baseUrl]. */
    fun instance(instance: String?): ClientConfigBuilder = apply { config.instance = instance }

    /** An explicit base URL (https, or http on loopback such as the emulator). */
    fun baseUrl(baseUrl: String?): ClientConfigBuilder = apply { config.baseUrl = baseUrl }

    /** The access key (servers only). */
    fun accessKey(accessKey: Secret?): ClientConfigBuilder = apply { config.accessKey = accessKey }

    /** An intent token minted by your backend (devices). */
    fun intentToken(intentToken: Secret?): ClientConfigBuilder = apply { config.intentToken = intentToken }

    fun connectTimeout(timeout: Duration): ClientConfigBuilder = apply { config.connectTimeoutMs = timeout.millis("connectTimeout") }

    /** One attempt of a request: connect, send, receive. */
    fun requestTimeout(timeout: Duration): ClientConfigBuilder = apply { config.requestTimeoutMs = timeout.millis("requestTimeout") }

    /** A whole call: all its attempts and back-off pauses. */
    fun callTimeout(timeout: Duration): ClientConfigBuilder = apply { config.callTimeoutMs = timeout.millis("callTimeout") }

    /** Attempts in all for requests that may be retried (1 = never retry). */
    fun maxAttempts(attempts: Int): ClientConfigBuilder = apply { config.maxAttempts = attempts.unsigned("maxAttempts") }

    fun initialBackoff(backoff: Duration): ClientConfigBuilder = apply { config.initialBackoffMs = backoff.millis("initialBackoff") }

    fun maxBackoff(backoff: Duration): ClientConfigBuilder = apply { config.maxBackoffMs = backoff.millis("maxBackoff") }

    /** Longest `Retry-After` honoured (at most 10 minutes). */
    fun maxRetryAfter(retryAfter: Duration): ClientConfigBuilder = apply { config.maxRetryAfterMs = retryAfter.millis("maxRetryAfter") }

    fun maxResponseBytes(bytes: Long): ClientConfigBuilder = apply { config.maxResponseBytes = bytes.unsigned("maxResponseBytes") }

    /** Requests in flight at most (at least 1), and so the bound on open connections. */
    fun maxConcurrentRequests(requests: Int): ClientConfigBuilder =
        apply { config.maxConcurrentRequests = requests.unsigned("maxConcurrentRequests") }

    /** Appended to the User-Agent `authcloud/<version>`, e.g. `my-app/2.1`. */
    fun userAgentSuffix(suffix: String?): ClientConfigBuilder = apply { config.userAgentSuffix = suffix }

    /** Extra CA certificate(s) to trust, PEM. */
    fun extraRootCaPem(pem: String?): ClientConfigBuilder = apply { config.extraRootCaPem = pem }

    /** Honour `HTTPS_PROXY` / `NO_PROXY` (ignored when [proxyUrl] is set). */
    fun useEnvironmentProxy(use: Boolean): ClientConfigBuilder = apply { config.useEnvironmentProxy = use }

    /** An explicit proxy (it may carry credentials, hence a [Secret]). */
    fun proxyUrl(url: Secret?): ClientConfigBuilder = apply { config.proxyUrl = url }

    /** A new [ClientConfig]; the builder can be used on. */
    fun build(): ClientConfig = config.copy()
}

/** Entry points to [ClientConfig] for Java. */
object ClientConfigs {
    /** A builder starting from the documented defaults. */
    @JvmStatic
    fun builder(): ClientConfigBuilder = ClientConfigBuilder()

    /** A builder starting from [from] (which is not changed). */
    @JvmStatic
    fun builder(from: ClientConfig): ClientConfigBuilder = ClientConfigBuilder(from)

    /** A backend's config for a real instance: `https://{instance}.mauth.nevis.cloud`. */
    @JvmStatic
    fun forInstance(instance: String, accessKey: Secret): ClientConfig = ClientConfig(instance = instance, accessKey = accessKey)

    /** A backend's config for [emulator] (its base URL and access key), defaults otherwise. */
    @JvmStatic
    fun forEmulator(emulator: Emulator): ClientConfig =
        ClientConfig(baseUrl = emulator.baseUrl(), accessKey = emulator.accessKey())

    /** [ClientConfig.requestTimeoutMs] as a [Duration]. */
    @JvmStatic
    fun requestTimeout(config: ClientConfig): Duration = config.requestTimeoutMs.duration()

    /** [ClientConfig.callTimeoutMs] as a [Duration]. */
    @JvmStatic
    fun callTimeout(config: ClientConfig): Duration = config.callTimeoutMs.duration()
}

/**
 * Builds [WaitOptions] from Java: `new WaitOptionsBuilder().pollInterval(Duration.ofSeconds(2)).build()`,
 * or `WaitOptionsBuilder.of(Duration.ofSeconds(2), Duration.ofMinutes(3))`. Starts from the
 * guide's defaults (every 1.5 s, for at most 5 minutes) or from [from].
 */
class WaitOptionsBuilder @JvmOverloads constructor(from: WaitOptions = WaitOptions()) {
    private val options = from.copy()

    /** Between two status requests (at least 100 ms). */
    fun pollInterval(interval: Duration): WaitOptionsBuilder = apply { options.pollIntervalMs = interval.millis("pollInterval") }

    /** The whole wait; past it, the wait throws [AuthCloudException.WaitTimedOut]. */
    fun timeout(timeout: Duration): WaitOptionsBuilder = apply { options.timeoutMs = timeout.millis("timeout") }

    /** Widest interval after 429s (a longer `Retry-After` is still honoured). */
    fun maxPollInterval(interval: Duration): WaitOptionsBuilder = apply { options.maxPollIntervalMs = interval.millis("maxPollInterval") }

    /** Start the first poll at a random moment within the first interval (see [WaitOptions.firstPollJitter]). */
    fun firstPollJitter(jitter: Boolean): WaitOptionsBuilder = apply { options.firstPollJitter = jitter }

    fun build(): WaitOptions = options.copy()

    companion object {
        /** [WaitOptions] polling every [pollInterval] for at most [timeout] (default 5 minutes). */
        @JvmStatic
        @JvmOverloads
        fun of(pollInterval: Duration, timeout: Duration = WaitOptions().timeoutMs.duration()): WaitOptions =
            WaitOptionsBuilder().pollInterval(pollInterval).timeout(timeout).build()
    }
}

/**
 * Builds an [ApprovalRequest] from Java (a login or a confirmation on the registered phone),
 * starting from the record's defaults (push, no prompt) or from [from]:
 *
 * ```java
 * ApprovalResult approval = client.approve(ApprovalRequestBuilder.forUserId(userId)
 *     .prompt(true)
 *     .message("<html>Log in to <b>Acme</b>?</html>")
 *     .notificationMessage("Acme login")
 *     .build());
 * ```
 *
 * Nothing is checked here: `approve` checks the request (one of username and user id; the
 * message rules) before it sends anything.
 */
class ApprovalRequestBuilder @JvmOverloads constructor(from: ApprovalRequest = ApprovalRequest()) {
    private val request = from.copy()

    /** The user by username; give this or [userId]. */
    fun username(username: String?): ApprovalRequestBuilder = apply { request.username = username }

    /** The user by id; give this or [username]. */
    fun userId(userId: String?): ApprovalRequestBuilder = apply { request.userId = userId }

    /**
     * [ApprovalChannel.PUSH] (the default), [ApprovalChannel.APP] (a QR code / deep link) or
     * [ApprovalChannel.SMS] (a code to the registered phone, then `verifyCode`).
     */
    fun channel(channel: ApprovalChannel?): ApprovalRequestBuilder = apply { request.channel = channel }

    /** Which authenticator to ask; `*` = any (app channel only); `null` lets the server choose. */
    fun authenticatorId(authenticatorId: String?): ApprovalRequestBuilder = apply { request.authenticatorId = authenticatorId }

    /** Show [message] on the phone and ask the user to confirm it (then a message is required). */
    fun prompt(prompt: Boolean): ApprovalRequestBuilder = apply { request.prompt = prompt }

    /** Plain text, or `<html>…</html>` with only `<b> <br> <em> <i> <strong> <u>`. */
    fun message(message: String?): ApprovalRequestBuilder = apply { request.message = message }

    /** The phone notification's text. */
    fun notificationMessage(notificationMessage: String?): ApprovalRequestBuilder =
        apply { request.notificationMessage = notificationMessage }

    /** Name no user (app channel): whoever scans the QR code approves; the status names them. */
    fun usernameless(usernameless: Boolean): ApprovalRequestBuilder = apply { request.usernameless = usernameless }

    /** A new [ApprovalRequest]; the builder can be used on. */
    fun build(): ApprovalRequest = request.copy()

    companion object {
        /** A builder for the user with this id. */
        @JvmStatic
        fun forUserId(userId: String): ApprovalRequestBuilder = ApprovalRequestBuilder().userId(userId)

        /** A builder for the user with this username. */
        @JvmStatic
        fun forUsername(username: String): ApprovalRequestBuilder = ApprovalRequestBuilder().username(username)

        /** A builder for a usernameless approval (app channel). */
        @JvmStatic
        fun usernameless(): ApprovalRequestBuilder = ApprovalRequestBuilder().usernameless(true)
    }
}

/** Builds a [LogQuery] from Java: `new LogQueryBuilder().channels(List.of("sms")).build()`. */
class LogQueryBuilder @JvmOverloads constructor(from: LogQuery = LogQuery()) {
    private val query = from.copy()

    /** Free text to match (at least 2 characters). */
    fun filter(filter: String?): LogQueryBuilder = apply { query.filter = filter }

    /** Only the last [span] (whole seconds); or give [fromDate] / [toDate]. */
    fun timespan(span: Duration?): LogQueryBuilder = apply {
        query.timespanSeconds = span?.let {
            require(!it.isNegative) { "timespan must not be negative: $it" }
            it.seconds.toULong()
        }
    }

    /** ISO-8601 date or UTC date-time (`2026-12-01`, `2026-12-01T08:00:00Z`). */
    fun fromDate(fromDate: String?): LogQueryBuilder = apply { query.fromDate = fromDate }

    fun toDate(toDate: String?): LogQueryBuilder = apply { query.toDate = toDate }

    fun statuses(statuses: List<String>): LogQueryBuilder = apply { query.statuses = statuses }

    fun categories(categories: List<String>): LogQueryBuilder = apply { query.categories = categories }

    /** `app`, `push`, `fido2`, `sms`, `recovery`, `unknown`. */
    fun channels(channels: List<String>): LogQueryBuilder = apply { query.channels = channels }

    fun actorTypes(actorTypes: List<String>): LogQueryBuilder = apply { query.actorTypes = actorTypes }

    fun build(): LogQuery = query.copy()
}

/** Builds [EmulatorOptions] from Java; [start] starts the emulator with them. */
class EmulatorOptionsBuilder @JvmOverloads constructor(from: EmulatorOptions = EmulatorOptions()) {
    private val options = from.copy()

    /** The loopback port; 0 (the default) picks a free one. */
    fun port(port: Int): EmulatorOptionsBuilder = apply {
        require(port in 0..65535) { "port must be 0..65535: $port" }
        options.port = port.toUShort()
    }

    /** The access key it accepts (default: a random one, see [Emulator.accessKey]). */
    fun accessKey(accessKey: Secret?): EmulatorOptionsBuilder = apply { options.accessKey = accessKey }

    fun transactionTtl(ttl: Duration): EmulatorOptionsBuilder = apply { options.transactionTtlMs = ttl.millis("transactionTtl") }

    fun intentTtl(ttl: Duration): EmulatorOptionsBuilder = apply { options.intentTtlMs = ttl.millis("intentTtl") }

    /** Approves every enrollment by itself this long after it started; `null`: never. */
    fun autoApproveAfter(delay: Duration?): EmulatorOptionsBuilder = apply { options.autoApproveAfterMs = delay?.millis("autoApproveAfter") }

    /** Answer `iat` in seconds rather than milliseconds. */
    fun iatInSeconds(seconds: Boolean): EmulatorOptionsBuilder = apply { options.iatInSeconds = seconds }

    /** Push approvals a user may get per period before being blocked; `null`: unlimited. */
    fun pushLimit(limit: RateLimit?): EmulatorOptionsBuilder = apply { options.pushLimit = limit }

    /** SMS a user may get per period before being blocked; `null`: unlimited. */
    fun smsLimit(limit: RateLimit?): EmulatorOptionsBuilder = apply { options.smsLimit = limit }

    fun build(): EmulatorOptions = options.copy()

    /** Starts an emulator with these options: `Emulator.start(build())`. */
    @Throws(AuthCloudException::class)
    fun start(): Emulator = Emulator.start(build())
}

/** Starting the emulator from Java without `Emulator.Companion`. */
object Emulators {
    /** An emulator on a free loopback port with a random access key. */
    @JvmStatic
    @Throws(AuthCloudException::class)
    fun start(): Emulator = Emulator.start()

    @JvmStatic
    @Throws(AuthCloudException::class)
    fun start(options: EmulatorOptions): Emulator = Emulator.start(options)

    /** A builder for [EmulatorOptions]: `Emulators.options().autoApproveAfter(Duration.ofSeconds(1)).start()`. */
    @JvmStatic
    fun options(): EmulatorOptionsBuilder = EmulatorOptionsBuilder()
}

/**
 * The emulator's faults, for Java tests: `Faults.inject(emulator, "/api/v1/status", Faults.status(503))`.
 * (Kotlin: `emulator.injectFault(path, Fault.Status(503u, null))`.)
 */
object Faults {
    /** Answer with [status] (and a `Retry-After` header, in whole seconds, when [retryAfter] is given). */
    @JvmStatic
    @JvmOverloads
    fun status(status: Int, retryAfter: Duration? = null): Fault =
        Fault.Status(status.httpStatus(), retryAfter?.let { it.seconds.unsigned("retryAfter") })

    /** A 200 answer that is not JSON. */
    @JvmStatic
    fun garbage(): Fault = Fault.Garbage

    /** A 200 answer shorter than its Content-Length. */
    @JvmStatic
    fun truncated(): Fault = Fault.Truncated

    /** Close the connection without answering. */
    @JvmStatic
    fun drop(): Fault = Fault.Drop

    /** A 200 answer of [sizeBytes] bytes. */
    @JvmStatic
    fun oversized(sizeBytes: Long): Fault = Fault.Oversized(sizeBytes.unsigned("sizeBytes"))

    /** Answer normally, after [delay]. */
    @JvmStatic
    fun delay(delay: Duration): Fault = Fault.Delay(delay.millis("delay"))

    /** Answer with [status] and this JSON body. */
    @JvmStatic
    fun json(status: Int, bodyJson: String): Fault = Fault.Json(status.httpStatus(), bodyJson)

    /** Answer with [status] and exactly [body]; [contentType] `null` means `application/json`. */
    @JvmStatic
    fun raw(status: Int, body: String, contentType: String?): Fault = Fault.Raw(status.httpStatus(), body, contentType)

    /** A redirect (301, 302, 303, 307 or 308) to [location]. */
    @JvmStatic
    fun redirect(status: Int, location: String): Fault = Fault.Redirect(status.httpStatus(), location)

    /** The next [count] requests to [path] (e.g. `/api/v1/status`) get [fault]. */
    @JvmStatic
    @JvmOverloads
    @Throws(AuthCloudException::class)
    fun inject(emulator: Emulator, path: String, fault: Fault, count: Int = 1) =
        emulator.injectFault(path, fault, count.unsigned("count"))
}

/**
 * A [WaitObserver] for Java: Java cannot implement the generated interface (its
 * `onTransientError` takes a Kotlin `ULong`, so its JVM name is mangled). Override what you
 * need; every method does nothing by default. Same threading as [WaitObserver].
 *
 * ```java
 * client.waitForCompletion(token, options, new WaitObserverAdapter() {
 *     @Override public void onStatus(StatusUpdate update) { System.out.println(update.getStatus().getStatusText()); }
 * }, null);
 * ```
 */
abstract class WaitObserverAdapter : WaitObserver {
    override fun onStatus(update: StatusUpdate) = Unit

    /** A transient error; the next attempt comes in [retryIn]. */
    open fun onTransientError(error: AuthCloudException, retryIn: Duration) = Unit

    final override fun onTransientError(error: AuthCloudException, retryInMs: ULong) =
        onTransientError(error, retryInMs.duration())

    override fun onFinished(outcome: WaitOutcome) = Unit

    override fun onFailed(error: AuthCloudException) = Unit
}

/** The old name of [WaitObserverAdapter], kept for one release. */
@Deprecated("Renamed to WaitObserverAdapter", ReplaceWith("WaitObserverAdapter"))
abstract class EnrollmentObserverAdapter : WaitObserverAdapter()

/**
 * Java accessors for the generated values whose Kotlin types (`UInt`, `ULong`, `UShort`)
 * Java cannot read: `JavaAccess.polls(outcome)`, `JavaAccess.elapsed(outcome)`,
 * `JavaAccess.httpStatus(error)`...
 */
object JavaAccess {
    @JvmStatic
    fun polls(outcome: WaitOutcome): Int = outcome.polls.toInt()

    @JvmStatic
    fun elapsed(outcome: WaitOutcome): Duration = outcome.elapsedMs.duration()

    /** The poll's number, from 1. */
    @JvmStatic
    fun poll(update: StatusUpdate): Int = update.poll.toInt()

    @JvmStatic
    fun elapsed(update: StatusUpdate): Duration = update.elapsedMs.duration()

    /** The HTTP status behind [error] (401, 403, 404, 429, 5xx, other 4xx), or `null`. */
    @JvmStatic
    fun httpStatus(error: AuthCloudException): Int? = when (error) {
        is AuthCloudException.Unauthorized -> error.httpStatus.toInt()
        is AuthCloudException.NotFound -> 404
        is AuthCloudException.RateLimited -> 429
        is AuthCloudException.Server -> error.httpStatus.toInt()
        is AuthCloudException.Api -> error.httpStatus.toInt()
        else -> null
    }

    /** The server's `Retry-After` for a 429 or 5xx, or `null`. */
    @JvmStatic
    fun retryAfter(error: AuthCloudException): Duration? = when (error) {
        is AuthCloudException.RateLimited -> error.retryAfterMs?.duration()
        is AuthCloudException.Server -> error.retryAfterMs?.duration()
        else -> null
    }

    /** How long a [AuthCloudException.Timeout]'s request or call ran. */
    @JvmStatic
    fun after(error: AuthCloudException.Timeout): Duration = error.afterMs.duration()

    @JvmStatic
    fun elapsed(error: AuthCloudException.WaitTimedOut): Duration = error.elapsedMs.duration()

    @JvmStatic
    fun polls(error: AuthCloudException.WaitTimedOut): Int = error.polls.toInt()

    @JvmStatic
    fun limitBytes(error: AuthCloudException.ResponseTooLarge): Long = error.limitBytes.toLong()

    /** [WatchHandle.join] with a [Duration]: true if the watch finished in time. */
    @JvmStatic
    fun join(handle: WatchHandle, timeout: Duration): Boolean = handle.join(timeout.millis("timeout"))
}

private fun Duration.millis(name: String): ULong {
    require(!isNegative) { "$name must not be negative: $this" }
    return toMillis().toULong()
}

private fun ULong.duration(): Duration = Duration.ofMillis(toLong())

private fun Int.unsigned(name: String): UInt {
    require(this >= 0) { "$name must not be negative: $this" }
    return toUInt()
}

private fun Long.unsigned(name: String): ULong {
    require(this >= 0) { "$name must not be negative: $this" }
    return toULong()
}

private fun Int.httpStatus(): UShort {
    require(this in 100..999) { "not an HTTP status: $this" }
    return toUShort()
}
