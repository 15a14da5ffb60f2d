package dev.hcewallet.tests

import java.io.File
import java.security.KeyPair

/** The shared Smart Tap vectors (shared/vectors/smart-tap). The runner passes `hce.shared.dir`. */
object Vectors {
    val sharedDir: File by lazy {
        val dir = System.getProperty("hce.shared.dir") ?: System.getenv("HCE_SHARED_DIR")
            ?: error("set -Dhce.shared.dir or HCE_SHARED_DIR")
        File(dir)
    }

    fun file(name: String) = File(sharedDir, "vectors/smart-tap/$name")

    val e2e: Any? by lazy { MiniJson.parse(file("e2e-loyalty-2018.json").readText()) }
    val negative: Any? by lazy { MiniJson.parse(file("negative.json").readText()) }

    /** Google's published test collector 20180608 v1 (test-only key). */
    val collectorId: Int get() = e2e.str("collector", "collector_id_hex").toLong(16).toInt()
    val collectorKey get() = P256.privateKey(e2e.str("collector", "long_term_private_key_hex").hex())
    val collectorPublicPem: String get() = file("collector-20180608-v1.public.pem").readText()

    /** A terminal for collector 20180608 with random nonce, session and ephemeral key. */
    fun liveTerminal(
        pcr: ByteArray? = null,
        serviceTypes: ByteArray = byteArrayOf(0x03),
        secondSelect: Boolean = true,
    ) = SmartTapTerminal(
        TerminalConfig(
            collectorId = collectorId, keyVersion = 1, signingKey = collectorKey,
            pcr = pcr, serviceTypes = serviceTypes, secondSelect = secondSelect,
        ),
    )

    /** The vector's terminal: every random input fixed to the file's values. */
    fun vectorConfig(pcr: ByteArray?, serviceTypes: ByteArray) = TerminalConfig(
        collectorId = collectorId,
        keyVersion = 1,
        signingKey = collectorKey,
        pcr = pcr,
        serviceTypes = serviceTypes,
        sessionId = e2e.str("terminal", "session_id_hex").hex(),
        nonce = e2e.str("terminal", "nonce_hex").hex(),
        ephemeral = KeyPair(
            P256.publicKey(e2e.str("terminal", "ephemeral_public_key_uncompressed_hex").hex()),
            P256.privateKey(e2e.str("terminal", "ephemeral_private_key_hex").hex()),
        ),
        signatureOverride = e2e.str("signature", "der_signature_hex").hex(),
    )
}
