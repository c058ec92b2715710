// The example's own data in SQLite (the xerial JDBC driver): accounts with argon2id password
// hashes, sessions, the operations a session waits for, and rate-limit counters. The schema
// is ../web-shared/schema.sql, shared with the Python backend, and so are the password
// hashes (PHC strings), so any backend process on one database file serves the same people.
package dev.authcloud.example.web

import org.bouncycastle.crypto.generators.Argon2BytesGenerator
import org.bouncycastle.crypto.params.Argon2Parameters
import java.io.File
import java.security.MessageDigest
import java.security.SecureRandom
import java.sql.Connection
import java.sql.DriverManager
import java.sql.ResultSet
import java.sql.SQLException
import java.util.Base64
import java.util.UUID

const val SESSION_SECONDS = 8 * 60 * 60
/** A verify claim older than this (its process died mid-verify) can be taken over. */
const val STALE_CLAIM_SECONDS = 60
/** No rate-limit window is longer (the attempts table forgets older rows). */
const val LONGEST_WINDOW_SECONDS = 24 * 60 * 60.0

private val random = SecureRandom()

/** Python's `secrets.token_urlsafe(n)`: n random bytes, URL-safe base64 without padding. */
fun tokenUrlsafe(bytes: Int): String =
    Base64.getUrlEncoder().withoutPadding().encodeToString(ByteArray(bytes).also(random::nextBytes))

class Account(val id: String, val username: String, val cloudUserId: String?, val authenticatorId: String?) {
    val hasPhone: Boolean get() = !cloudUserId.isNullOrEmpty() && !authenticatorId.isNullOrEmpty()
}

/** A session as stored: [id] is the SHA-256 of the cookie value, not the value. */
class Session(val id: String, val account: Account?, val csrfToken: String)

class Operation(
    val id: String,
    val flow: String,
    val accountId: String?,
    val cloudUserId: String?,
    val transactionId: String?,
    val statusToken: String?,
    val number: Int?,
    val knownAuthenticators: String?,
    val state: String,
    val expiresAt: Long,
)

class UsernameTakenException : Exception("username taken")

fun sessionKey(cookieValue: String): String =
    MessageDigest.getInstance("SHA-256").digest(cookieValue.toByteArray(Charsets.UTF_8)).joinToString("") { "%02x".format(it) }

/**
 * argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane), as the Python backend's
 * argon2-cffi, written and read as PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
 */
object Passwords {
    private const val MEMORY_KIB = 19 * 1024
    private const val ITERATIONS = 2
    private const val PARALLELISM = 1
    private val B64 = Base64.getEncoder().withoutPadding()
    private val COST = Regex("""m=(\d+),t=(\d+),p=(\d+)""")

    /** Checked when a username is unknown, so that a sign-in takes as long either way. */
    private val dummyHash = hash(tokenUrlsafe(16))

    private fun derive(password: String, salt: ByteArray, memoryKib: Int, iterations: Int, parallelism: Int, length: Int): ByteArray {
        val parameters = Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withMemoryAsKB(memoryKib)
            .withIterations(iterations)
            .withParallelism(parallelism)
            .withSalt(salt)
            .build()
        val out = ByteArray(length)
        Argon2BytesGenerator().apply { init(parameters) }.generateBytes(password.toByteArray(Charsets.UTF_8), out)
        return out
    }

    fun hash(password: String): String {
        val salt = ByteArray(16).also(random::nextBytes)
        val hash = derive(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, 32)
        return "\$argon2id\$v=19\$m=$MEMORY_KIB,t=$ITERATIONS,p=$PARALLELISM\$${B64.encodeToString(salt)}\$${B64.encodeToString(hash)}"
    }

    /** Whether [password] matches [stored]; a null [stored] costs the same and is false. */
    fun matches(stored: String?, password: String): Boolean {
        // "$argon2id$v=19$m=…,t=…,p=…$salt$hash", base64 without padding.
        val fields = (stored ?: dummyHash).split('$')
        if (fields.size != 6 || fields[0] != "" || fields[1] != "argon2id" || fields[2] != "v=19") return false
        val (memory, iterations, parallelism) = COST.matchEntire(fields[3])?.destructured ?: return false
        val decoder = Base64.getDecoder()
        val (salt, expected) = try {
            decoder.decode(fields[4]) to decoder.decode(fields[5])
        } catch (e: IllegalArgumentException) {
            return false
        }
        val actual = derive(password, salt, memory.toInt(), iterations.toInt(), parallelism.toInt(), expected.size)
        return MessageDigest.isEqual(actual, expected) && stored != null
    }
}

private const val OPERATION_COLUMNS =
    "SELECT id, flow, account_id, cloud_user_id, transaction_id, status_token, number, known_authenticators, state, " +
        "expires_at FROM operations"

private fun ResultSet.operation() = Operation(
    getString(1), getString(2), getString(3), getString(4), getString(5), getString(6),
    getInt(7).takeUnless { wasNull() }, getString(8), getString(9), getLong(10),
)

/** One short connection per call (as the Python backend does); SQLite serialises writers. */
class Store(val path: File, schema: File) {
    init {
        connect().use { db ->
            db.createStatement().use { it.execute("PRAGMA journal_mode = WAL") }
            // The driver runs one statement per call: drop the comments, then split the script
            // at its semicolons (the schema has no `--` or `;` inside a literal).
            val script = schema.readLines().joinToString("\n") { it.substringBefore("--") }
            for (statement in script.split(';')) {
                if (statement.isNotBlank()) db.createStatement().use { it.execute(statement) }
            }
        }
    }

    private fun connect(): Connection {
        val db = DriverManager.getConnection("jdbc:sqlite:${path.path}")
        db.createStatement().use {
            it.execute("PRAGMA busy_timeout = 10000")
            it.execute("PRAGMA foreign_keys = ON")
        }
        return db
    }

    /** Runs [body] in one `BEGIN IMMEDIATE` transaction: committed on return, rolled back on a throw. */
    private fun <T> transaction(body: (Connection) -> T): T = connect().use { db ->
        db.createStatement().use { it.execute("BEGIN IMMEDIATE") }
        try {
            body(db).also { db.createStatement().use { it.execute("COMMIT") } }
        } catch (e: Throwable) {
            runCatching { db.createStatement().use { it.execute("ROLLBACK") } }
            throw e
        }
    }

    private fun update(sql: String, vararg values: Any?): Int = connect().use { db ->
        db.prepareStatement(sql).use { statement ->
            values.forEachIndexed { i, value -> statement.setObject(i + 1, value) }
            statement.executeUpdate()
        }
    }

    private fun <T> query(sql: String, vararg values: Any?, read: (ResultSet) -> T): T? = connect().use { db ->
        db.prepareStatement(sql).use { statement ->
            values.forEachIndexed { i, value -> statement.setObject(i + 1, value) }
            statement.executeQuery().use { rows -> if (rows.next()) read(rows) else null }
        }
    }

    private fun now() = System.currentTimeMillis() / 1000

    // --- accounts ----------------------------------------------------------------------------

    fun createAccount(username: String, passwordHash: String): Account {
        val account = Account("acct-" + UUID.randomUUID().toString().replace("-", ""), username, null, null)
        try {
            update(
                "INSERT INTO accounts (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)",
                account.id, username, passwordHash, now(),
            )
        } catch (e: SQLException) {
            if (e.message?.contains("UNIQUE") == true) throw UsernameTakenException()
            throw e
        }
        return account
    }

    /** The account and its password hash, or (null, null). */
    fun accountForSignIn(username: String): Pair<Account?, String?> = query(
        "SELECT id, username, cloud_user_id, authenticator_id, password_hash FROM accounts WHERE username = ?", username,
    ) { Account(it.getString(1), it.getString(2), it.getString(3), it.getString(4)) to it.getString(5) } ?: (null to null)

    fun accountByUsername(username: String): Account? = accountForSignIn(username).first

    fun accountName(accountId: String): String =
        query("SELECT username FROM accounts WHERE id = ?", accountId) { it.getString(1) } ?: ""

    fun linkPhone(accountId: String, cloudUserId: String, authenticatorId: String) {
        update("UPDATE accounts SET cloud_user_id = ?, authenticator_id = ? WHERE id = ?", cloudUserId, authenticatorId, accountId)
    }

    /**
     * Forgets the account's phone (after "Lost your phone?" removed it from the cloud); the
     * cloud userId stays, so the next phone is enrolled for the same cloud user. False if
     * another phone is linked by now.
     */
    fun unlinkPhone(accountId: String, authenticatorId: String): Boolean =
        update("UPDATE accounts SET authenticator_id = NULL WHERE id = ? AND authenticator_id = ?", accountId, authenticatorId) == 1

    // --- sessions ----------------------------------------------------------------------------

    fun session(cookieValue: String?): Session? {
        if (cookieValue.isNullOrEmpty()) return null
        return query(
            "SELECT s.id, s.csrf_token, a.id, a.username, a.cloud_user_id, a.authenticator_id " +
                "FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id WHERE s.id = ? AND s.expires_at > ?",
            sessionKey(cookieValue), now(),
        ) {
            val account = it.getString(3)?.let { id -> Account(id, it.getString(4), it.getString(5), it.getString(6)) }
            Session(it.getString(1), account, it.getString(2))
        }
    }

    /**
     * A fresh session (new cookie value, new CSRF token); the one it replaces is deleted, so a
     * session id known before signing in is worthless after it. Returns the cookie value.
     */
    fun newSession(accountId: String?, replacing: Session? = null): Pair<String, Session> {
        val cookieValue = tokenUrlsafe(32)
        val session = Session(sessionKey(cookieValue), null, tokenUrlsafe(32))
        val now = now()
        transaction { db ->
            db.prepareStatement("DELETE FROM sessions WHERE expires_at <= ?").use { it.setLong(1, now); it.executeUpdate() }
            if (replacing != null) {
                db.prepareStatement("DELETE FROM sessions WHERE id = ?").use { it.setString(1, replacing.id); it.executeUpdate() }
            }
            db.prepareStatement("INSERT INTO sessions (id, account_id, csrf_token, expires_at) VALUES (?, ?, ?, ?)").use {
                it.setString(1, session.id)
                it.setString(2, accountId)
                it.setString(3, session.csrfToken)
                it.setLong(4, now + SESSION_SECONDS)
                it.executeUpdate()
            }
        }
        return cookieValue to session
    }

    fun endSession(session: Session) {
        update("DELETE FROM sessions WHERE id = ?", session.id)
    }

    /**
     * Signs the account out everywhere but in [keep] (after its phone was lost: whoever has
     * the phone may have logged in with it). Returns how many sessions ended.
     */
    fun endOtherSessions(accountId: String, keep: Session): Int =
        update("DELETE FROM sessions WHERE account_id = ? AND id != ?", accountId, keep.id)

    /** Notes that this session used the account's phone (logged in with it, or linked it). */
    fun provePhone(sessionId: String) {
        update("INSERT OR REPLACE INTO phone_proofs (session_id, proved_at) VALUES (?, ?)", sessionId, now())
    }

    fun provedPhone(session: Session): Boolean =
        query("SELECT 1 FROM phone_proofs WHERE session_id = ?", session.id) { true } ?: false

    // --- operations --------------------------------------------------------------------------

    fun addOperation(
        session: Session,
        flow: String,
        accountId: String?,
        cloudUserId: String?,
        transactionId: String?,
        statusToken: String?,
        number: Int?,
        expiresInSeconds: Double,
        knownAuthenticators: String? = null,
    ): String {
        val id = tokenUrlsafe(24)
        val now = System.currentTimeMillis() / 1000.0
        update("DELETE FROM operations WHERE expires_at <= ?", now.toLong() - 3600)
        update(
            "INSERT INTO operations (id, session_id, flow, account_id, cloud_user_id, transaction_id, status_token, " +
                "number, known_authenticators, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            id, session.id, flow, accountId, cloudUserId, transactionId, statusToken, number, knownAuthenticators,
            now.toLong(), (now + expiresInSeconds).toLong(),
        )
        return id
    }

    fun operation(session: Session, operationId: String): Operation? =
        query("$OPERATION_COLUMNS WHERE session_id = ? AND id = ?", session.id, operationId) { it.operation() }

    fun operationById(operationId: String): Operation? =
        query("$OPERATION_COLUMNS WHERE id = ?", operationId) { it.operation() }

    /**
     * Single flight: pending → verifying; false if another request (of any process) has it or
     * it is done. A claim older than [STALE_CLAIM_SECONDS] can be taken over.
     */
    fun claim(operationId: String): Boolean {
        val now = now()
        return update(
            "UPDATE operations SET state = 'verifying', claimed_at = ? WHERE id = ? AND " +
                "(state = 'pending' OR (state = 'verifying' AND claimed_at < ?))",
            now, operationId, now - STALE_CLAIM_SECONDS,
        ) == 1
    }

    fun release(operationId: String, done: Boolean) {
        update("UPDATE operations SET state = ? WHERE id = ?", if (done) "done" else "pending", operationId)
    }

    // --- rate limits -------------------------------------------------------------------------

    /**
     * Counts one attempt against every (bucket, limit), all or nothing: null when allowed, else
     * the seconds until the fullest bucket has room again.
     */
    fun take(limits: List<Pair<String, Int>>, windowSeconds: Double): Int? = transaction { db ->
        val now = System.currentTimeMillis() / 1000.0
        // Buckets have windows of their own (a minute, a quarter of an hour): only these
        // buckets' old attempts go, and anything older than the longest window.
        db.prepareStatement("DELETE FROM attempts WHERE at <= ?").use { it.setDouble(1, now - LONGEST_WINDOW_SECONDS); it.executeUpdate() }
        db.prepareStatement("DELETE FROM attempts WHERE bucket = ? AND at <= ?").use { statement ->
            for ((bucket, _) in limits) {
                statement.setString(1, bucket)
                statement.setDouble(2, now - windowSeconds)
                statement.executeUpdate()
            }
        }
        var wait = 0.0
        for ((bucket, limit) in limits) {
            db.prepareStatement("SELECT at FROM attempts WHERE bucket = ? ORDER BY at DESC LIMIT ?").use { statement ->
                statement.setString(1, bucket)
                statement.setInt(2, limit)
                val times = statement.executeQuery().use { rows -> generateSequence { if (rows.next()) rows.getDouble(1) else null }.toList() }
                if (times.size >= limit) wait = maxOf(wait, times.last() + windowSeconds - now)
            }
        }
        if (wait > 0) return@transaction maxOf(1, kotlin.math.ceil(wait).toInt())
        db.prepareStatement("INSERT INTO attempts (bucket, at) VALUES (?, ?)").use { statement ->
            for ((bucket, _) in limits) {
                statement.setString(1, bucket)
                statement.setDouble(2, now)
                statement.executeUpdate()
            }
        }
        null
    }
}
