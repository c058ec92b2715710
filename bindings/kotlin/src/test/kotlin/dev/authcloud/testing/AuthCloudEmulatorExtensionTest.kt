package dev.authcloud.testing

import dev.authcloud.Client
import dev.authcloud.EmulatorOptions
import dev.authcloud.Fault
import dev.authcloud.WaitOptions
import dev.authcloud.statusUpdates
import kotlinx.coroutines.flow.last
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotSame
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.MethodOrderer
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestMethodOrder
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.extension.RegisterExtension
import org.junit.platform.engine.discovery.DiscoverySelectors.selectClass
import org.junit.platform.testkit.engine.EngineTestKit
import java.net.ConnectException
import java.net.Socket
import java.net.URI
import java.util.Collections
import kotlin.time.Duration.Companion.milliseconds

/** Uses nothing but the extension: no hand-rolled emulator, config or client. */
class AuthCloudEmulatorExtensionTest {
    @RegisterExtension
    val cloud = AuthCloudEmulatorExtension()

    @Test
    fun `the guide's flow, blocking`() {
        val enrolled = cloud.client.enroll(username = "u12345")
        cloud.emulator.approve(enrolled.enrollment.transactionId)
        val outcome = cloud.client.waitForCompletion(enrolled.enrollment.statusToken, WaitOptions(pollInterval = 100.milliseconds))
        assertTrue(outcome.succeeded)
        val user = cloud.client.verify(
            enrolled.enrollment.statusToken,
            expectedUserId = enrolled.user.userId,
            expectedTransactionId = enrolled.enrollment.transactionId,
        )
        assertEquals("u12345", user.username)
        assertTrue(user.introspection.active)
    }

    @Test
    fun `the guide's flow, with coroutines`() = runBlocking {
        val enrolled = cloud.asyncClient.enroll(username = "u-async")
        cloud.emulator.approve(enrolled.enrollment.transactionId)
        val final = cloud.asyncClient.statusUpdates(enrolled.enrollment.statusToken, WaitOptions(pollInterval = 100.milliseconds)).last()
        assertEquals("succeeded", final.status.statusText)
        assertEquals(enrolled.user.userId, cloud.asyncClient.verify(enrolled.enrollment.statusToken).userId)
    }

    @Test
    fun `retried faults cost milliseconds, not seconds`() {
        cloud.emulator.injectFault("/api/v1/users/enroll", Fault.Status(status = 503u, retryAfterSecs = null), count = 2u)
        val started = System.nanoTime()
        assertEquals("patient", cloud.client.enroll(username = "patient").user.username)
        assertTrue(System.nanoTime() - started < 2_000_000_000, "short back-offs")
        assertEquals(3, cloud.emulator.requests().count { it.path == "/api/v1/users/enroll" })
    }

    @Test
    fun `config, client and asyncClient target the emulator`() {
        val config = cloud.config
        assertEquals(cloud.emulator.baseUrl(), config.baseUrl)
        assertEquals(cloud.emulator.accessKey().reveal(), config.accessKey!!.reveal())
        assertEquals(10uL, config.initialBackoffMs)
        assertEquals(100uL, config.maxBackoffMs)
        assertNotSame(config, cloud.config, "a new config each time: changing one changes nothing else")
        assertSame(cloud.client, cloud.client, "one client per test")
        assertSame(cloud.asyncClient, cloud.asyncClient)
        assertTrue(cloud.client.toString().startsWith("Client(base_url=${cloud.emulator.baseUrl()}"), cloud.client.toString())
    }

    @Test
    fun `one emulator per class, reset before each test, stopped after the class`() {
        for (example in listOf(InstanceFieldExample::class.java, StaticFieldExample::class.java)) {
            seen.clear()
            val results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(example)).execute()
            results.containerEvents().assertStatistics { it.failed(0) }
            results.testEvents().assertStatistics { it.started(2).succeeded(2).failed(0) }

            val baseUrls = seen.toSet()
            assertEquals(1, baseUrls.size, "${example.simpleName}: one emulator for the class: $seen")
            assertTrue(portClosed(baseUrls.single()), "${example.simpleName}: the emulator is stopped after the class")
        }
    }

    @Test
    fun `emulator options are passed on`() {
        val results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(AutoApproveExample::class.java)).execute()
        results.testEvents().assertStatistics { it.started(1).succeeded(1) }
    }

    @Test
    fun `outside a test it says how to use it`() {
        val unused = AuthCloudEmulatorExtension()
        val error = assertThrows<IllegalStateException> { unused.emulator }
        assertTrue("@RegisterExtension" in error.message!!, error.message)
    }

    /** Run through EngineTestKit only (surefire skips nested classes). */
    @TestMethodOrder(MethodOrderer.OrderAnnotation::class)
    class InstanceFieldExample {
        @RegisterExtension
        val cloud = AuthCloudEmulatorExtension()

        @Test
        @Order(1)
        fun first() {
            seen += cloud.emulator.baseUrl()
            cloud.client.enroll(username = "first")
            cloud.emulator.injectFault("/api/v1/users/enroll", Fault.Status(status = 500u, retryAfterSecs = null), count = 100u)
            clients += cloud.client
        }

        @Test
        @Order(2)
        fun second() {
            seen += cloud.emulator.baseUrl()
            assertEquals(emptyList<Any>(), cloud.emulator.requests(), "reset: no requests from the first test")
            assertEquals("second", cloud.client.enroll(username = "second").user.username, "reset: no fault left")
            assertNotSame(clients.single(), cloud.client)
            // The first test's client was closed after it.
            assertThrows<IllegalStateException> { clients.single().enroll(username = "closed") }
        }

        companion object {
            val clients = mutableListOf<Client>()
        }
    }

    /** The Java way: a static field; the emulator is there in @BeforeAll already. */
    @TestMethodOrder(MethodOrderer.OrderAnnotation::class)
    class StaticFieldExample {
        @Test
        @Order(1)
        fun first() {
            seen += cloud.emulator.baseUrl()
            assertEquals(emptyList<Any>(), cloud.emulator.requests(), "reset after @BeforeAll")
            cloud.client.enroll(username = "first")
        }

        @Test
        @Order(2)
        fun second() {
            seen += cloud.emulator.baseUrl()
            assertEquals(emptyList<Any>(), cloud.emulator.requests())
        }

        companion object {
            @JvmField
            @RegisterExtension
            val cloud = AuthCloudEmulatorExtension()

            @JvmStatic
            @BeforeAll
            fun enrollSomeone() {
                seen += cloud.emulator.baseUrl()
                cloud.client.enroll(username = "before-all")
            }
        }
    }

    class AutoApproveExample {
        @RegisterExtension
        val cloud = AuthCloudEmulatorExtension(EmulatorOptions(autoApproveAfterMs = 200u))

        @Test
        fun `approved by itself`() {
            val enrolled = cloud.client.enroll(username = "auto")
            val outcome = cloud.client.waitForCompletion(enrolled.enrollment.statusToken, WaitOptions(pollInterval = 100.milliseconds))
            assertTrue(outcome.succeeded)
        }
    }

    companion object {
        val seen: MutableList<String> = Collections.synchronizedList(mutableListOf())

        fun portClosed(baseUrl: String): Boolean {
            val uri = URI(baseUrl)
            repeat(50) {
                try {
                    Socket(uri.host, uri.port).close()
                } catch (_: ConnectException) {
                    return true
                }
                Thread.sleep(40)
            }
            return false
        }
    }
}
