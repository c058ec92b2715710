// dev.authcloud:authcloud-android — the same Kotlin API as the JVM jar (without the
// emulator), packaged as an AAR with the native library for each Android ABI.
//
// Inputs, produced by ./build-android.sh (Gradle alone cannot build Rust):
//   build/jniLibs/<abi>/libauthcloud_ffi.so     cargo ndk, profile ffi-small, stripped
//   build/generated/uniffi/dev/authcloud/*.kt   scripts/bindgen.sh, from the unstripped library
// Plus the hand-written Kotlin layer shared with the JVM jar: ../src/main/kotlin (not
// ../src/jvm/kotlin: the JUnit extension, the SLF4J sink and the java.time builders are
// JVM-only — they need the emulator, JUnit, SLF4J or API 26).
//
// NOT built or tested in this repository (no Android SDK/NDK there); the plugin versions
// below are a starting point, not verified.
plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.4.21"
    `maven-publish`
}

group = "dev.authcloud"
version = "0.1.0"

val generatedKotlin = layout.buildDirectory.dir("generated/uniffi")
val jniLibsDir = layout.buildDirectory.dir("jniLibs")
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64", "x86")

android {
    namespace = "dev.authcloud"
    compileSdk = 35

    defaultConfig {
        // cargo ndk --platform in build-android.sh must match.
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
        ndk { abiFilters += abis }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    sourceSets.getByName("main") {
        java.srcDirs(generatedKotlin, "../src/main/kotlin")
        jniLibs.srcDirs(jniLibsDir)
    }

    publishing {
        singleVariant("release") { withSourcesJar() }
    }
}

kotlin {
    compilerOptions { jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17) }
}

dependencies {
    // The AAR flavour of JNA carries libjnidispatch.so for every Android ABI.
    api("net.java.dev.jna:jna:5.19.1@aar")
    api("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.11.0")
}

// Fail early, with the fix, when the Rust outputs are missing.
tasks.named("preBuild") {
    doFirst {
        val missing = abis.filterNot { jniLibsDir.get().file("$it/libauthcloud_ffi.so").asFile.exists() } +
            listOfNotNull("Kotlin bindings".takeUnless { generatedKotlin.get().file("dev/authcloud/authcloud.kt").asFile.exists() })
        check(missing.isEmpty()) { "missing $missing: run ./build-android.sh (it builds the Rust library per ABI and generates the bindings)" }
    }
}

publishing {
    publications {
        register<MavenPublication>("release") {
            groupId = "dev.authcloud"
            artifactId = "authcloud-android"
            version = project.version.toString()
            afterEvaluate { from(components["release"]) }
        }
    }
}
