// The guide's web flow with authcloud's AsyncClient on Ktor:
//
// GET  /              the username forms (register, or log in when already registered)
// POST /register      enroll, then a page with the QR code, the deep link and the status poller
// POST /verify        verify (status + introspect) bound to this session's user and transaction
// POST /login         a push approval with a prompt to the user's phone, then a page with the poller
// POST /login/verify  verify the login the same way
//
// The backend holds the access key; the browser only ever sees the status token (it polls the
// status endpoint itself, as the guide says). Status tokens and the ids to expect live in a
// server-side session keyed by a random cookie; nothing secret is ever logged.
//
// Routes, status codes, pages and JSON are those of ../web-python (FastAPI), including what
// that framework answers by itself: 404/405 as {"detail": …}, 307 for a trailing slash.
package dev.authcloud.example.web

import dev.authcloud.ApprovalChannel
import dev.authcloud.ApprovalRequest
import dev.authcloud.AuthCloudException
import dev.authcloud.Secret
import dev.authcloud.VerificationCheck
import dev.authcloud.WaitOptions
import io.ktor.http.ContentType
import io.ktor.http.HttpHeaders
import io.ktor.http.HttpMethod
import io.ktor.http.HttpStatusCode
import io.ktor.http.toHttpDate
import io.ktor.server.application.ApplicationCall
import io.ktor.server.request.httpMethod
import io.ktor.server.request.receiveChannel
import io.ktor.server.response.header
import io.ktor.server.response.respond
import io.ktor.server.response.respondBytes
import io.ktor.util.date.GMTDate
import io.ktor.utils.io.readRemaining
import kotlinx.coroutines.CancellationException
import kotlinx.io.readByteArray
import java.io.File
import java.security.MessageDigest

const val MAX_USERNAME = 300
private val USERNAME_CHARS = Regex("[A-Za-z0-9_.@-]+")

/** What the phone shows for a login: the prompt (the message rules' HTML) and the notification. */
const val LOGIN_MESSAGE = "<html>Log in to the <b>authcloud web example</b>?</html>"
const val LOGIN_NOTIFICATION = "Approve your login to the authcloud web example"

/** The guide's 1.5 s, from the SDK. */
val POLL_INTERVAL_MS: ULong = WaitOptions().pollIntervalMs

/** The most body bytes read from one request (two maximal Starlette fields and change). */
private const val MAX_BODY_BYTES = 4L * 1024 * 1024

private val HTML = ContentType.parse("text/html; charset=utf-8")
private val JSON = ContentType.parse("application/json")
private val JAVASCRIPT = ContentType.parse("text/javascript; charset=utf-8")
private val CSS = ContentType.parse("text/css; charset=utf-8")

/** A reply, made before anything is sent. */
private class Reply(
    val status: HttpStatusCode,
    val body: ByteArray = ByteArray(0),
    val contentType: ContentType? = null,
    val headers: List<Pair<String, String>> = emptyList(),
)

private val POST_ROUTES = setOf("/register", "/verify", "/login", "/login/verify")

/** A body too large to read. */
private class TooLargeException : Exception("request body too large")

class WebApp(private val backend: Backend) {
    private val files = backend.files

    /** Answers one request; never throws (except for cancellation), never a 500. */
    suspend fun handle(call: ApplicationCall) {
        val path = unquote(call.request.local.uri.substringBefore('?'))
        val reply = try {
            dispatch(call, path)
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            // Only the kind: a message could quote a request.
            Log.warning("request failed: ${kindOf(e)}")
            Reply(
                HttpStatusCode.ServiceUnavailable,
                "This example could not answer the request (see its log).".toByteArray(),
                ContentType.parse("text/plain; charset=utf-8"),
            )
        }
        send(call, reply)
        accessLog(call, reply.status)
    }

    private suspend fun send(call: ApplicationCall, reply: Reply) {
        call.response.header(HttpHeaders.Date, GMTDate().toHttpDate())
        for ((name, value) in reply.headers) call.response.header(name, value)
        val head = call.request.httpMethod == HttpMethod.Head
        when {
            reply.contentType == null -> call.respond(reply.status)
            else -> call.respondBytes(if (head) ByteArray(0) else reply.body, reply.contentType, reply.status)
        }
    }

    /** As uvicorn logs requests: the path without its query, no headers, no body. */
    private fun accessLog(call: ApplicationCall, status: HttpStatusCode) {
        val local = call.request.local
        val path = local.uri.substringBefore('?')
        Log.server("${local.remoteAddress}:${local.remotePort} - \"${local.method.value} $path ${local.version}\" ${status.value} ${status.description}")
    }

    /** The method a path's route takes, or null when no route has the path (Starlette's routing). */
    private fun routeMethod(path: String): HttpMethod? = when {
        path == "/" -> HttpMethod.Get
        path in POST_ROUTES -> HttpMethod.Post
        path.startsWith("/static/") && path.length > "/static/".length && '/' !in path.substring("/static/".length) -> HttpMethod.Get
        else -> null
    }

    private suspend fun dispatch(call: ApplicationCall, path: String): Reply {
        val method = call.request.httpMethod
        val allowed = routeMethod(path)
        if (allowed == null) {
            if (path != "/" && path.endsWith("/") && routeMethod(path.trimEnd('/')) != null) {
                return redirectWithoutSlash(call, path.trimEnd('/'))
            }
            return detail(HttpStatusCode.NotFound, "Not Found")
        }
        if (method != allowed) {
            return detail(HttpStatusCode.MethodNotAllowed, "Method Not Allowed", listOf(HttpHeaders.Allow to allowed.value))
        }
        return when (path) {
            "/" -> html(HttpStatusCode.OK, render(files.templates, "index", mapOf("mode" to backend.mode)))
            "/register" -> withForm(call, forVerify = false) { register(it) }
            "/verify" -> withForm(call, forVerify = true) { verifyOperation(call, Flow.REGISTRATION, it) }
            "/login" -> withForm(call, forVerify = false) { login(it) }
            "/login/verify" -> withForm(call, forVerify = true) { verifyOperation(call, Flow.LOGIN, it) }
            "/static/authcloud-poller.js" -> file(files.poller, JAVASCRIPT)
            else -> staticFile(path.substring("/static/".length))
        }
    }

    /** The framework's own errors, as FastAPI writes them. */
    private fun detail(status: HttpStatusCode, message: String, headers: List<Pair<String, String>> = emptyList()) =
        Reply(status, json(mapOf("detail" to message)).toByteArray(), JSON, headers)

    /** Starlette's redirect_slashes: 307 to the same URL without the trailing slash. */
    private fun redirectWithoutSlash(call: ApplicationCall, path: String): Reply {
        val host = call.request.headers[HttpHeaders.Host]
        val query = call.request.local.uri.substringAfter('?', "")
        var url = if (host != null) "http://$host$path" else path
        if (query.isNotEmpty()) url += "?$query"
        return Reply(HttpStatusCode.TemporaryRedirect, headers = listOf(HttpHeaders.Location to quoteUrl(url)))
    }

    private fun html(status: HttpStatusCode, page: String, headers: List<Pair<String, String>> = emptyList()) =
        Reply(status, page.toByteArray(Charsets.UTF_8), HTML, headers)

    private fun messagePage(status: HttpStatusCode, title: String, message: String, state: String) =
        html(status, render(files.templates, "message", mapOf("title" to title, "message" to message, "state" to state)))

    private fun wantsJson(call: ApplicationCall) = (call.request.headers[HttpHeaders.Accept] ?: "").contains("application/json")

    /** The same outcome as JSON (for the page's script) or as a page (without JavaScript). */
    private fun reply(
        call: ApplicationCall,
        status: HttpStatusCode,
        title: String,
        message: String,
        state: String,
        extra: Map<String, Any?> = emptyMap(),
    ): Reply {
        if (wantsJson(call)) {
            return Reply(status, json(mapOf("message" to message, "state" to state) + extra).toByteArray(Charsets.UTF_8), JSON)
        }
        return messagePage(status, title, message, state)
    }

    /** Reads the form body (as FastAPI does before the handler runs), then runs [handler]. */
    private suspend fun withForm(call: ApplicationCall, forVerify: Boolean, handler: suspend (Form) -> Reply): Reply {
        val form = try {
            val declared = call.request.headers[HttpHeaders.ContentLength]?.toLongOrNull()
            if (declared != null && declared > MAX_BODY_BYTES) throw TooLargeException()
            val body = call.receiveChannel().readRemaining(MAX_BODY_BYTES + 1).readByteArray()
            if (body.size > MAX_BODY_BYTES) throw TooLargeException()
            parseForm(call.request.headers[HttpHeaders.ContentType], body)
        } catch (e: CancellationException) {
            throw e
        } catch (e: FormException) {
            return detail(HttpStatusCode.BadRequest, e.message ?: "There was an error parsing the body")
        } catch (e: TooLargeException) {
            val message = "The request is larger than this example accepts."
            return if (forVerify) reply(call, HttpStatusCode.PayloadTooLarge, "Request too large", message, "bad-request")
            else messagePage(HttpStatusCode.PayloadTooLarge, "Request too large", message, "bad-request")
        } catch (e: Exception) {
            Log.warning("request body unreadable: ${kindOf(e)}")
            val message = "The request could not be read."
            return if (forVerify) reply(call, HttpStatusCode.BadRequest, "Bad request", message, "bad-request")
            else messagePage(HttpStatusCode.BadRequest, "Bad request", message, "bad-request")
        }
        return handler(form)
    }

    private fun indexWithError(error: String, username: String) = html(
        HttpStatusCode.BadRequest,
        render(files.templates, "index", mapOf("error" to error, "username" to username, "mode" to backend.mode)),
    )

    private suspend fun register(form: Form): Reply {
        val username = pyStrip(form.value("username") ?: "")
        val problem = usernameProblem(username)
        if (problem != null) {
            return indexWithError(problem, shownUsername(username))
        }
        val enrolled = try {
            backend.client.enroll(username = username)
        } catch (e: AuthCloudException.InvalidInput) {
            return indexWithError(describe(e), username)
        } catch (e: AuthCloudException) {
            Log.warning("enroll failed: ${kindOf(e)}")
            return messagePage(HttpStatusCode.BadGateway, "Registration unavailable", "The Authentication Cloud could not start it: ${describe(e)}", "error")
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            Log.warning("enroll failed: ${kindOf(e)}")
            return messagePage(HttpStatusCode.BadGateway, "Registration unavailable", "The Authentication Cloud could not start it: an unexpected ${kindOf(e)}", "error")
        }

        val enrollment = enrolled.enrollment
        val registration = Operation(
            flow = Flow.REGISTRATION,
            username = username,
            userId = enrolled.user.userId,
            transactionId = enrollment.transactionId,
            statusToken = enrollment.statusToken,
            createdNanos = System.nanoTime(),
        )
        Log.info("registration started: user ${pyRepr(registration.userId)}, transaction ${pyRepr(registration.transactionId)}")

        val qr = enrollment.qrCode
        val link = enrollment.appLinkUri
        try {
            var qrUri = ""
            var qrProblem = ""
            try {
                qr.png() // only a real PNG goes into the <img>
                qrUri = qr.dataUri()
            } catch (e: AuthCloudException) {
                qrProblem = describe(e)
            }
            val href = if (link.isValid()) link.href() else ""
            val page = render(
                files.templates,
                "register",
                mapOf(
                    "username" to username,
                    "base_url" to backend.publicBaseUrl,
                    "status_token" to enrollment.statusToken.reveal(),
                    "poll_interval_ms" to POLL_INTERVAL_MS,
                    "expires_in_ms" to backend.expiresInMs,
                    "qr_data_uri" to qrUri,
                    "qr_class" to if (qrUri.isNotEmpty()) "" else "hidden",
                    "qr_missing_class" to if (qrUri.isNotEmpty()) "hidden" else "",
                    "qr_problem" to qrProblem,
                    "deep_link" to href,
                    "link_class" to if (href.isNotEmpty()) "" else "hidden",
                    "link_missing_class" to if (href.isNotEmpty()) "hidden" else "",
                    "link_problem" to (link.problem() ?: ""),
                ),
            )
            return withSession(page, registration)
        } finally {
            qr.destroy()
            link.destroy()
        }
    }

    /** The waiting page, with a new session cookie for the operation it waits for. */
    private fun withSession(page: String, operation: Operation): Reply {
        val sessionId = backend.sessions.create(operation)
        return html(
            HttpStatusCode.OK,
            page,
            listOf(
                HttpHeaders.CacheControl to "no-store",
                // As Starlette's set_cookie writes it.
                HttpHeaders.SetCookie to "$SESSION_COOKIE=$sessionId; HttpOnly; Max-Age=$SESSION_TTL_SECONDS; Path=/; SameSite=lax",
            ),
        )
    }

    private suspend fun login(form: Form): Reply {
        val username = pyStrip(form.value("username") ?: "")

        fun refused(status: HttpStatusCode, problem: String) = html(
            status,
            render(
                files.templates,
                "index",
                mapOf("login_error" to problem, "login_username" to shownUsername(username), "mode" to backend.mode),
            ),
        )

        usernameProblem(username)?.let { return refused(HttpStatusCode.BadRequest, it) }
        val unavailable = { reason: String ->
            messagePage(HttpStatusCode.BadGateway, "Login unavailable", "The Authentication Cloud could not start it: $reason", "error")
        }
        val (user, approval) = try {
            // Asking first gives the person a precise answer; approve() below would refuse
            // both cases too (404 / 400), only less readably.
            val found = backend.client.findUser(username)
                ?: return refused(HttpStatusCode.NotFound, "Nobody is registered as $username. Register first.")
            if (found.authenticators.isEmpty()) {
                return refused(HttpStatusCode.Conflict, "$username has no phone registered any more. Register again.")
            }
            found to backend.client.approve(
                ApprovalRequest(
                    userId = found.userId,
                    channel = ApprovalChannel.PUSH,
                    prompt = true,
                    message = LOGIN_MESSAGE,
                    notificationMessage = LOGIN_NOTIFICATION,
                ),
            )
        } catch (e: AuthCloudException) {
            Log.warning("login failed to start: ${kindOf(e)}")
            return unavailable(describe(e))
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            Log.warning("login failed to start: ${kindOf(e)}")
            return unavailable("an unexpected ${kindOf(e)}")
        }
        // A push approval has neither; release them should a server send them anyway.
        approval.qrCode?.destroy()
        approval.appLinkUri?.destroy()

        val login = Operation(
            flow = Flow.LOGIN,
            username = username,
            userId = user.userId,
            transactionId = approval.transactionId,
            statusToken = approval.statusToken,
            createdNanos = System.nanoTime(),
        )
        Log.info("login started: user ${pyRepr(user.userId)}, transaction ${pyRepr(approval.transactionId)}")
        val phoneUrl = if (backend.emulator != null) "${backend.publicBaseUrl}/phone/${user.userId}" else ""
        val page = render(
            files.templates,
            "login",
            mapOf(
                "username" to username,
                "base_url" to backend.publicBaseUrl,
                "status_token" to approval.statusToken.reveal(),
                "poll_interval_ms" to POLL_INTERVAL_MS,
                "expires_in_ms" to backend.expiresInMs,
                "phone_url" to phoneUrl,
                "phone_class" to if (phoneUrl.isNotEmpty()) "" else "hidden",
            ),
        )
        return withSession(page, login)
    }

    /** `POST /verify` and `POST /login/verify`: the session's own operation, bound to its ids. */
    private suspend fun verifyOperation(call: ApplicationCall, flow: Flow, form: Form): Reply {
        val noun = flow.noun
        val statusToken = form.value("statusToken") ?: ""
        val operation = backend.sessions.get(parseCookies(call.request.headers[HttpHeaders.Cookie])[SESSION_COOKIE])
        if (operation == null || operation.flow != flow) {
            return reply(
                call, HttpStatusCode.Unauthorized, "No $noun in progress",
                "This browser has no $noun in progress (it may have expired). Start again.", "no-session",
            )
        }
        if (statusToken.isEmpty()) {
            return reply(call, HttpStatusCode.BadRequest, "Nothing to verify", "The request carried no status token.", "bad-request")
        }
        operation.verifiedUser?.let { user ->
            return reply(call, HttpStatusCode.Conflict, "Already done", "This $noun was already verified for user $user.", "replayed")
        }
        if (!MessageDigest.isEqual(statusToken.toByteArray(Charsets.UTF_8), operation.statusToken.reveal().toByteArray(Charsets.UTF_8))) {
            Log.warning("$noun verification refused: a status token from another operation")
            return foreign(call, flow)
        }
        val verified = try {
            // Bound to the ids this session got from enroll or approve: defence in depth over
            // the token comparison above, and the only check when a backend keeps no token.
            Secret(statusToken).use { token ->
                backend.client.verify(
                    token,
                    expectedUserId = operation.userId,
                    expectedTransactionId = operation.transactionId,
                )
            }
        } catch (e: AuthCloudException.NotVerified) {
            Log.warning("$noun verification refused: ${e.check.name}")
            if (e.check == VerificationCheck.USER_MISMATCH || e.check == VerificationCheck.TRANSACTION_MISMATCH) {
                return foreign(call, flow)
            }
            return reply(
                call, HttpStatusCode.Conflict, "Not confirmed",
                "The $noun has not been confirmed on the phone (or was declined).", "not-confirmed",
            )
        } catch (e: AuthCloudException) {
            Log.warning("$noun verification failed: ${kindOf(e)}")
            return reply(call, HttpStatusCode.BadGateway, "Verification unavailable", "The Authentication Cloud could not verify it: ${describe(e)}", "error")
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            Log.warning("$noun verification failed: ${kindOf(e)}")
            return reply(call, HttpStatusCode.BadGateway, "Verification unavailable", "The Authentication Cloud could not verify it: an unexpected ${kindOf(e)}", "error")
        }
        operation.verifiedUser = verified.userId
        // Here a real application links verified.userId to its own account record
        // (registration) or signs the browser in as that account (login).
        Log.info("$noun verified: user ${pyRepr(verified.userId)}")
        val username = verified.username?.takeIf { it.isNotEmpty() } ?: operation.username
        return reply(
            call, HttpStatusCode.OK, flow.doneTitle, flow.doneMessage(verified.userId, username), flow.doneState,
            mapOf("userId" to verified.userId, "username" to username),
        )
    }

    private fun foreign(call: ApplicationCall, flow: Flow) = reply(
        call, HttpStatusCode.Forbidden, "Not your ${flow.noun}",
        "That confirmation belongs to another ${flow.noun}, not to yours.", "foreign",
    )

    private fun staticFile(name: String): Reply {
        val file = File(files.static, name)
        if (name !in setOf("phone-confirmation.js", "style.css") || !file.isFile) {
            return messagePage(HttpStatusCode.NotFound, "Not found", "There is no such file.", "not-found")
        }
        return file(file, if (name.endsWith(".js")) JAVASCRIPT else CSS)
    }

    private fun file(file: File, type: ContentType): Reply {
        if (!file.isFile) return messagePage(HttpStatusCode.NotFound, "Not found", "There is no such file.", "not-found")
        return Reply(HttpStatusCode.OK, file.readBytes(), type)
    }
}

/** Why a (stripped) username is refused before anything is sent, or null. */
fun usernameProblem(username: String): String? = when {
    username.isEmpty() -> "Please enter a username."
    username.codePointCount(0, username.length) > MAX_USERNAME -> "A username has at most $MAX_USERNAME characters."
    !USERNAME_CHARS.matches(username) -> "A username may use only letters, digits and _ . @ -"
    else -> null
}

/** The username to show again in the form: not one too long to be one. */
private fun shownUsername(username: String): String =
    if (username.codePointCount(0, username.length) <= MAX_USERNAME) username else ""

/** Python's `str.strip()`: the whitespace of `str.isspace()` at both ends. */
fun pyStrip(text: String): String = text.trim { it in PY_WHITESPACE }

private val PY_WHITESPACE: Set<Char> =
    ("\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2028\u2029\u202f\u205f\u3000" +
        (0x2000..0x200a).map { it.toChar() }.joinToString("")).toSet()

/** The Location a Starlette RedirectResponse sends: the URL, percent-encoded but for its safe characters. */
private fun quoteUrl(url: String): String {
    val safe = ":/%#?=@[]!$&'()*+,;"
    val out = StringBuilder()
    for (b in url.toByteArray(Charsets.UTF_8)) {
        val c = (b.toInt() and 0xff).toChar()
        if (c.isLetterOrDigit() && c.code < 0x80 || c in "_.-~" || c in safe) out.append(c) else out.append("%%%02X".format(c.code))
    }
    return out.toString()
}
