package dev.authcloud

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/**
 * The exception classes are exactly core's error kinds (and `internal`), as the library
 * itself lists them: a kind added in Rust without its own exception fails here.
 */
class ErrorKindsTest {
    @Test
    fun `every error kind has its own exception class and nothing else does`() {
        val base = AuthCloudException::class.java
        val classes = base.declaredClasses.filter { base.isAssignableFrom(it) && it != base }.map { it.simpleName }
        val asKinds = classes.map { name -> name.replace(Regex("(?<!^)(?=[A-Z])"), "_").lowercase() }.sorted()
        assertEquals(errorKinds().sorted(), asKinds)
    }

    @Suppress("DEPRECATION")
    @Test
    fun `the old observer names still compile for one release`() {
        // Compiling is most of the test: the old type, builder and Java adapter still exist.
        @Suppress("UNUSED_VARIABLE")
        val typed: EnrollmentObserver = EnrollmentObserver(onStatus = {})
        val adapter: WaitObserver = object : EnrollmentObserverAdapter() {}
        assertEquals(WaitObserver::class.java, EnrollmentObserver::class.java, "the old name is an alias, not a copy")
        assertEquals(WaitObserverAdapter::class.java, adapter.javaClass.superclass.superclass)
    }
}
