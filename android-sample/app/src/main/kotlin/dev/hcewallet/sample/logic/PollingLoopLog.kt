// The last polling-loop frames seen in observe mode (Android 15+), kept for the UI/logcat.
package dev.hcewallet.sample.logic

object PollingLoopLog {
    data class Frame(val type: Int, val gain: Int, val timestampUs: Long, val dataHex: String)

    private const val MAX = 32
    private val frames = ArrayDeque<Frame>()

    @Synchronized
    fun record(type: Int, gain: Int, timestampUs: Long, data: ByteArray) {
        if (frames.size == MAX) frames.removeFirst()
        frames.addLast(Frame(type, gain, timestampUs, Aids.hex(data)))
    }

    @Synchronized
    fun snapshot(): List<Frame> = frames.toList()
}
