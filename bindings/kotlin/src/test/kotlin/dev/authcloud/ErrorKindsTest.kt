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
        val built: WaitObserver = EnrollmentObserver(onStatus = {})
        val typed: EnrollmentObserver = built
        val adapter: WaitObserver = object : EnrollmentObserverAdapter() {}
        assertEquals(true, typed is WaitObserver && adapter is WaitObserverAdapter)
    }
}
