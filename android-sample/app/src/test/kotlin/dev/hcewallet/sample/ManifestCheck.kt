// Checks android-sample/app's AndroidManifest.xml and res/xml/apduservice.xml against each
// other and against the code: well-formed XML, exactly one HostApduService whose class is
// Aids.SERVICE_CLASS and exists (a HostApduService), the HCE permission / intent filter /
// meta-data, every AID valid hex of 5–16 bytes, categories "other"/"payment" holding exactly
// Aids.STATIC, the payment group led by PPSE with registered-RID AIDs (payment spec §3, §4)
// and Smart Tap in "other", the resources the files name, and every declared component class.
//   java … dev.hcewallet.sample.ManifestCheckKt APP_DIR    (exit 1 on any error)
package dev.hcewallet.sample

import dev.hcewallet.sample.logic.Aids
import org.w3c.dom.Element
import org.xml.sax.SAXParseException
import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import kotlin.system.exitProcess

object ManifestCheck {
    const val A = "http://schemas.android.com/apk/res/android"

    data class Expected(val serviceClass: String = Aids.SERVICE_CLASS, val aids: Map<String, List<String>> = Aids.STATIC)

    private fun parse(f: File, errors: MutableList<String>): Element? {
        if (!f.isFile) { errors += "${f.name}: missing"; return null }
        return try {
            DocumentBuilderFactory.newInstance().apply { isNamespaceAware = true }.newDocumentBuilder()
                .apply { setErrorHandler(null) }.parse(f).documentElement
        } catch (e: SAXParseException) {
            errors += "${f.name}: not well-formed XML (line ${e.lineNumber}: ${e.message})"; null
        }
    }

    private fun Element.children(tag: String): List<Element> {
        val out = ArrayList<Element>()
        val nl = childNodes
        for (i in 0 until nl.length) (nl.item(i) as? Element)?.takeIf { it.tagName == tag }?.let(out::add)
        return out
    }

    private fun Element.a(name: String): String? = getAttributeNS(A, name).takeIf { hasAttributeNS(A, name) }

    fun check(appDir: File, expected: Expected = Expected()): List<String> {
        val errors = ArrayList<String>()
        val gradle = File(appDir, "build.gradle.kts")
        val namespace = if (gradle.isFile) Regex("""namespace\s*=\s*"([^"]+)"""").find(gradle.readText())?.groupValues?.get(1) else null
        if (namespace == null) errors += "build.gradle.kts: no namespace"
        val main = File(appDir, "src/main")
        val res = File(main, "res")
        val strings = parse(File(res, "values/strings.xml"), errors)?.children("string")?.mapNotNull { it.getAttribute("name") }?.toSet() ?: emptySet()
        fun resource(ref: String?, what: String) {
            when {
                ref == null -> errors += "$what: missing"
                ref.startsWith("@string/") -> if (ref.removePrefix("@string/") !in strings) errors += "$what: no string ${ref.removePrefix("@string/")}"
                ref.startsWith("@drawable/") || ref.startsWith("@xml/") -> {
                    val (dir, name) = ref.removePrefix("@").split('/')
                    if (res.listFiles()?.filter { it.name == dir || it.name.startsWith("$dir-") }?.none { d -> d.listFiles()?.any { it.nameWithoutExtension == name } == true } != false)
                        errors += "$what: no resource $ref"
                }
                ref.startsWith("@android:") -> {}
                else -> errors += "$what: not a resource reference: $ref"
            }
        }
        fun className(n: String?) = if (n != null && n.startsWith(".")) "$namespace$n" else n

        val manifest = parse(File(main, "AndroidManifest.xml"), errors) ?: return errors
        val application = manifest.children("application").singleOrNull() ?: return errors + "manifest: one <application> expected"
        resource(application.a("label"), "application label")
        if (application.a("usesCleartextTraffic") != "false") errors += "application: usesCleartextTraffic must be false"
        className(application.a("name"))?.let { requireClass(it, "android.app.Application", errors) }
        for (tag in listOf("activity", "service", "receiver")) for (c in application.children(tag)) {
            val n = className(c.a("name")) ?: run { errors += "<$tag> without a name"; null } ?: continue
            requireClass(n, null, errors)
        }
        val hce = application.children("service").filter { s ->
            s.children("intent-filter").any { f -> f.children("action").any { it.a("name") == "android.nfc.cardemulation.action.HOST_APDU_SERVICE" } }
        }
        if (hce.size != 1) return errors + "manifest: ${hce.size} services with the HOST_APDU_SERVICE filter (1 expected)"
        val service = hce.single()
        val serviceName = className(service.a("name"))
        if (serviceName != expected.serviceClass) errors += "manifest: HCE service is $serviceName, the code names ${expected.serviceClass}"
        serviceName?.let { requireClass(it, "android.nfc.cardemulation.HostApduService", errors) }
        if (service.a("exported") != "true") errors += "HCE service: exported must be true"
        if (service.a("permission") != "android.permission.BIND_NFC_SERVICE") errors += "HCE service: permission must be BIND_NFC_SERVICE"
        val meta = service.children("meta-data").singleOrNull { it.a("name") == "android.nfc.cardemulation.host_apdu_service" }
        val xmlRef = meta?.a("resource")
        if (xmlRef == null || !xmlRef.startsWith("@xml/")) return errors + "HCE service: no host_apdu_service meta-data resource"
        resource(xmlRef, "host_apdu_service meta-data")

        val apdu = parse(File(res, "xml/${xmlRef.removePrefix("@xml/")}.xml"), errors) ?: return errors
        if (apdu.localName != "host-apdu-service") errors += "${xmlRef}: root is <${apdu.localName}>, not <host-apdu-service>"
        resource(apdu.a("description"), "host-apdu-service description")
        if (apdu.a("requireDeviceUnlock") !in setOf("true", "false")) errors += "host-apdu-service: requireDeviceUnlock must be chosen (true/false)"
        val found = LinkedHashMap<String, MutableList<String>>()
        for (g in apdu.children("aid-group")) {
            val cat = g.a("category")
            if (cat != Aids.CATEGORY_OTHER && cat != Aids.CATEGORY_PAYMENT) { errors += "aid-group: category $cat is neither other nor payment"; continue }
            resource(g.a("description"), "aid-group $cat description")
            for (f in g.children("aid-filter")) {
                val aid = f.a("name") ?: run { errors += "aid-filter without a name"; null } ?: continue
                if (!Aids.isValid(aid)) errors += "AID $aid ($cat) is not upper-case hex of 5–16 bytes"
                found.getOrPut(cat) { ArrayList() } += aid
            }
        }
        if (found.containsKey(Aids.CATEGORY_PAYMENT)) resource(apdu.a("apduServiceBanner"), "payment service banner (apduServiceBanner)")
        val payment = found[Aids.CATEGORY_PAYMENT].orEmpty()
        if (payment.isNotEmpty() && Aids.PPSE !in payment) errors += "category payment: no PPSE ${Aids.PPSE} (terminals select it first)"
        for (aid in payment.filter { it != Aids.PPSE && Aids.isValid(it) && it[0] != 'A' && it[0] != 'D' })
            errors += "AID $aid (payment) has no registered RID (an EMV AID starts with A or D)"
        for (aid in listOf(Aids.SMART_TAP_OSE, Aids.SMART_TAP_2)) if (aid !in found[Aids.CATEGORY_OTHER].orEmpty())
            errors += "category other: Smart Tap AID $aid missing"
        val all = found.values.flatten()
        all.groupBy { it }.filter { it.value.size > 1 }.keys.forEach { errors += "AID $it listed twice" }
        for (cat in (expected.aids.keys + found.keys).toSet()) {
            val want = expected.aids[cat].orEmpty().toSet()
            val have = found[cat].orEmpty().toSet()
            if (want != have) errors += "category $cat: apduservice.xml has ${have.sorted()}, the code (Aids.STATIC) has ${want.sorted()}"
        }
        return errors
    }

    private fun requireClass(name: String, superName: String?, errors: MutableList<String>) {
        val c = try { Class.forName(name, false, ManifestCheck::class.java.classLoader) } catch (e: ClassNotFoundException) {
            errors += "class $name (named in the manifest) does not exist"; return
        }
        if (superName != null) {
            val s = Class.forName(superName, false, ManifestCheck::class.java.classLoader)
            if (!s.isAssignableFrom(c)) errors += "class $name is not a $superName"
        }
    }
}

fun main(args: Array<String>) {
    val dir = File(args.getOrNull(0) ?: "android-sample/app")
    val errors = ManifestCheck.check(dir)
    if (errors.isEmpty()) {
        println("ManifestCheck: ${dir.path} ok (${Aids.STATIC.values.sumOf { it.size }} AIDs, service ${Aids.SERVICE_CLASS})")
        return
    }
    errors.forEach { println("ManifestCheck: $it") }
    exitProcess(1)
}
