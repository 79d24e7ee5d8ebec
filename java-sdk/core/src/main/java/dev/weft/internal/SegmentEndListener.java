package dev.weft.internal;

import java.nio.file.Path;

/**
 * Told when a collector reached the end of a segment whose creator died without closing it
 * (state still LIVE): every finished span was drained and acknowledged, the collector released
 * its lease and detached, and the file is still at {@code path}, with the dead process's open
 * spans in its frames. Crash recovery ({@code dev.weft.internal.recovery}) implements this: it
 * exports the open spans, marks the segment RECOVERED and unlinks it. Called on the collector
 * thread; it must not block for long.
 */
@FunctionalInterface
public interface SegmentEndListener {
  void creatorDiedAndDrained(Path path, int creatorPid, long creatorStartTicks);
}
