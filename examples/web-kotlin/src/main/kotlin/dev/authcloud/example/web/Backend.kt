// The SDK client, the database, and where the browser polls.
package dev.authcloud.example.web

import dev.authcloud.AsyncClient
import dev.authcloud.ClientConfig
import dev.authcloud.Emulator
import dev.authcloud.EmulatorOptions
import dev.authcloud.Secret
import java.io.File

const val SESSION_COOKIE = "authcloud_example_session"

/** Where the shared templates and scripts are. */
class Files(repo: File) {
    val templates = File(repo, "examples/web-shared/templates")
    val static = File(repo, "examples/web-shared/static")
    val poller = File(repo, "web/dist/index.js")
    val schema = File(repo, "examples/web-shared/schema.sql")
}

/** Login pushes allowed per minute, per username typed and per client address. */
class PushLimits(val perAccount: Int, val perAddress: Int)

/**
 * The client of a real instance (`AUTHCLOUD_INSTANCE` and `AUTHCLOUD_ACCESS_KEY`), or of an
 * emulator started here.
 */
class Backend(
    transactionTtlMs: Long,
    val files: Files,
    database: File,
    val pushLimits: PushLimits,
    /** Recovery codes an account may try per 15 minutes. */
    val recoveryAttemptsPerAccount: Int = 5,
) : AutoCloseable {
    val emulator: Emulator?
    val client: AsyncClient
    val publicBaseUrl: String
    val expiresInMs: Long
    val mode: String
    val store = Store(database, files.schema)

    init {
        val instance = System.getenv("AUTHCLOUD_INSTANCE")
        val key = System.getenv("AUTHCLOUD_ACCESS_KEY")
        val config: ClientConfig
        if (!instance.isNullOrEmpty() && !key.isNullOrEmpty()) {
            emulator = null
            config = ClientConfig(instance = instance, accessKey = Secret(key))
            publicBaseUrl = "https://$instance.mauth.nevis.cloud"
            val ttl = System.getenv("AUTHCLOUD_TRANSACTION_TTL_MS") ?: "300000"
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
