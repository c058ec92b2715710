// One JVM client under test, in a JVM of its own:
//
//   java -cp ... dev.authcloud.bench.MainKt IMPLEMENTATION BASE_URL ACCESS_KEY CYCLES WARMUP
//
// runs WARMUP cycles (so the JIT has compiled the hot paths), then CYCLES enroll -> status
// -> introspect cycles against the emulator, checking every answer, and prints one JSON
// line: the CPU time of the whole JVM (all threads: JIT, GC, the SDK's native threads) and
// the wall time of the measured cycles only, and the peak RSS (VmHWM). IMPLEMENTATION:
//   client         dev.authcloud.Client (blocking), one cycle at a time
//   async-client   dev.authcloud.AsyncClient in coroutines (runBlocking), 50 cycles in flight
//   java-net-http  a hand-written java.net.http.HttpClient + Jackson client from the guide's
//                  curl lines (the reference), one cycle at a time
// Part of bench/clients/run.sh.
package dev.authcloud.bench

import com.fasterxml.jackson.databind.ObjectMapper
import dev.authcloud.AsyncClient
import dev.authcloud.Client
import dev.authcloud.ClientConfig
import dev.authcloud.Secret
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import java.io.File
import java.lang.management.ManagementFactory
import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.atomic.AtomicInteger
import kotlin.system.exitProcess

const val IN_FLIGHT = 50

class BenchFailure(message: String) : Exception(message)

fun expect(condition: Boolean, what: () -> String) {
    if (!condition) throw BenchFailure(what())
}

/** User + system CPU time of the whole JVM process, in milliseconds. */
fun processCpuMs(): Double =
    (ManagementFactory.getOperatingSystemMXBean() as com.sun.management.OperatingSystemMXBean).processCpuTime / 1e6

/**
 * User and system CPU time of the process from /proc/self/stat (fields 14 and 15, in clock
 * ticks of 10 ms on Linux): only to split the MXBean's total.
 */
fun userAndSystemMs(): Pair<Double, Double> {
    val fields = File("/proc/self/stat").readText().substringAfterLast(')').trim().split(' ')
    return fields[11].toDouble() * 10.0 to fields[12].toDouble() * 10.0
}

/** Time the JIT compilers have spent so far, in milliseconds (part of the process's CPU). */
fun jitMs(): Long = ManagementFactory.getCompilationMXBean()?.totalCompilationTime ?: 0

/** Time spent in garbage collections so far (all collectors), in milliseconds. */
fun gcMs(): Long = ManagementFactory.getGarbageCollectorMXBeans().sumOf { maxOf(it.collectionTime, 0) }

/** Peak resident set size so far (VmHWM), in MiB. */
fun peakRssMib(): Double =
    File("/proc/self/status").readLines().firstOrNull { it.startsWith("VmHWM:") }
        ?.split(Regex("\\s+"))?.get(1)?.toDouble()?.div(1024.0) ?: 0.0

/** Runs `count` cycles named `prefix-0`, `prefix-1`, ... */
interface Bench {
    val concurrency: Int
    val library: String

    fun run(prefix: String, count: Int)
}

fun config(baseUrl: String, accessKey: String) =
    // Default timeouts and retries: only the URL and the key are set.
    ClientConfig(baseUrl = baseUrl, accessKey = Secret(accessKey))

class BlockingSdk(baseUrl: String, accessKey: String) : Bench {
    private val client = Client(config(baseUrl, accessKey))
    override val concurrency = 1
    override val library = "dev.authcloud:authcloud (Client)"

    override fun run(prefix: String, count: Int) {
        for (i in 0 until count) {
            val enrolled = client.enroll(username = "$prefix-$i")
            val token = enrolled.enrollment.statusToken
            val status = client.status(token)
            expect(status.statusText == "pending") { "status: expected pending, got ${status.statusText}" }
            expect(client.introspect(token).active) { "introspect: the status token is not active" }
        }
    }
}

class CoroutineSdk(baseUrl: String, accessKey: String) : Bench {
    private val client = AsyncClient(config(baseUrl, accessKey))
    override val concurrency = IN_FLIGHT
    override val library = "dev.authcloud:authcloud (AsyncClient) + kotlinx-coroutines"

    override fun run(prefix: String, count: Int) = runBlocking {
        // IN_FLIGHT workers share one counter: at most IN_FLIGHT cycles at any time.
        val next = AtomicInteger()
        repeat(minOf(IN_FLIGHT, count)) {
            launch {
                while (true) {
                    val i = next.getAndIncrement()
                    if (i >= count) break
                    val enrolled = client.enroll(username = "$prefix-$i")
                    val token = enrolled.enrollment.statusToken
                    val status = client.status(token)
                    expect(status.statusText == "pending") { "status: expected pending, got ${status.statusText}" }
                    expect(client.introspect(token).active) { "introspect: the status token is not active" }
                }
            }
        }
    }
}

/** The guide's three curl lines with the JDK's HTTP client and Jackson. */
class JavaNetHttp(baseUrl: String, private val accessKey: String) : Bench {
    // HTTP/1.1 as curl speaks to an http:// URL (the JDK's default, HTTP/2, would offer an
    // h2c upgrade on every new connection).
    private val http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
    private val json = ObjectMapper()
    private val enrollUri = URI.create("$baseUrl/api/v1/users/enroll")
    private val statusUri = URI.create("$baseUrl/api/v1/status")
    private val introspectUri = URI.create("$baseUrl/api/v1/introspect")
    override val concurrency = 1
    override val library = "java.net.http (JDK ${Runtime.version()}) + jackson-databind ${ObjectMapper().version()}"

    private fun post(uri: URI, contentType: String, body: String, bearer: String?): HttpResponse<String> {
        val request = HttpRequest.newBuilder(uri)
            .header("Content-Type", contentType)
            .apply { if (bearer != null) header("Authorization", "Bearer $bearer") }
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build()
        return http.send(request, HttpResponse.BodyHandlers.ofString())
    }

    override fun run(prefix: String, count: Int) {
        for (i in 0 until count) {
            val enrollBody = json.writeValueAsString(mapOf("username" to "$prefix-$i"))
            var answer = post(enrollUri, "application/json", enrollBody, accessKey)
            expect(answer.statusCode() == 201) { "enroll: HTTP ${answer.statusCode()}: ${answer.body().take(200)}" }
            val token = json.readTree(answer.body()).path("enrollment").path("statusToken")
            expect(token.isTextual && token.asText().isNotEmpty()) { "enroll: no enrollment.statusToken" }

            answer = post(statusUri, "application/json", json.writeValueAsString(mapOf("statusToken" to token.asText())), null)
            expect(answer.statusCode() == 200) { "status: HTTP ${answer.statusCode()}: ${answer.body().take(200)}" }
            val status = json.readTree(answer.body()).path("status").asText()
            expect(status == "pending") { "status: expected pending, got $status" }

            val form = "token=" + URLEncoder.encode(token.asText(), Charsets.UTF_8)
            answer = post(introspectUri, "application/x-www-form-urlencoded", form, accessKey)
            expect(answer.statusCode() == 200) { "introspect: HTTP ${answer.statusCode()}: ${answer.body().take(200)}" }
            expect(json.readTree(answer.body()).path("active").let { it.isBoolean && it.asBoolean() }) {
                "introspect: the status token is not active"
            }
        }
    }
}

fun jsonString(value: String) = "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\""

fun main(args: Array<String>) {
    if (args.size != 5) {
        System.err.println("usage: MainKt client|async-client|java-net-http BASE_URL ACCESS_KEY CYCLES WARMUP")
        exitProcess(2)
    }
    val (implementation, rawBaseUrl, accessKey) = args
    val baseUrl = rawBaseUrl.trimEnd('/')
    val cycles = args[3].toInt()
    val warmup = args[4].toInt()
    try {
        val bench: Bench = when (implementation) {
            "client" -> BlockingSdk(baseUrl, accessKey)
            "async-client" -> CoroutineSdk(baseUrl, accessKey)
            "java-net-http" -> JavaNetHttp(baseUrl, accessKey)
            else -> throw IllegalArgumentException("unknown implementation $implementation")
        }
        val prefix = "jvm-$implementation-${ProcessHandle.current().pid()}"
        bench.run("$prefix-w", warmup)
        val jitBefore = jitMs()
        val gcBefore = gcMs()
        val cpuBefore = processCpuMs()
        val splitBefore = userAndSystemMs()
        val started = System.nanoTime()
        bench.run(prefix, cycles)
        val wallMs = (System.nanoTime() - started) / 1e6
        val cpuMs = processCpuMs() - cpuBefore
        val splitAfter = userAndSystemMs()
        val jitDuring = jitMs() - jitBefore
        val gcDuring = gcMs() - gcBefore
        val per = maxOf(cycles, 1)
        println(
            "{\"implementation\": ${jsonString(implementation)}, \"language\": \"jvm\", " +
                "\"library\": ${jsonString(bench.library)}, \"cycles\": $cycles, \"warmup\": $warmup, " +
                "\"concurrency\": ${bench.concurrency}, \"cpu_ms_total\": $cpuMs, " +
                "\"cpu_user_ms_total\": ${splitAfter.first - splitBefore.first}, " +
                "\"cpu_sys_ms_total\": ${splitAfter.second - splitBefore.second}, \"wall_ms_total\": $wallMs, " +
                "\"cpu_ms_per_cycle\": ${cpuMs / per}, \"wall_ms_per_cycle\": ${wallMs / per}, " +
                "\"peak_rss_mib\": ${peakRssMib()}, \"jit_compile_ms\": $jitDuring, \"gc_ms\": $gcDuring}",
        )
        System.out.flush()
        // Do not wait for the SDK's or the HTTP client's non-daemon threads.
        exitProcess(0)
    } catch (error: Throwable) {
        System.err.println("bench-clients (jvm): ${error.javaClass.simpleName}: ${error.message}")
        exitProcess(1)
    }
}
