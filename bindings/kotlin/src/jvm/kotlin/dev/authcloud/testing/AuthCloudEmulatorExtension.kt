package dev.authcloud.testing

import dev.authcloud.AsyncClient
import dev.authcloud.Client
import dev.authcloud.ClientConfig
import dev.authcloud.Emulator
import dev.authcloud.EmulatorOptions
import org.junit.jupiter.api.extension.AfterAllCallback
import org.junit.jupiter.api.extension.AfterEachCallback
import org.junit.jupiter.api.extension.BeforeAllCallback
import org.junit.jupiter.api.extension.BeforeEachCallback
import org.junit.jupiter.api.extension.ExtensionContext
import java.util.concurrent.atomic.AtomicBoolean

/**
 * A JUnit 5 extension that gives each test class an authcloud [Emulator], reset before
 * every test, and clients bound to it:
 *
 * ```kotlin
 * class SignUpTest {
 *     @RegisterExtension
 *     val cloud = AuthCloudEmulatorExtension()
 *
 *     @Test
 *     fun `a user enrolls`() {
 *         val enrolled = cloud.client.enroll(username = "u1")
 *         cloud.emulator.approve(enrolled.enrollment.transactionId)
 *         assertTrue(cloud.client.waitForCompletion(enrolled.enrollment.statusToken).succeeded)
 *     }
 * }
 * ```
 *
 * From Java, register it on a static field: `@RegisterExtension static final
 * AuthCloudEmulatorExtension cloud = new AuthCloudEmulatorExtension();` (then the emulator
 * is also available in `@BeforeAll` methods). Either way:
 *
 * - **One emulator per test class** (per `@Nested` class for an instance field), started
 *   before its first test and stopped after its last — also when the field is an instance
 *   field, whose extension JUnit creates anew for every test (the emulator is kept in the
 *   class's [ExtensionContext.Store]).
 * - **Reset before each test** ([Emulator.reset]: no users, transactions, intents, faults
 *   or recorded requests), so tests do not see each other's state. Not meant for tests of
 *   one class that run concurrently.
 * - [config], [client] and [asyncClient] target the emulator with its access key and short
 *   retry back-offs (10 ms, at most 100 ms), so retried faults do not slow tests down.
 *   The clients are created on first use in a test and closed after it; [config] is a new
 *   [ClientConfig] at each call (`.copy(...)` it for a client of your own).
 *
 * [options] are the emulator's (`EmulatorOptions(autoApproveAfterMs = 500u)`, or from
 * Java `Emulators.options().autoApproveAfter(Duration.ofMillis(500)).build()`).
 *
 * Needs `org.junit.jupiter:junit-jupiter-api` (5.x) on the test class path: the authcloud
 * artifact declares it optional, so it comes from your own JUnit dependency.
 */
class AuthCloudEmulatorExtension @JvmOverloads constructor(
    private val options: EmulatorOptions = EmulatorOptions(),
) : BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    @Volatile
    private var session: Session? = null

    // The current test's clients, created on first use.
    private var blocking: Client? = null
    private var suspending: AsyncClient? = null

    /** The emulator of the current test class. */
    val emulator: Emulator
        get() = requireSession().emulator

    /**
     * A new [ClientConfig] for the emulator: its base URL and access key, 10 ms initial and
     * 100 ms maximum back-off, defaults otherwise.
     */
    val config: ClientConfig
        get() = emulatorConfig(emulator)

    /** A blocking [Client] for [config]; the same one for the whole test, closed after it. */
    val client: Client
        get() = synchronized(this) { blocking ?: Client(config).also { blocking = it } }

    /** An [AsyncClient] for [config]; the same one for the whole test, closed after it. */
    val asyncClient: AsyncClient
        get() = synchronized(this) { suspending ?: AsyncClient(config).also { suspending = it } }

    override fun beforeAll(context: ExtensionContext) {
        session = sessionFor(context)
    }

    override fun beforeEach(context: ExtensionContext) {
        val session = sessionFor(context)
        this.session = session
        closeClients()
        session.emulator.reset()
    }

    override fun afterEach(context: ExtensionContext) {
        closeClients()
    }

    override fun afterAll(context: ExtensionContext) {
        // Clients a @BeforeAll/@AfterAll method used. The emulator itself is stopped by the
        // class's store when the class is done (after every @AfterAll method).
        closeClients()
    }

    override fun toString(): String = "AuthCloudEmulatorExtension(${session?.emulator ?: "not started"})"

    private fun requireSession(): Session =
        session ?: throw IllegalStateException(
            "AuthCloudEmulatorExtension is not active here: register it with @RegisterExtension " +
                "and use it from a test, @BeforeEach/@AfterEach, or (static field) @BeforeAll/@AfterAll",
        )

    private fun closeClients() {
        val done = synchronized(this) {
            listOfNotNull<AutoCloseable>(blocking, suspending).also {
                blocking = null
                suspending = null
            }
        }
        done.forEach { it.close() }
    }

    /** The session of the test class [context] belongs to, started on first use. */
    private fun sessionFor(context: ExtensionContext): Session {
        var classContext = context
        while (classContext.testMethod.isPresent) {
            classContext = classContext.parent.orElse(null) ?: break
        }
        // getOrComputeIfAbsent also finds a session an enclosing class started (@Nested).
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(SESSION, { Session(options) }, Session::class.java)
    }

    /**
     * The running emulator. The class's store closes it when the class is done: as a
     * CloseableResource (every JUnit 5), and as an AutoCloseable for versions that close
     * those instead; closing twice is harmless.
     */
    @Suppress("DEPRECATION")
    private class Session(options: EmulatorOptions) : ExtensionContext.Store.CloseableResource, AutoCloseable {
        val emulator: Emulator = Emulator.start(options)
        private val closed = AtomicBoolean()

        override fun close() {
            if (closed.compareAndSet(false, true)) {
                emulator.stop()
                emulator.close()
            }
        }
    }

    companion object {
        private val NAMESPACE: ExtensionContext.Namespace = ExtensionContext.Namespace.create(AuthCloudEmulatorExtension::class.java)
        private const val SESSION = "session"

        /**
         * The config [config] returns for [emulator]: base URL, access key, 10 ms initial and
         * 100 ms maximum back-off.
         */
        @JvmStatic
        fun emulatorConfig(emulator: Emulator): ClientConfig = ClientConfig(
            baseUrl = emulator.baseUrl(),
            accessKey = emulator.accessKey(),
            initialBackoffMs = 10u,
            maxBackoffMs = 100u,
        )
    }
}
