// Reading requests the way the Python example's framework (Starlette) reads them, so that
// both backends see the same username, token and cookie for the same bytes: lenient
// percent-decoding, form bodies (url-encoded or multipart, anything else is an empty form)
// and the Cookie header.
package dev.authcloud.example.web

import java.io.ByteArrayOutputStream
import java.nio.ByteBuffer
import java.nio.charset.CharacterCodingException
import java.nio.charset.Charset
import java.nio.charset.CodingErrorAction

/** Largest form field, and most fields, that Starlette accepts. */
const val MAX_FIELD_BYTES = 1024 * 1024
const val MAX_FIELDS = 1000

/** A form Starlette would refuse with 400 `{"detail": message}`. */
class FormException(message: String) : Exception(message)

/** The fields of a form body, in order (`value(name)` is the last one, as in Starlette). */
class Form(private val fields: List<Pair<String, String>>) {
    fun value(name: String): String? = fields.lastOrNull { it.first == name }?.second

    val size: Int get() = fields.size

    companion object {
        val EMPTY = Form(emptyList())
    }
}

/** `text/HTML; Charset="utf-8"` → ("text/html", {charset: utf-8}). */
fun parseContentType(header: String?): Pair<String, Map<String, String>> {
    if (header == null) return "" to emptyMap()
    val parts = header.split(';')
    val params = mutableMapOf<String, String>()
    for (part in parts.drop(1)) {
        val eq = part.indexOf('=')
        if (eq < 0) continue
        var value = part.substring(eq + 1).trim()
        if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.substring(1, value.length - 1)
        params[part.substring(0, eq).trim().lowercase()] = value
    }
    return parts[0].trim().lowercase() to params
}

/** The form in a body: url-encoded, multipart, or (any other content type) empty. */
fun parseForm(contentType: String?, body: ByteArray): Form {
    val (type, params) = parseContentType(contentType)
    return when (type) {
        "application/x-www-form-urlencoded" -> parseUrlEncoded(body)
        "multipart/form-data" -> parseMultipart(body, params)
        else -> Form.EMPTY
    }
}

private fun parseUrlEncoded(body: ByteArray): Form {
    val fields = mutableListOf<Pair<String, String>>()
    var start = 0
    while (start <= body.size) {
        var end = body.indexOfFrom('&'.code.toByte(), start)
        if (end < 0) end = body.size
        if (end > start) {
            if (end - start > MAX_FIELD_BYTES) throw FormException("Field exceeded maximum size of 1024KB.")
            // Starlette decodes the raw bytes as latin-1, then unquote_plus (UTF-8, replace).
            val chunk = String(body, start, end - start, Charsets.ISO_8859_1)
            val eq = chunk.indexOf('=')
            val name = if (eq < 0) chunk else chunk.substring(0, eq)
            val value = if (eq < 0) "" else chunk.substring(eq + 1)
            fields += unquote(name, plusIsSpace = true) to unquote(value, plusIsSpace = true)
            if (fields.size > MAX_FIELDS) throw FormException("Too many fields. Maximum number of fields is $MAX_FIELDS.")
        }
        start = end + 1
    }
    return Form(fields)
}

private fun ByteArray.indexOfFrom(byte: Byte, from: Int): Int {
    for (i in from until size) if (this[i] == byte) return i
    return -1
}

/**
 * Python's `urllib.parse.unquote` (and `unquote_plus`): `%XX` escapes in ASCII runs become
 * bytes decoded as UTF-8 with U+FFFD for bad sequences; invalid escapes stay as they are.
 */
fun unquote(text: String, plusIsSpace: Boolean = false): String {
    if (text.indexOf('%') < 0 && !(plusIsSpace && text.indexOf('+') >= 0)) return text
    val out = StringBuilder(text.length)
    val bytes = ByteArrayOutputStream()
    fun flush() {
        if (bytes.size() > 0) {
            out.append(String(bytes.toByteArray(), Charsets.UTF_8))
            bytes.reset()
        }
    }
    var i = 0
    while (i < text.length) {
        val c = text[i]
        when {
            c == '%' && i + 2 < text.length && isHex(text[i + 1]) && isHex(text[i + 2]) -> {
                bytes.write(text.substring(i + 1, i + 3).toInt(16))
                i += 3
                continue
            }
            c == '+' && plusIsSpace -> bytes.write(' '.code)
            c.code < 0x80 -> bytes.write(c.code)
            else -> {
                flush()
                out.append(c)
            }
        }
        i++
    }
    flush()
    return out.toString()
}

private fun isHex(c: Char) = c in '0'..'9' || c in 'a'..'f' || c in 'A'..'F'

/**
 * A tolerant multipart/form-data reader: every part closed by a delimiter counts, a part
 * cut off by the end of the body does not (as python-multipart does).
 */
private fun parseMultipart(body: ByteArray, params: Map<String, String>): Form {
    val boundary = params["boundary"] ?: throw FormException("Missing boundary in multipart.")
    val charset = try {
        Charset.forName(params["charset"] ?: "utf-8")
    } catch (_: Exception) {
        Charsets.ISO_8859_1
    }
    val delimiter = "--$boundary".toByteArray(Charsets.ISO_8859_1)
    val nextDelimiter = "\r\n".toByteArray(Charsets.ISO_8859_1) + delimiter
    val fields = mutableListOf<Pair<String, String>>()
    var at = find(body, delimiter, 0)
    while (at >= 0) {
        val afterDelimiter = at + delimiter.size
        if (startsWith(body, afterDelimiter, "--")) break // the closing delimiter
        val partStart = skipLine(body, afterDelimiter)
        val partEnd = find(body, nextDelimiter, partStart)
        if (partEnd < 0) break // cut off: python-multipart drops it too
        val part = body.copyOfRange(partStart, partEnd)
        val blank = if (startsWith(part, 0, "\r\n")) 0 else find(part, "\r\n\r\n".toByteArray(Charsets.ISO_8859_1), 0)
        if (blank >= 0) {
            val headers = String(part, 0, blank, Charsets.ISO_8859_1)
            val data = part.copyOfRange(if (blank == 0) 2 else blank + 4, part.size)
            val name = dispositionName(headers, charset)
            if (name != null) {
                if (data.size > MAX_FIELD_BYTES) throw FormException("Part exceeded maximum size of 1024KB.")
                fields += name to safeDecode(data, charset)
                if (fields.size > MAX_FIELDS) throw FormException("Too many fields. Maximum number of fields is $MAX_FIELDS.")
            }
        }
        at = partEnd + 2
    }
    return Form(fields)
}

private fun startsWith(bytes: ByteArray, at: Int, prefix: String): Boolean =
    at + prefix.length <= bytes.size && prefix.indices.all { bytes[at + it] == prefix[it].code.toByte() }

private fun skipLine(body: ByteArray, from: Int): Int {
    var i = from
    while (i < body.size && body[i] != '\n'.code.toByte()) i++
    return minOf(i + 1, body.size)
}

private fun dispositionName(headers: String, charset: Charset): String? {
    val line = headers.split("\r\n").firstOrNull { it.lowercase().startsWith("content-disposition:") } ?: return null
    val (_, params) = parseContentType(line.substringAfter(':'))
    val name = params["name"] ?: return null
    return safeDecode(name.toByteArray(Charsets.ISO_8859_1), charset)
}

/** Starlette's `_user_safe_decode`: the charset if the bytes are valid in it, else latin-1. */
private fun safeDecode(bytes: ByteArray, charset: Charset): String = try {
    charset.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString()
} catch (_: CharacterCodingException) {
    String(bytes, Charsets.ISO_8859_1)
}

private fun find(haystack: ByteArray, needle: ByteArray, from: Int): Int {
    var i = maxOf(from, 0)
    outer@ while (i + needle.size <= haystack.size) {
        for (j in needle.indices) if (haystack[i + j] != needle[j]) {
            i++
            continue@outer
        }
        return i
    }
    return -1
}

/** Starlette's `cookie_parser`: `a=1; b="2"` → {a: 1, b: 2}; the last of a name wins. */
fun parseCookies(header: String?): Map<String, String> {
    if (header == null) return emptyMap()
    val cookies = mutableMapOf<String, String>()
    for (chunk in header.split(';')) {
        val eq = chunk.indexOf('=')
        val key = (if (eq < 0) "" else chunk.substring(0, eq)).trim()
        val value = (if (eq < 0) chunk else chunk.substring(eq + 1)).trim()
        if (key.isNotEmpty() || value.isNotEmpty()) cookies[key] = unquoteCookie(value)
    }
    return cookies
}

private fun unquoteCookie(value: String): String {
    if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value
    val inner = value.substring(1, value.length - 1)
    val out = StringBuilder(inner.length)
    var i = 0
    while (i < inner.length) {
        val c = inner[i]
        if (c == '\\' && i + 3 < inner.length && inner.substring(i + 1, i + 4).all { it in '0'..'7' }) {
            out.append(inner.substring(i + 1, i + 4).toInt(8).toChar())
            i += 4
        } else if (c == '\\' && i + 1 < inner.length) {
            out.append(inner[i + 1])
            i += 2
        } else {
            out.append(c)
            i++
        }
    }
    return out.toString()
}
