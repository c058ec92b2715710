// The guide's registration and login flows with authcloud's AsyncClient on Ktor, the same
// app as ../web-python (routes, status codes, pages, JSON, cookies and log lines), including
// what that framework answers by itself: 404/405 as {"detail": …}, 307 for a trailing slash.
//
// GET  /                    sign up / sign in / log in with your phone; signed in: the account
// POST /signup              create an account (username + password, argon2id), signed in
// POST /signin              sign in with the password
// POST /signout             sign out
// POST /register            "Add your phone": enroll the signed-in account, then the QR page
// POST /verify              verify the phone (status + introspect), store userId + authenticatorId
// POST /login               a push to the account's own phone, with a two-digit number to match
// POST /login/api/v1/status the login page's status poll (answered here: see `loginStatus`)
// POST /login/verify        verify the login, then a new signed-in session
// POST /recovery-codes      issue the account's recovery codes and show them once
// GET  /lost-phone          "Lost your phone?": the form for one recovery code
// POST /recover             check the code; if right, remove the lost phone, then "Add your phone"
//
// Every POST must come from this site: a per-session CSRF token in every form plus a
// `Sec-Fetch-Site` / `Origin` check. Accounts, sessions, pending operations and rate limits
// live in SQLite (Store.kt). The backend holds the access key; nothing secret is logged.
package dev.authcloud.example.web

import dev.authcloud.ApprovalChannel
import dev.authcloud.ApprovalRequest
import dev.authcloud.AuthCloudException
import dev.authcloud.CodeCheck
import dev.authcloud.CodeVerdict
import dev.authcloud.Secret
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
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.withContext
import kotlinx.io.readByteArray
import java.io.File
import java.security.MessageDigest
import java.security.SecureRandom
import java.util.UUID

const val MAX_USERNAME = 64
private val USERNAME_CHARS = Regex("[A-Za-z0-9_.@-]+")
const val MIN_PASSWORD = 8
const val MAX_PASSWORD = 1024

/** The guide's 1.5 s, from the SDK. */
val POLL_INTERVAL_MS: ULong = WaitOptions().pollIntervalMs

/** Rate limits, per minute (the window), counted in the database for every process. */
private const val RATE_WINDOW_SECONDS = 60.0
private const val SIGN_INS_PER_USERNAME = 5
private const val SIGN_INS_PER_ADDRESS = 20
private const val SIGN_UPS_PER_ADDRESS = 30

/** Recovery codes typed, per account per quarter of an hour (the cloud has its own limit too). */
private const val RECOVERY_WINDOW_SECONDS = 15 * 60
private const val MAX_RECOVERY_CODE = 100

/**
 * A login answers no sooner than this, whether the username is known (a push was sent) or
 * not (nothing was): the answer's timing does not tell which.
 */
private const val LOGIN_ANSWER_FLOOR_MS = 1000L

private const val REGISTRATION = "registration"
private const val LOGIN = "login"
const val LOGIN_NOTIFICATION = "Approve your login to the authcloud web example"

/** The push's message: the phone shows the same number as the page (number matching). */
fun loginMessage(number: Int): String =
    "<html>Log in to the <b>authcloud web example</b>?<br>Check that the page shows <b>${"%02d".format(number)}</b>.</html>"

/** The most body bytes read from one request (the pages send a few hundred). */
private const val MAX_BODY_BYTES = 64 * 1024
private const val MAX_FORM_FIELDS = 20

private val HTML = ContentType.parse("text/html; charset=utf-8")
private val JSON = ContentType.parse("application/json")
private val JAVASCRIPT = ContentType.parse("text/javascript; charset=utf-8")
private val CSS = ContentType.parse("text/css; charset=utf-8")

private val random = SecureRandom()

/** A reply, made before anything is sent. */
private class Reply(
    val status: HttpStatusCode,
    val body: ByteArray = ByteArray(0),
    val contentType: ContentType? = null,
    val headers: List<Pair<String, String>> = emptyList(),
)

private val POST_ROUTES = setOf(
    "/signup", "/signin", "/signout", "/register", "/verify", "/login", "/login/api/v1/status", "/login/verify",
    "/recovery-codes", "/recover",
)

/** A body too large to read. */
private class TooLargeException : Exception("request body too large")

/** What every checked POST has: its session and its form. */
private class Checked(val session: Session, val form: Form)

class WebApp(private val backend: Backend) {
    private val files = backend.files
    private val store = backend.store

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
        path == "/" || path == "/lost-phone" -> HttpMethod.Get
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
            "/" -> index(call)
            "/signup" -> checked(call) { signup(call, it) }
            "/signin" -> checked(call) { signin(call, it) }
            "/signout" -> checked(call) { signout(it) }
            "/register" -> checked(call) { register(call, it) }
            "/verify" -> checked(call) { verifyOperation(call, REGISTRATION, it) }
            "/login" -> {
                val started = System.nanoTime()
                checked(call) { login(call, it, started) }
            }
            "/login/api/v1/status" -> loginStatus(call)
            "/login/verify" -> checked(call) { verifyOperation(call, LOGIN, it) }
            "/recovery-codes" -> checked(call) { recoveryCodes(call, it) }
            "/lost-phone" -> lostPhone(call)
            "/recover" -> checked(call) { recover(call, it) }
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

    private fun wantsJson(call: ApplicationCall) = (call.request.headers[HttpHeaders.Accept] ?: "").contains("application/json")

    /** The same outcome as JSON (for the page's script) or as a page (without JavaScript). */
    private fun reply(
        call: ApplicationCall,
        status: HttpStatusCode,
        title: String,
        message: String,
        state: String,
        extra: Map<String, Any?> = emptyMap(),
        headers: List<Pair<String, String>> = emptyList(),
    ): Reply {
        if (wantsJson(call)) {
            return Reply(status, json(mapOf("message" to message, "state" to state) + extra).toByteArray(Charsets.UTF_8), JSON, headers)
        }
        val page = render(files.templates, "message", mapOf("title" to title, "message" to message, "state" to state))
        return html(status, page, headers)
    }

    private fun isHttps(call: ApplicationCall) = call.request.local.scheme == "https"

    /** As Starlette's set_cookie writes it. */
    private fun sessionCookie(call: ApplicationCall, cookieValue: String): Pair<String, String> =
        HttpHeaders.SetCookie to ("$SESSION_COOKIE=$cookieValue; HttpOnly; Max-Age=$SESSION_SECONDS; Path=/; SameSite=lax" +
            (if (isHttps(call)) "; Secure" else ""))

    private fun cookieValue(call: ApplicationCall): String? = parseCookies(call.request.headers[HttpHeaders.Cookie])[SESSION_COOKIE]

    /** Behind a reverse proxy, use the address it reports (and only if you trust it). */
    private fun clientAddress(call: ApplicationCall): String = call.request.local.remoteAddress

    /**
     * A browser says where a request comes from: `Sec-Fetch-Site` (current browsers), else
     * `Origin`. Only this site's own pages pass; a program that sends neither (curl, tests)
     * passes this check but still needs the session's CSRF token.
     */
    private fun postedFromHere(call: ApplicationCall): Boolean {
        val headers = call.request.headers
        headers["Sec-Fetch-Site"]?.let { return it == "same-origin" || it == "none" }
        val origin = headers[HttpHeaders.Origin] ?: return true
        val host = headers[HttpHeaders.Host] ?: ""
        return origin == "http://$host" || origin == "https://$host"
    }

    /** The body, refused beyond [MAX_BODY_BYTES]. */
    private suspend fun readBody(call: ApplicationCall): ByteArray {
        val declared = call.request.headers[HttpHeaders.ContentLength]?.toLongOrNull()
        if (declared != null && declared > MAX_BODY_BYTES) throw TooLargeException()
        val body = call.receiveChannel().readRemaining(MAX_BODY_BYTES + 1L).readByteArray()
        if (body.size > MAX_BODY_BYTES) throw TooLargeException()
        return body
    }

    /** Every POST: from this site, with the session's CSRF token; then [handler]. */
    private suspend fun checked(call: ApplicationCall, handler: suspend (Checked) -> Reply): Reply {
        if (!postedFromHere(call)) {
            Log.warning("refused a cross-site ${call.request.httpMethod.value} ${call.request.local.uri.substringBefore('?')}")
            return reply(call, HttpStatusCode.Forbidden, "Refused", "This form was posted from another site.", "cross-site")
        }
        val body = try {
            readBody(call)
        } catch (e: TooLargeException) {
            return reply(call, HttpStatusCode.PayloadTooLarge, "Request too large", "The request is larger than this example accepts.", "bad-request")
        }
        // The url-encoded form the pages send; any other body, or more fields than any page
        // sends, is an empty form (and so fails the CSRF check).
        val contentType = call.request.headers[HttpHeaders.ContentType]
        val parsed = try {
            if (parseContentType(contentType).first == "application/x-www-form-urlencoded") parseForm(contentType, body) else Form.EMPTY
        } catch (e: FormException) {
            Form.EMPTY
        }
        // Counted as Python's parse_qsl counts them: one more than the separators.
        val fieldCount = body.count { it == '&'.code.toByte() } + 1
        val form = if (fieldCount > MAX_FORM_FIELDS) Form.EMPTY else parsed
        val session = store.session(cookieValue(call))
        val token = form.value("csrf") ?: ""
        if (session == null || !MessageDigest.isEqual(token.toByteArray(Charsets.UTF_8), session.csrfToken.toByteArray(Charsets.UTF_8))) {
            return reply(
                call, HttpStatusCode.Forbidden, "Session expired",
                "This page is out of date or your session expired. Go back and reload it.", "csrf",
            )
        }
        return handler(Checked(session, form))
    }

    private fun tooMany(call: ApplicationCall, waitSeconds: Int, what: String) = reply(
        call, HttpStatusCode.TooManyRequests, "Too many attempts", "Too many $what. Try again in $waitSeconds seconds.",
        "rate-limited", headers = listOf(HttpHeaders.RetryAfter to waitSeconds.toString()),
    )

    // --- pages -----------------------------------------------------------------------------

    /** Signed out: sign up, sign in, log in with your phone. Signed in: the account. */
    private fun frontPage(session: Session, status: HttpStatusCode = HttpStatusCode.OK, values: Map<String, Any?> = emptyMap()): Reply {
        val account = session.account
        val page = if (account == null) {
            render(files.templates, "index", mapOf("csrf" to session.csrfToken, "mode" to backend.mode) + values)
        } else {
            val phone = if (account.hasPhone) "Your phone is linked (authenticator ${account.authenticatorId})." else "No phone linked yet."
            render(
                files.templates, "account",
                mapOf(
                    "csrf" to session.csrfToken,
                    "username" to account.username,
                    "phone_state" to phone,
                    "phone_linked" to if (account.hasPhone) "yes" else "no",
                    "add_label" to if (account.hasPhone) "Add another phone" else "Add your phone",
                    "recovery_class" to if (account.hasPhone) "" else "hidden",
                    "mode" to backend.mode,
                ) + values,
            )
        }
        return html(status, page, listOf(HttpHeaders.CacheControl to "no-store"))
    }

    private fun index(call: ApplicationCall): Reply {
        store.session(cookieValue(call))?.let { return frontPage(it) }
        val (cookie, session) = store.newSession(null)
        val page = frontPage(session)
        return Reply(page.status, page.body, page.contentType, page.headers + sessionCookie(call, cookie))
    }

    private fun signedInRedirect(call: ApplicationCall, accountId: String, replacing: Session): Reply {
        val (cookie, _) = store.newSession(accountId, replacing)
        return Reply(HttpStatusCode.SeeOther, headers = listOf(HttpHeaders.Location to "/", sessionCookie(call, cookie)))
    }

    private suspend fun signup(call: ApplicationCall, checked: Checked): Reply {
        val username = pyStrip(checked.form.value("username") ?: "")
        val password = checked.form.value("password") ?: ""
        (usernameProblem(username) ?: passwordProblem(password))?.let {
            return frontPage(checked.session, HttpStatusCode.BadRequest, mapOf("signup_error" to it, "signup_username" to shownUsername(username)))
        }
        store.take(listOf("signup:address:${clientAddress(call)}" to SIGN_UPS_PER_ADDRESS), RATE_WINDOW_SECONDS)
            ?.let { return tooMany(call, it, "sign-ups") }
        val hash = withContext(Dispatchers.Default) { Passwords.hash(password) }
        val account = try {
            store.createAccount(username, hash)
        } catch (e: UsernameTakenException) {
            return frontPage(
                checked.session, HttpStatusCode.Conflict,
                mapOf("signup_error" to "That username is taken. Sign in, or pick another.", "signup_username" to username),
            )
        }
        Log.info("account created: ${pyRepr(account.id)}")
        return signedInRedirect(call, account.id, checked.session)
    }

    private suspend fun signin(call: ApplicationCall, checked: Checked): Reply {
        val username = pyStrip(checked.form.value("username") ?: "")
        val password = checked.form.value("password") ?: ""
        val wait = store.take(
            listOf("signin:user:${bucketName(username)}" to SIGN_INS_PER_USERNAME, "signin:address:${clientAddress(call)}" to SIGN_INS_PER_ADDRESS),
            RATE_WINDOW_SECONDS,
        )
        if (wait != null) return tooMany(call, wait, "sign-in attempts")
        val (account, hash) = store.accountForSignIn(username)
        // Hashed even for an unknown name or an overlong password: the same work either way.
        val cut = if (password.codePointCount(0, password.length) > MAX_PASSWORD) password.substring(0, password.offsetByCodePoints(0, MAX_PASSWORD)) else password
        val matches = withContext(Dispatchers.Default) { Passwords.matches(hash, cut) }
        if (account == null || !matches || password.codePointCount(0, password.length) > MAX_PASSWORD) {
            return frontPage(
                checked.session, HttpStatusCode.Unauthorized,
                mapOf("signin_error" to "Wrong username or password.", "signin_username" to shownUsername(username)),
            )
        }
        Log.info("signed in: ${pyRepr(account.id)}")
        return signedInRedirect(call, account.id, checked.session)
    }

    private fun signout(checked: Checked): Reply {
        store.endSession(checked.session)
        return Reply(
            HttpStatusCode.SeeOther,
            headers = listOf(
                HttpHeaders.Location to "/",
                HttpHeaders.SetCookie to "$SESSION_COOKIE=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=lax",
            ),
        )
    }

    private suspend fun register(call: ApplicationCall, checked: Checked): Reply {
        // The guide: link a phone only to an account that authenticated strongly first.
        val account = checked.session.account
            ?: return reply(call, HttpStatusCode.Unauthorized, "Sign in first", "Sign in to add a phone to your account.", "not-signed-in")
        return startRegistration(call, checked.session, account)
    }

    /** "Add your phone" for the signed-in [account]: enroll, then the QR code page. */
    private suspend fun startRegistration(call: ApplicationCall, session: Session, account: Account): Reply {
        var known = ""
        val enrolled = try {
            // The account's random id, never what the person typed: no personal data leaves.
            if (!account.cloudUserId.isNullOrEmpty()) {
                // The phones the user has now, to tell the new one after verify.
                known = backend.client.getUser(account.cloudUserId).authenticators.joinToString(" ") { it.authenticatorId }
                backend.client.enroll(userId = account.cloudUserId)
            } else {
                backend.client.enroll(username = account.id)
            }
        } catch (e: AuthCloudException) {
            Log.warning("enroll failed: ${kindOf(e)}")
            return reply(call, HttpStatusCode.BadGateway, "Registration unavailable", "The Authentication Cloud could not start it: ${describe(e)}", "error")
        }
        val enrollment = enrolled.enrollment
        val operationId = store.addOperation(
            session, REGISTRATION, account.id, enrolled.user.userId, enrollment.transactionId,
            enrollment.statusToken.reveal(), null, backend.expiresInMs / 1000.0 + 60, known,
        )
        Log.info("registration started: user ${pyRepr(enrolled.user.userId)}, transaction ${pyRepr(enrollment.transactionId)}")
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
                    "username" to account.username,
                    "csrf" to session.csrfToken,
                    "operation" to operationId,
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
            return html(HttpStatusCode.OK, page, listOf(HttpHeaders.CacheControl to "no-store"))
        } finally {
            qr.destroy()
            link.destroy()
        }
    }

    private suspend fun login(call: ApplicationCall, checked: Checked, startedNanos: Long): Reply {
        val username = pyStrip(checked.form.value("username") ?: "")
        usernameProblem(username)?.let {
            return frontPage(checked.session, HttpStatusCode.BadRequest, mapOf("login_error" to it, "login_username" to shownUsername(username)))
        }
        // Counted by the name typed, known or not, so the limit itself tells nothing.
        val wait = store.take(
            listOf(
                "push:user:${bucketName(username)}" to backend.pushLimits.perAccount,
                "push:address:${clientAddress(call)}" to backend.pushLimits.perAddress,
            ),
            RATE_WINDOW_SECONDS,
        )
        if (wait != null) return tooMany(call, wait, "login requests")
        val account = store.accountByUsername(username)
        val number = 10 + random.nextInt(90)
        var userId: String? = null
        var transactionId: String? = null
        var statusToken: String? = null
        if (account != null && account.hasPhone) {
            val approval = try {
                // The account's own phone, by its stored ids; never "the newest" of the user.
                backend.client.approve(
                    ApprovalRequest(
                        userId = account.cloudUserId,
                        authenticatorId = account.authenticatorId,
                        channel = ApprovalChannel.PUSH,
                        prompt = true,
                        message = loginMessage(number),
                        notificationMessage = LOGIN_NOTIFICATION,
                    ),
                )
            } catch (e: AuthCloudException) {
                Log.warning("login failed to start: ${kindOf(e)}")
                return reply(call, HttpStatusCode.BadGateway, "Login unavailable", "The Authentication Cloud could not start it: ${describe(e)}", "error")
            }
            userId = account.cloudUserId
            transactionId = approval.transactionId
            statusToken = approval.statusToken.reveal()
            Log.info("login started: user ${pyRepr(userId)}, transaction ${pyRepr(transactionId)}")
        }
        val operationId = store.addOperation(
            checked.session, LOGIN, if (userId != null) account?.id else null, userId, transactionId, statusToken, number,
            backend.expiresInMs / 1000.0,
        )
        // The simulated phone's page (embedded emulator only); a made-up one for unknown names.
        val phoneUrl = if (backend.emulator != null) "${backend.publicBaseUrl}/phone/${userId ?: UUID.randomUUID()}" else ""
        val page = render(
            files.templates,
            "login",
            mapOf(
                "username" to username,
                "csrf" to checked.session.csrfToken,
                "operation" to operationId,
                "number" to "%02d".format(number),
                "poll_interval_ms" to POLL_INTERVAL_MS,
                "expires_in_ms" to backend.expiresInMs,
                "phone_url" to phoneUrl,
                "phone_class" to if (phoneUrl.isNotEmpty()) "" else "hidden",
            ),
        )
        delay(maxOf(0L, LOGIN_ANSWER_FLOOR_MS - (System.nanoTime() - startedNanos) / 1_000_000))
        return html(HttpStatusCode.OK, page, listOf(HttpHeaders.CacheControl to "no-store"))
    }

    /**
     * The login page polls here (the status poller with this site as its base URL), not the
     * cloud: the status token stays on the server, and a login for an unknown username (nothing
     * sent) stays `pending` until it expires, exactly like one nobody approves. The handle is as
     * unguessable as a status token and, like one, enough to poll with (the poller sends no
     * cookies); verifying needs the session as well.
     */
    private suspend fun loginStatus(call: ApplicationCall): Reply {
        if (!postedFromHere(call)) return Reply(HttpStatusCode.Forbidden, json(mapOf("message" to "refused")).toByteArray(), JSON)
        val handle = try {
            val body = readBody(call).toString(Charsets.UTF_8)
            Regex(""""statusToken"\s*:\s*"([A-Za-z0-9_-]{1,100})"""").find(body)?.groupValues?.get(1) ?: ""
        } catch (e: TooLargeException) {
            ""
        }
        val operation = if (handle.isNotEmpty()) store.operationById(handle) else null
        if (operation == null || operation.flow != LOGIN) return statusReply("unknown")
        val token = operation.statusToken
        if (token == null) {
            cloudRoundTrip()
            return statusReply(if (System.currentTimeMillis() / 1000 < operation.expiresAt) "pending" else "failed")
        }
        return try {
            val answer = Secret(token).use { backend.client.status(it) }
            statusReply(answer.statusText)
        } catch (e: AuthCloudException) {
            Log.warning("login status failed: ${kindOf(e)}")
            Reply(HttpStatusCode.ServiceUnavailable, json(mapOf("message" to "status unavailable")).toByteArray(), JSON, listOf(HttpHeaders.RetryAfter to "2"))
        }
    }

    /**
     * One status call that cannot succeed, for a login nothing was sent for: its answers then
     * take as long as a real login's (which asks the cloud), so timing tells nothing.
     */
    private suspend fun cloudRoundTrip() {
        try {
            Secret(tokenUrlsafe(32)).use { backend.client.status(it) }
        } catch (e: AuthCloudException) {
            // Expected: the cloud does not know it.
        }
    }

    private fun statusReply(status: String) = Reply(HttpStatusCode.OK, json(mapOf("status" to status)).toByteArray(), JSON)

    /** `POST /verify` and `POST /login/verify`: the session's own operation, once. */
    private suspend fun verifyOperation(call: ApplicationCall, flow: String, checked: Checked): Reply {
        val noun = flow
        val session = checked.session
        val operation = store.operation(session, checked.form.value("operation") ?: "")
        if (operation == null || operation.flow != flow) {
            return reply(
                call, HttpStatusCode.Unauthorized, "No $noun in progress",
                "This browser has no $noun in progress (it may have expired). Start again.", "no-session",
            )
        }
        if (flow == REGISTRATION && (session.account == null || session.account.id != operation.accountId)) {
            return reply(call, HttpStatusCode.Unauthorized, "Sign in first", "Only the account that started it can link this phone.", "no-session")
        }
        if (!store.claim(operation.id)) {
            val state = if (store.operation(session, operation.id)?.state == "verifying") "in-progress" else "replayed"
            return reply(call, HttpStatusCode.Conflict, "Already done", "This $noun was already verified or is being verified.", state)
        }
        var done = false
        try {
            val statusToken = operation.statusToken
            if (statusToken == null) {
                // A login for an unknown username: nothing was sent, so nothing can be confirmed.
                cloudRoundTrip()
                return notConfirmed(call, noun)
            }
            val verified = try {
                // Bound to the ids this operation got from enroll or approve.
                Secret(statusToken).use { token ->
                    backend.client.verify(token, expectedUserId = operation.cloudUserId, expectedTransactionId = operation.transactionId)
                }
            } catch (e: AuthCloudException.NotVerified) {
                Log.warning("$noun verification refused: ${e.check.name}")
                return notConfirmed(call, noun)
            } catch (e: AuthCloudException) {
                Log.warning("$noun verification failed: ${kindOf(e)}")
                return reply(call, HttpStatusCode.BadGateway, "Verification unavailable", "The Authentication Cloud could not verify it: ${describe(e)}", "error")
            }
            val accountId = operation.accountId ?: return notConfirmed(call, noun)
            if (flow == REGISTRATION) {
                val user = try {
                    backend.client.getUser(verified.userId)
                } catch (e: AuthCloudException) {
                    Log.warning("registration verified, but the user could not be read: ${kindOf(e)}")
                    return reply(call, HttpStatusCode.BadGateway, "Verification unavailable", "The Authentication Cloud could not list the phone: ${describe(e)}", "error")
                }
                // The phone this enrollment added: the one id that was not there when it started.
                // None or several (another enrollment for the user in between): link nothing.
                val known = (operation.knownAuthenticators ?: "").split(' ').filter { it.isNotEmpty() }.toSet()
                val new = user.authenticators.map { it.authenticatorId }.filter { it !in known }
                if (new.size != 1) {
                    Log.warning("registration verified, but ${new.size} new authenticators: none linked")
                    return reply(
                        call, HttpStatusCode.Conflict, "Not linked",
                        "The phone could not be told apart from another one added at the same time. Start again.", "ambiguous",
                    )
                }
                store.linkPhone(accountId, verified.userId, new[0])
                // This session holds the phone now: it may create recovery codes.
                store.provePhone(session.id)
                done = true
                Log.info("registration verified: user ${pyRepr(verified.userId)}, authenticator ${pyRepr(new[0])}")
                return reply(
                    call, HttpStatusCode.OK, "Registered", "Your phone is linked to your account.", "registered",
                    mapOf("userId" to verified.userId, "authenticatorId" to new[0]),
                )
            }
            // A login: sign this browser in as the account, in a new session.
            done = true
            Log.info("login verified: user ${pyRepr(verified.userId)}")
            val name = store.accountName(accountId)
            val (cookie, signedIn) = store.newSession(accountId, session)
            store.provePhone(signedIn.id)
            return reply(
                call, HttpStatusCode.OK, "Logged in", "You are logged in as $name.", "logged-in", mapOf("username" to name),
                headers = listOf(sessionCookie(call, cookie)),
            )
        } finally {
            store.release(operation.id, done)
        }
    }

    private fun noPhone(call: ApplicationCall, message: String) =
        reply(call, HttpStatusCode.Conflict, "No phone linked", message, "no-phone")

    private fun notSignedInToRecover(call: ApplicationCall) = reply(
        call, HttpStatusCode.Unauthorized, "Sign in first",
        "Sign in with your password first; then you can replace a lost phone.", "not-signed-in",
    )

    private fun nothingToReplace(call: ApplicationCall) = noPhone(
        call, "This account has no phone linked: there is nothing to replace. Add your phone from your account page.",
    )

    /** "Lost your phone?": the form for one recovery code. */
    private fun lostPhonePage(session: Session, account: Account, status: HttpStatusCode = HttpStatusCode.OK, error: String = ""): Reply {
        val page = render(
            files.templates, "lost-phone",
            mapOf(
                "csrf" to session.csrfToken,
                "username" to account.username,
                "authenticator_id" to account.authenticatorId,
                "recover_error" to error,
                "mode" to backend.mode,
            ),
        )
        return html(status, page, listOf(HttpHeaders.CacheControl to "no-store"))
    }

    private suspend fun recoveryCodes(call: ApplicationCall, checked: Checked): Reply {
        val session = checked.session
        val account = session.account
            ?: return reply(call, HttpStatusCode.Unauthorized, "Sign in first", "Sign in to create recovery codes.", "not-signed-in")
        if (!account.hasPhone) return noPhone(call, "Add your phone first: recovery codes are for replacing it when it is lost.")
        if (!store.provedPhone(session)) {
            // The codes stand in for the phone: a password alone must not mint them.
            return reply(
                call, HttpStatusCode.Forbidden, "Use your phone first",
                "Recovery codes stand in for your phone, so only a session that used the phone can create them: " +
                    "sign out, log in with your phone, then create them.",
                "phone-needed",
            )
        }
        val issued = try {
            // A new set replaces the old one in the cloud. Shown once, below; never stored here.
            backend.client.requestRecoveryCodes(userId = account.cloudUserId)
        } catch (e: AuthCloudException) {
            Log.warning("recovery codes failed: ${kindOf(e)}")
            return reply(call, HttpStatusCode.BadGateway, "Recovery codes unavailable", "The Authentication Cloud could not issue them: ${describe(e)}", "error")
        }
        try {
            Log.info("recovery codes issued: user ${pyRepr(account.cloudUserId)}, ${issued.codes.size} codes")
            val page = render(
                files.templates, "recovery-codes",
                mapOf(
                    "username" to account.username,
                    "count" to issued.codes.size,
                    "codes" to issued.codes.joinToString("\n") { it.reveal() },
                ),
            )
            return html(HttpStatusCode.OK, page, listOf(HttpHeaders.CacheControl to "no-store"))
        } finally {
            issued.codes.forEach { it.destroy() }
        }
    }

    private fun lostPhone(call: ApplicationCall): Reply {
        val session = store.session(cookieValue(call))
        val account = session?.account ?: return notSignedInToRecover(call)
        if (!account.hasPhone) return nothingToReplace(call)
        return lostPhonePage(session, account)
    }

    /**
     * A recovery code from a signed-in account (the password is the first factor): if it is
     * right, the lost phone is removed from the cloud and the account, every other session of
     * the account ends, and the page to add the new phone follows.
     */
    private suspend fun recover(call: ApplicationCall, checked: Checked): Reply {
        val session = checked.session
        val account = session.account ?: return notSignedInToRecover(call)
        if (!account.hasPhone) return nothingToReplace(call)
        val cloudUserId = account.cloudUserId!!
        val lost = account.authenticatorId!!
        // Every code typed counts, right or wrong, before anything is sent.
        store.take(listOf("recovery:account:${account.id}" to backend.recoveryAttemptsPerAccount), RECOVERY_WINDOW_SECONDS.toDouble())
            ?.let { return tooMany(call, it, "recovery codes") }
        // Spaces typed between groups are no part of it.
        val code = (checked.form.value("code") ?: "").filter { it !in PY_WHITESPACE }
        if (code.isEmpty() || code.codePointCount(0, code.length) > MAX_RECOVERY_CODE) {
            return lostPhonePage(session, account, HttpStatusCode.BadRequest, "Please enter one of your recovery codes.")
        }
        val verdict = try {
            Secret(code).use { backend.client.verifyCode(cloudUserId, CodeCheck.Recovery(it)) }
        } catch (e: AuthCloudException.InvalidInput) {
            return lostPhonePage(session, account, HttpStatusCode.BadRequest, "A recovery code is 16 letters and digits.")
        } catch (e: AuthCloudException.RateLimited) {
            Log.warning("recovery code not checked: the cloud's limit")
            val retryAfterMs = e.retryAfterMs?.toLong()
            return tooMany(call, if (retryAfterMs != null) maxOf(1L, (retryAfterMs + 999) / 1000).toInt() else RECOVERY_WINDOW_SECONDS, "recovery codes")
        } catch (e: AuthCloudException) {
            Log.warning("recovery code check failed: ${kindOf(e)}")
            return reply(call, HttpStatusCode.BadGateway, "Check unavailable", "The Authentication Cloud could not check the code: ${describe(e)}", "error")
        }
        if (verdict != CodeVerdict.CORRECT) {
            Log.warning("recovery code refused: user ${pyRepr(cloudUserId)}")
            return lostPhonePage(
                session, account, HttpStatusCode.Unauthorized,
                "That is not one of your recovery codes, or it was used already. Nothing was changed.",
            )
        }
        Log.info("recovery code accepted: user ${pyRepr(cloudUserId)}")
        try {
            // The lost phone can approve nothing any more (NOT_FOUND: it was gone already).
            backend.client.deleteAuthenticator(lost)
        } catch (e: AuthCloudException) {
            Log.warning("lost phone not removed: ${kindOf(e)}")
            return reply(
                call, HttpStatusCode.BadGateway, "Phone not removed",
                "Your code was right (and is now used up), but the Authentication Cloud could not remove the lost phone: " +
                    "${describe(e)} Try again with another code.",
                "error",
            )
        }
        store.unlinkPhone(account.id, lost)
        // Whoever has the lost phone may have logged in with it: signed out everywhere else.
        val ended = store.endOtherSessions(account.id, session)
        Log.info("lost phone removed: user ${pyRepr(cloudUserId)}, authenticator ${pyRepr(lost)}, $ended other sessions ended")
        // Straight on to "Add your phone" for the new one (the same cloud user).
        return startRegistration(call, session, Account(account.id, account.username, cloudUserId, null))
    }

    private fun notConfirmed(call: ApplicationCall, noun: String) = reply(
        call, HttpStatusCode.Conflict, "Not confirmed", "The $noun has not been confirmed on the phone (or was declined).", "not-confirmed",
    )

    private fun staticFile(name: String): Reply {
        val file = File(files.static, name)
        if (name !in setOf("phone-confirmation.js", "style.css") || !file.isFile) {
            return reply404()
        }
        return file(file, if (name.endsWith(".js")) JAVASCRIPT else CSS)
    }

    private fun reply404(): Reply = html(
        HttpStatusCode.NotFound,
        render(files.templates, "message", mapOf("title" to "Not found", "message" to "There is no such file.", "state" to "not-found")),
    )

    private fun file(file: File, type: ContentType): Reply {
        if (!file.isFile) return reply404()
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

/** Why a new password is refused, or null. */
fun passwordProblem(password: String): String? {
    val length = password.codePointCount(0, password.length)
    return when {
        length < MIN_PASSWORD -> "A password has at least $MIN_PASSWORD characters."
        length > MAX_PASSWORD -> "A password has at most $MAX_PASSWORD characters."
        else -> null
    }
}

/** The username to show again in a form: not one too long to be one. */
private fun shownUsername(username: String): String =
    if (username.codePointCount(0, username.length) <= MAX_USERNAME) username else ""

/** A rate-limit bucket's name for a typed username (case-insensitive, bounded). */
private fun bucketName(username: String): String = username.lowercase().take(300)
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
