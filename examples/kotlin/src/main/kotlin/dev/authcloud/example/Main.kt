// The guide's flow in Kotlin, against the emulator that ships in the jar: blocking, then
// with coroutines. Against a real instance, use
// ClientConfig(instance = "acme", accessKey = Secret(key)) and let the user scan the QR
// code with the authenticator app instead of emulator.approve().
package dev.authcloud.example

import dev.authcloud.AsyncClient
import dev.authcloud.Client
import dev.authcloud.ClientConfig
import dev.authcloud.Emulator
import dev.authcloud.EmulatorOptions
import dev.authcloud.WaitOptions
import dev.authcloud.statusUpdates
import kotlinx.coroutines.flow.onEach
import kotlinx.coroutines.flow.last
import kotlinx.coroutines.runBlocking
import java.io.File
import kotlin.time.Duration.Companion.milliseconds

fun main() {
    checkSelfContained()
    blockingFlow()
    coroutineFlow()
    // JNA extracted the library from the jar to a temporary file and loaded that.
    val native = com.sun.jna.NativeLibrary.getInstance("authcloud_ffi").file
    println("native library: $native (extracted from the jar by JNA)")
    check(native != null && !native.path.contains("/target/")) { "loaded from a build directory: $native" }
    println("examples/kotlin: both flows passed")
}

fun blockingFlow() = Emulator.start().use { emulator ->
    println("== blocking")
    val config = ClientConfig(baseUrl = emulator.baseUrl(), accessKey = emulator.accessKey())
    Client(config).use { client ->
        println("client: $client")                                        // no secret in it
        val enrolled = client.enroll(username = "u12345")                  // 1. start the registration
        val qr = File.createTempFile("authcloud-qr", ".png").apply { writeBytes(enrolled.enrollment.qrCode.png()) }
        println("scan $qr or open ${enrolled.enrollment.appLinkUri.reveal()}")       // 2. show the QR code / link
        emulator.approve(enrolled.enrollment.transactionId)                 //    (the simulated phone)
        val outcome = client.waitForCompletion(enrolled.enrollment.statusToken) // 3. poll every 1.5 s
        check(outcome.succeeded) { outcome.status.statusText }
        val user = client.verify(enrolled.enrollment.statusToken)           // 4. backend: status + introspect
        println("verified ${user.userId} ${user.username} active: ${user.introspection.active}")
        check(user.introspection.active && user.username == "u12345")
        qr.delete()
    }
}

fun coroutineFlow() = runBlocking {
    println("== coroutines")
    Emulator.start(EmulatorOptions(autoApproveAfterMs = 1000u)).use { emulator ->
        val config = ClientConfig(baseUrl = emulator.baseUrl(), accessKey = emulator.accessKey())
        AsyncClient(config).use { client ->
            val enrolled = client.enroll(username = "u12345")
            println("open ${enrolled.enrollment.appLinkUri.reveal()}")
            // Progress as a Flow: one element per poll, completing on the final status.
            val final = client.statusUpdates(enrolled.enrollment.statusToken, WaitOptions(pollInterval = 300.milliseconds))
                .onEach { println("  poll ${it.poll}: ${it.status.statusText}") }
                .last()
            check(final.status.statusText == "succeeded") { final.status.statusText }
            val user = client.verify(enrolled.enrollment.statusToken)
            println("verified ${user.userId} active: ${user.introspection.active}")
            check(user.introspection.active)
        }
    }
}

/** Proves the point of this project: the jar alone carries the native library. */
fun checkSelfContained() {
    val jar = File(Client::class.java.protectionDomain.codeSource.location.toURI())
    println("dev.authcloud classes from: $jar")
    check(jar.isFile && jar.name == "authcloud-0.1.0.jar") { "expected the installed jar, got $jar" }
    check(System.getProperty("jna.library.path") == null) { "jna.library.path must not be needed" }
    val libraryPath = (System.getenv("LD_LIBRARY_PATH") ?: "").split(':').filter { it.isNotEmpty() }
    check(libraryPath.none { File(it, "libauthcloud_ffi.so").exists() }) { "a libauthcloud_ffi.so on LD_LIBRARY_PATH" }
    check(Client::class.java.classLoader.getResource("linux-x86-64/libauthcloud_ffi.so") != null)
    // JUnit and SLF4J are optional dependencies of authcloud (for its test extension and
    // log sink): they must not come along with it.
    for (optional in listOf("org.junit.jupiter.api.extension.Extension", "org.slf4j.Logger")) {
        check(runCatching { Class.forName(optional) }.isFailure) { "$optional came with dev.authcloud:authcloud" }
    }
}
