// Text the web example produces: pages from the shared templates, JSON replies, log lines
// and error descriptions, each written the way ../web-python writes it.
package dev.authcloud.example.web

import dev.authcloud.AuthCloudException
import java.io.File
import java.time.LocalDateTime
import java.time.format.DateTimeFormatter

private val PLACEHOLDER = Regex("""\{\{(\w+)\}\}""")

/** Fills `{{key}}` placeholders of `templates/{name}.html` with HTML-escaped values (a missing key is ""). */
fun render(templates: File, name: String, values: Map<String, Any?> = emptyMap()): String {
    val text = File(templates, "$name.html").readText(Charsets.UTF_8)
    return PLACEHOLDER.replace(text) { match -> htmlEscape(values[match.groupValues[1]]?.toString() ?: "") }
}

/** Python's `html.escape(text, quote=True)`. */
fun htmlEscape(text: String): String {
    val out = StringBuilder(text.length + 16)
    for (c in text) {
        when (c) {
            '&' -> out.append("&amp;")
            '<' -> out.append("&lt;")
            '>' -> out.append("&gt;")
            '"' -> out.append("&quot;")
            '\'' -> out.append("&#x27;")
            else -> out.append(c)
        }
    }
    return out.toString()
}

/** A compact JSON object, as Starlette's JSONResponse writes it (`ensure_ascii=False`, no spaces). */
fun json(values: Map<String, Any?>): String =
    values.entries.joinToString(",", "{", "}") { (key, value) -> jsonString(key) + ":" + jsonValue(value) }

private fun jsonValue(value: Any?): String = when (value) {
    null -> "null"
    is Boolean, is Int, is Long -> value.toString()
    else -> jsonString(value.toString())
}

private fun jsonString(text: String): String {
    val out = StringBuilder(text.length + 2).append('"')
    for (c in text) {
        when (c) {
            '"' -> out.append("\\\"")
            '\\' -> out.append("\\\\")
            '\n' -> out.append("\\n")
            '\r' -> out.append("\\r")
            '\t' -> out.append("\\t")
            '\b' -> out.append("\\b")
            '\u000c' -> out.append("\\f")
            else -> if (c < ' ') out.append("\\u%04x".format(c.code)) else out.append(c)
        }
    }
    return out.append('"').toString()
}

/** Python's `repr()` of a str (`'alice'`), for log lines and error descriptions. */
fun pyRepr(text: String?): String {
    if (text == null) return "None"
    val quote = if (text.contains('\'') && !text.contains('"')) '"' else '\''
    val out = StringBuilder(text.length + 2).append(quote)
    var i = 0
    while (i < text.length) {
        val cp = text.codePointAt(i)
        i += Character.charCount(cp)
        when {
            cp == quote.code || cp == '\\'.code -> out.append('\\').appendCodePoint(cp)
            cp == '\t'.code -> out.append("\\t")
            cp == '\n'.code -> out.append("\\n")
            cp == '\r'.code -> out.append("\\r")
            isPrintable(cp) -> out.appendCodePoint(cp)
            cp < 0x100 -> out.append("\\x%02x".format(cp))
            cp < 0x10000 -> out.append("\\u%04x".format(cp))
            else -> out.append("\\U%08x".format(cp))
        }
    }
    return out.append(quote).toString()
}

/** Python's `str.isprintable()` for one code point. */
private fun isPrintable(cp: Int): Boolean {
    if (cp == ' '.code) return true
    return when (Character.getType(cp).toByte()) {
        Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
        Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR,
        -> false
        else -> true
    }
}

/**
 * An SDK error as a sentence, the text Python's `str(error)` shows (the SDK's `describe()`:
 * secret-free, like every message of the SDK's errors).
 */
fun describe(error: AuthCloudException): String = try {
    error.describe()
} catch (e: Exception) {
    kindOf(error)
}

/** The error's kind, as Python's `type(error).__name__` (`Network`). */
fun kindOf(error: Throwable): String = error::class.simpleName ?: error.javaClass.name

private val TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS")

/**
 * Log lines on stderr in the Python example's format (`2026-01-02 03:04:05,678 INFO
 * authcloud-example: …`). Callers pass ids and kinds only: never a token, key, link, cookie
 * or request body.
 */
object Log {
    private const val NAME = "authcloud-example"

    fun info(message: String) = line("INFO", message)

    fun warning(message: String) = line("WARNING", message)

    /** The web server's lines, as uvicorn writes them (`INFO:     Started server process [42]`). */
    fun server(message: String) = write("INFO:     $message")

    private fun line(level: String, message: String) =
        write("${LocalDateTime.now().format(TIMESTAMP)} $level $NAME: $message")

    @Synchronized
    private fun write(line: String) {
        System.err.println(line)
        System.err.flush()
    }
}
