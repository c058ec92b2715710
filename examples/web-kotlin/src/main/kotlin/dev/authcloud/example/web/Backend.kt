// The SDK client, the place the browser polls, and the server-side sessions.
package dev.authcloud.example.web

import dev.authcloud.AsyncClient
import dev.authcloud.ClientConfig
import dev.authcloud.Emulator
import dev.authcloud.EmulatorOptions
import dev.authcloud.Secret
import java.io.File
import java.security.SecureRandom
import java.util.Base64

const val SESSION_COOKIE = "authcloud_example_session"
const val SESSION_TTL_SECONDS = 30 * 60
const val MAX_SESSIONS = 10_000

/** What a browser session waits for, and what a verify reply says about it. */
enum class Flow(
    /** What the pages and log lines call it. */
    val noun: String,
    /** The reply's title on success. */
    val doneTitle: String,
    /** The reply's `state` on success. */
    val doneState: String,
) {
    REGISTRATION("registration", "Registered", "registered"),
    LOGIN("login", "Logged in", "logged-in"),
    ;

    /** The reply's message on success. */
    fun doneMessage(userId: String, username: String): String = when (this) {
        REGISTRATION -> "Your phone is linked to user $userId."
        LOGIN -> "You are logged in as $username (user $userId)."
    }
}

/**
 * What this browser session started (a registration or a login): kept on the server, never
 * in a log.
 */
class Operation(
    val flow: Flow,
    val username: String,
    val userId: String,
    val transactionId: String,
    val statusToken: Secret,
    val createdNanos: Long,
) {
    /** The user id `verify` confirmed; set once. */
    @Volatile
    var verifiedUser: String? = null
}

/** In-memory sessions with a lifetime and a cap (a real app would use its own store). */
class Sessions {
    // Insertion order: the first entry is the oldest, the one to drop at the cap.
    private val items = LinkedHashMap<String, Operation>()
    private val random = SecureRandom()

    @Synchronized
    fun create(operation: Operation): String {
        expire()
        while (items.size >= MAX_SESSIONS) items.remove(items.keys.first())
        val bytes = ByteArray(32).also(random::nextBytes)
        // Python's secrets.token_urlsafe(32): URL-safe base64 without padding.
        val sessionId = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)
        items[sessionId] = operation
        return sessionId
    }

    @Synchronized
    fun get(sessionId: String?): Operation? {
        expire()
        return if (sessionId.isNullOrEmpty()) null else items[sessionId]
    }

    private fun expire() {
        val now = System.nanoTime()
        items.values.removeIf { now - it.createdNanos > SESSION_TTL_SECONDS * 1_000_000_000L }
    }
}

/** Where the shared templates and scripts are. */
class Files(repo: File) {
    val templates = File(repo, "examples/web-shared/templates")
    val static = File(repo, "examples/web-shared/static")
    val poller = File(repo, "web/dist/index.js")
}

/**
 * The client of a real instance (`AUTHCLOUD_INSTANCE` and `AUTHCLOUD_ACCESS_KEY`), or of an
 * emulator started here.
 */
class Backend(transactionTtlMs: Long, val files: Files) : AutoCloseable {
    val emulator: Emulator?
    val client: AsyncClient
    val publicBaseUrl: String
    val expiresInMs: Long
    val mode: String
    val sessions = Sessions()

    init {
        val instance = System.getenv("AUTHCLOUD_INSTANCE")
        val key = System.getenv("AUTHCLOUD_ACCESS_KEY")
        val config: ClientConfig
        if (!instance.isNullOrEmpty() && !key.isNullOrEmpty()) {
            emulator = null
            config = ClientConfig(instance = instance, accessKey = Secret(key))
            publicBaseUrl = "https://$instance.mauth.nevis.cloud"
            val ttl = System.getenv("AUTHCLOUD_TRANSACTION_TTL_MS") ?: "0"
            expiresInMs = ttl.trim().toLongOrNull()
                ?: throw IllegalArgumentException("AUTHCLOUD_TRANSACTION_TTL_MS is not a whole number of milliseconds: $ttl")
            mode = "Using the Authentication Cloud instance $instance."
        } else {
            // AUTHCLOUD_ACCESS_KEY alone sets the emulator's key (handy for tests).
            val accessKey = if (key.isNullOrEmpty()) null else Secret(key)
            val options = EmulatorOptions(transactionTtlMs = transactionTtlMs.toULong(), accessKey = accessKey)
            val started = Emulator.start(options)
            emulator = started
            config = ClientConfig(baseUrl = started.baseUrl(), accessKey = started.accessKey())
            publicBaseUrl = started.baseUrl()
            expiresInMs = transactionTtlMs
            mode = "Using the embedded emulator: open the deep link in a browser tab to play the phone."
        }
        client = AsyncClient(config)
    }

    override fun close() {
        client.close()
        emulator?.stop()
        emulator?.close()
    }
}
