// Starts the web example: java -jar authcloud-web-kotlin-example.jar [--port PORT] [--host HOST]
// [--database FILE] [--transaction-ttl SECONDS] [--pushes-per-account N] [--pushes-per-address N]
// [--recovery-attempts-per-account N]. Prints "listening on http://HOST:PORT" on stdout once it
// accepts connections; everything else goes to stderr. Ctrl-C / SIGTERM stop it (and the
// embedded emulator).
package dev.authcloud.example.web

import io.ktor.server.application.ApplicationCallPipeline
import io.ktor.server.cio.CIO
import io.ktor.server.engine.embeddedServer
import kotlinx.coroutines.runBlocking
import java.io.File
import java.util.concurrent.CountDownLatch
import java.util.concurrent.atomic.AtomicReference
import kotlin.system.exitProcess

private const val USAGE = "usage: authcloud-web-kotlin-example [-h] [--port PORT] [--host HOST] [--database DATABASE] " +
    "[--transaction-ttl SECONDS] [--pushes-per-account N] [--pushes-per-address N] [--recovery-attempts-per-account N]"

private val HELP = """$USAGE

The guide's registration and login flows with authcloud's AsyncClient on Ktor, as a
template that is safe to copy (the same app as ../web-python): the site's own accounts
first, a phone only for the account that is signed in, logins by push with number matching.

GET  /                    sign up / sign in / log in with your phone; signed in: the account
POST /signup              create an account (username + password, argon2id), signed in
POST /signin              sign in with the password
POST /signout             sign out
POST /register            "Add your phone": enroll the signed-in account, then the QR page
POST /verify              verify the phone (status + introspect), store userId + authenticatorId
POST /login               a push to the account's own phone, with a two-digit number to match
POST /login/api/v1/status the login page's status poll (answered here)
POST /login/verify        verify the login, then a new signed-in session
POST /recovery-codes      issue the account's recovery codes and show them once
GET  /lost-phone          "Lost your phone?": the form for one recovery code
POST /recover             check the code; if right, remove the lost phone, then "Add your phone"

Without AUTHCLOUD_INSTANCE and AUTHCLOUD_ACCESS_KEY it runs on an embedded emulator
(AUTHCLOUD_ACCESS_KEY alone sets the emulator's key). It reads the shared templates from
the authcloud repository: -Dauthcloud.repo=DIR or AUTHCLOUD_REPO=DIR (run.sh sets it), or
else the nearest parent of the working directory or the jar that has examples/web-shared.

options:
  -h, --help            show this help message and exit
  --port PORT           TCP port on 127.0.0.1 (0 = any free port)
  --host HOST           address to listen on
  --database DATABASE   the SQLite file with accounts and sessions (created on first start)
  --transaction-ttl SECONDS
                        embedded emulator: how long a registration or login waits for the phone
  --pushes-per-account N
                        login pushes per username per minute
  --pushes-per-address N
                        login pushes per client address per minute
  --recovery-attempts-per-account N
                        recovery codes an account may try per 15 minutes"""

private class Options(
    val port: Int,
    val host: String,
    val database: File?,
    val transactionTtlSeconds: Double,
    val pushLimits: PushLimits,
    val recoveryAttemptsPerAccount: Int,
)

/** Exits 2 with the usage, as argparse does. */
private fun usageError(message: String): Nothing {
    System.err.println(USAGE)
    System.err.println("authcloud-web-kotlin-example: error: $message")
    exitProcess(2)
}

private val OPTIONS = setOf(
    "--port", "--host", "--database", "--transaction-ttl", "--pushes-per-account", "--pushes-per-address",
    "--recovery-attempts-per-account",
)

private fun parseArgs(args: Array<String>): Options {
    var port = 8000
    var host = "127.0.0.1"
    var database: File? = System.getenv("AUTHCLOUD_EXAMPLE_DATABASE")?.takeIf { it.isNotEmpty() }?.let(::File)
    var ttl = 300.0
    var perAccount = 3
    var perAddress = 10
    var recoveryAttempts = 5
    var i = 0
    while (i < args.size) {
        val arg = args[i++]
        if (arg == "-h" || arg == "--help") {
            println(HELP)
            exitProcess(0)
        }
        val name = arg.substringBefore('=')
        if (name !in OPTIONS) usageError("unrecognized arguments: $arg")
        val value = if (arg.contains('=')) arg.substringAfter('=') else args.getOrNull(i++) ?: usageError("argument $name: expected one argument")
        fun count() = value.trim().toIntOrNull()?.takeIf { it >= 0 } ?: usageError("argument $name: invalid int value: '$value'")
        when (name) {
            "--port" -> port = value.trim().toIntOrNull()?.takeIf { it in 0..65535 }
                ?: usageError("argument --port: invalid port: '$value'")
            "--host" -> host = value
            "--database" -> database = File(value)
            "--transaction-ttl" -> ttl = value.trim().toDoubleOrNull()?.takeIf { it >= 0 && it.isFinite() }
                ?: usageError("argument --transaction-ttl: invalid seconds: '$value'")
            "--pushes-per-account" -> perAccount = count()
            "--pushes-per-address" -> perAddress = count()
            "--recovery-attempts-per-account" -> recoveryAttempts = count()
        }
    }
    return Options(port, host, database, ttl, PushLimits(perAccount, perAddress), recoveryAttempts)
}

/** The authcloud repository (the one with examples/web-shared and web/dist). */
private fun findRepo(): File {
    val given = System.getProperty("authcloud.repo") ?: System.getenv("AUTHCLOUD_REPO")
    if (!given.isNullOrEmpty()) return File(given).absoluteFile
    val jar = runCatching { File(Backend::class.java.protectionDomain.codeSource.location.toURI()) }.getOrNull()
    for (start in listOfNotNull(File("").absoluteFile, jar)) {
        var dir: File? = start
        while (dir != null) {
            if (File(dir, "examples/web-shared/templates/index.html").isFile) return dir
            dir = dir.parentFile
        }
    }
    System.err.println("authcloud-web-kotlin-example: cannot find the authcloud repository (examples/web-shared); set AUTHCLOUD_REPO")
    exitProcess(2)
}

fun main(args: Array<String>) {
    // Ktor logs through SLF4J (slf4j-simple, to stderr): its warnings and errors only.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn")
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err")
    val options = parseArgs(args)
    val repo = findRepo()
    val files = Files(repo)
    if (!File(files.templates, "index.html").isFile) {
        System.err.println("authcloud-web-kotlin-example: no templates in ${files.templates}")
        exitProcess(2)
    }
    // An exception no one caught (none is expected) gets one line, not a stack trace that
    // could quote a request.
    Thread.setDefaultUncaughtExceptionHandler { thread, e ->
        if (e !is java.io.IOException) Log.warning("uncaught in ${thread.name}: ${kindOf(e)}")
    }
    val pid = ProcessHandle.current().pid()
    Log.server("Started server process [$pid]")

    // Ctrl-C and SIGTERM end the wait below; the JVM's own handling would skip the
    // orderly stop. Which one came decides the exit status (as with uvicorn: 0 after
    // Ctrl-C, 143 after SIGTERM).
    val stopSignal = AtomicReference<String>()
    val stop = CountDownLatch(1)
    for (name in listOf("INT", "TERM")) {
        sun.misc.Signal.handle(sun.misc.Signal(name)) {
            stopSignal.compareAndSet(null, name)
            stop.countDown()
        }
    }

    val database = (options.database ?: File(repo, "examples/web-kotlin/accounts.sqlite3")).absoluteFile
    val backend = try {
        Backend((options.transactionTtlSeconds * 1000).toLong(), files, database, options.pushLimits, options.recoveryAttemptsPerAccount)
    } catch (e: Exception) {
        System.err.println("authcloud-web-kotlin-example: cannot start: ${e.message ?: kindOf(e)}")
        exitProcess(1)
    }
    if (backend.emulator != null) Log.info("embedded emulator: ${backend.publicBaseUrl}")
    Log.info("database: ${database.path}")
    val app = WebApp(backend)
    val server = embeddedServer(CIO, port = options.port, host = options.host) {
        intercept(ApplicationCallPipeline.Call) {
            app.handle(context)
            finish()
        }
    }
    val port = try {
        server.start(wait = false)
        runBlocking { server.engine.resolvedConnectors().first().port }
    } catch (e: Exception) {
        // The engine reports a failed bind as a cancellation caused by it.
        val cause = generateSequence<Throwable>(e) { it.cause }.firstOrNull { it is java.io.IOException } ?: e
        System.err.println("authcloud-web-kotlin-example: cannot listen on ${options.host}:${options.port}: ${cause.message ?: kindOf(cause)}")
        runCatching { server.stop(0, 0) }
        backend.close()
        exitProcess(1)
    }
    // Bound and accepting: say so (the only line on stdout).
    println("listening on http://${options.host}:$port")
    System.out.flush()

    stop.await()
    Log.server("Shutting down")
    server.stop(gracePeriodMillis = 500, timeoutMillis = 3000)
    backend.close()
    Log.server("Finished server process [$pid]")
    exitProcess(if (stopSignal.get() == "TERM") 143 else 0)
}
