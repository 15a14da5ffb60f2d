package dev.hcewallet.sample

import dev.hcewallet.WalletEvent
import dev.hcewallet.sample.logic.ChooserState
import dev.hcewallet.sample.logic.EventHub
import dev.hcewallet.sample.logic.UiContextTracker
import dev.hcewallet.UiContext
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

class ChooserTest {
    private var now = 1_000L
    private val state = ChooserState(60_000) { now }

    @Test
    fun askPickExpire() {
        assertNull(state.pending())
        assertTrue(state.onChooserRequired(7u, listOf("a", "b", "a")))
        assertFalse("the same question again: no new notification", state.onChooserRequired(7u, listOf("a", "b")))
        assertEquals(listOf("a", "b"), state.pending()!!.candidates)
        try { state.pick("c") { fail("not offered") }; fail() } catch (e: IllegalArgumentException) { }
        val chosen = ArrayList<String>()
        val c = state.pick("b") { chosen += it }
        assertEquals(listOf("b"), chosen)
        assertEquals(61_000L, c.untilMs)
        assertNull("answered", state.pending())
        assertEquals("b", state.chosen()!!.objectId)
        now += 60_001
        assertNull("the core's window is over", state.chosen())
        state.onChooserRequired(8u, listOf("x", "y"))
        now += 60_001
        assertNull("expired question", state.pending())
        try { state.pick("x") {}; fail() } catch (e: IllegalStateException) { }
    }

    @Test
    fun eventsAreHandedOffNotHandledOnTheTapThread() {
        val sink = RecordingSink()
        val queued = ArrayList<Runnable>()
        val hub = EventHub(state, sink) { queued += it }
        hub.onEvent(WalletEvent.ChooserRequired(7u, listOf("a", "b")))
        hub.onEvent(WalletEvent.UnlockRequired(7u))
        assertTrue("nothing ran on the calling thread", sink.calls.isEmpty())
        assertEquals(listOf("a", "b"), state.pending()!!.candidates) // state is updated at once
        queued.forEach { it.run() }
        assertEquals(listOf("chooser:[a, b]", "unlock"), sink.calls)
        state.pick("a") {}
        hub.onEvent(WalletEvent.PassSent(7u, "a"))
        queued.drop(2).forEach { it.run() }
        assertNull(state.chosen())
        assertTrue(sink.calls.contains("cancel"))
        assertEquals(3, hub.recent().size)
    }

    @Test
    fun uiContextFollowsScreenAndLock() {
        val sent = ArrayList<UiContext>()
        val t = UiContextTracker { sent += it }
        t.screen(UiContextTracker.Screen.Home)
        t.screen(UiContextTracker.Screen.Pass("p1"))
        t.locked(true)
        t.screen(UiContextTracker.Screen.None) // screen off while locked: still Locked, not re-sent
        t.locked(false)
        t.resend()
        assertEquals(listOf(UiContext.Home, UiContext.PassOpen("p1"), UiContext.Locked, UiContext.Unlocked, UiContext.Unlocked), sent)
    }
}
