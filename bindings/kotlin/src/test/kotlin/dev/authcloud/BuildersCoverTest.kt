package dev.authcloud

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.lang.reflect.Modifier

/**
 * The Java builders (JavaInterop.kt) are written by hand beside records that uniffi
 * generates. A field added to a record must get its builder setter too: this test reads
 * the generated classes' fields and fails, naming the field, when a builder lacks it.
 *
 * A field `fooMs` is set by `foo(Duration)`; any other field `bar` by `bar(…)`.
 */
class BuildersCoverTest {
    private fun fieldsOf(record: Class<*>): List<String> =
        record.declaredFields.filter { !Modifier.isStatic(it.modifiers) && !it.isSynthetic }.map { it.name }

    private fun setterFor(field: String): String = field.removeSuffix("Ms")

    private fun assertCovers(record: Class<*>, builder: Class<*>) {
        val fields = fieldsOf(record)
        assertTrue(fields.isNotEmpty(), "no fields read from ${record.simpleName}")
        val setters = builder.methods.filter { it.returnType == builder && it.parameterCount == 1 }.map { it.name }.toSet()
        val missing = fields.filter { setterFor(it) !in setters }
        assertEquals(emptyList<String>(), missing, "${builder.simpleName} has no setter for these ${record.simpleName} fields")
    }

    @Test
    fun `every ClientConfig field has its builder setter`() = assertCovers(ClientConfig::class.java, ClientConfigBuilder::class.java)

    @Test
    fun `every WaitOptions field has its builder setter`() = assertCovers(WaitOptions::class.java, WaitOptionsBuilder::class.java)

    @Test
    fun `every ApprovalRequest field has its builder setter`() =
        assertCovers(ApprovalRequest::class.java, ApprovalRequestBuilder::class.java)

    @Test
    fun `every LogQuery field has its builder setter`() {
        // `timespanSeconds` is set by `timespan(Duration)`.
        val fields = fieldsOf(LogQuery::class.java).map { if (it == "timespanSeconds") "timespan" else it }
        val setters = LogQueryBuilder::class.java.methods.map { it.name }.toSet()
        assertEquals(emptyList<String>(), fields.filter { it !in setters })
    }

    @Test
    fun `every EmulatorOptions field has its builder setter`() {
        // `iatInSeconds` is set by `iatInSeconds(Boolean)`, `autoApproveAfterMs` by `autoApproveAfter`.
        assertCovers(EmulatorOptions::class.java, EmulatorOptionsBuilder::class.java)
    }

    @Test
    fun `the check itself notices a missing setter`() {
        // A record with a field no builder method sets: the same comparison must report it.
        data class Widened(var pollIntervalMs: Long = 0, var somethingNew: Boolean = false)
        val setters = WaitOptionsBuilder::class.java.methods.map { it.name }.toSet()
        val missing = fieldsOf(Widened::class.java).filter { setterFor(it) !in setters }
        assertEquals(listOf("somethingNew"), missing)
    }
}
