package dev.weft.internal;

import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.Lease;
import dev.weft.internal.segment.Segment;
import dev.weft.internal.segment.SegmentDrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The JVM's exit for this process's own segment when no collector closes it then: a collector
 * closed before the exit hands the segment over live (libweft keeps recording into it), and if
 * no other collector of this JVM runs at the exit, this shutdown hook does what the collector
 * would have done. It fences recording, waits for the tails to settle, and then: every ring
 * read and acknowledged, it marks the segment closed and removes it; otherwise it leaves it
 * fenced and live (a dead creator's segment once the JVM is gone, which `weft recover` or the
 * next collector's start-up recovery exports) and says so once on stderr.
 */
final class OwnSegmentAtExit {
  private static final Logger logger = Logger.getLogger(OwnSegmentAtExit.class.getName());
  private static final Set<Path> registered = ConcurrentHashMap.newKeySet();

  private OwnSegmentAtExit() {}

  /**
   * Registers the hook for {@code path} once per JVM. {@code collecting}: whether a collector of
   * this JVM runs on the path now (it closes the segment itself at the exit).
   */
  static void register(Path path, long graceNanos, Predicate<Path> collecting) {
    if (!registered.add(path)) {
      return;
    }
    try {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        if (!collecting.test(path)) {
          closeAtExit(path, graceNanos);
        }
      }, "weft-segment-exit"));
    } catch (IllegalStateException e) {
      registered.remove(path); // the JVM is exiting already: the closing collector fenced it
    }
  }

  /** Fences, settles and closes (or leaves, saying so) this process's own segment. */
  static void closeAtExit(Path path, long graceNanos) {
    try (Segment segment = Segment.open(path)) {
      if (segment.state() != Abi.SEGMENT_LIVE
          || segment.creatorPid() != (int) ProcessHandle.current().pid()) {
        return; // closed by its writer or a collector, or not this process's segment any more
      }
      Lease lease = new Lease(segment, TimeUnit.SECONDS.toNanos(10));
      if (!lease.tryAcquireFree(System.nanoTime())) {
        return; // a collector (of this JVM at its close, or `weft collect`) drains it
      }
      segment.closeFence();
      long tails = SegmentDrainer.tailSum(segment);
      long stableSince = System.nanoTime();
      long deadline = stableSince + Math.max(graceNanos, TimeUnit.MILLISECONDS.toNanos(10)) * 4;
      while (System.nanoTime() - stableSince < graceNanos && System.nanoTime() - deadline < 0) {
        TimeUnit.MILLISECONDS.sleep(5);
        long now = SegmentDrainer.tailSum(segment);
        if (now != tails) {
          tails = now;
          stableSince = System.nanoTime();
        }
      }
      Object key = segment.fileKey();
      long left = SegmentDrainer.unacknowledgedBytes(segment);
      if (left == 0) {
        segment.stateRelease(Abi.SEGMENT_CLOSED);
        lease.release();
        if (key.equals(Segment.fileKeyAt(path))) {
          Files.deleteIfExists(path); // only if the path still names this file
        }
      } else {
        lease.release();
        System.err.println("WARNING: weft: segment " + path + " keeps " + left + " bytes of"
            + " spans recorded after its last collector closed, and this JVM exits with no"
            + " collector running: they are left in the segment. `weft recover " + path + "` (or"
            + " the next Weft collector's start-up recovery) exports them. To have them exported"
            + " at exit, keep a WeftCollector open until the JVM ends.");
        System.err.flush();
      }
    } catch (NoSuchFileException e) {
      logger.log(Level.FINE, "weft: segment " + path + " is gone at exit", e);
    } catch (IOException | RuntimeException | InternalError e) {
      System.err.println("WARNING: weft: segment " + path + " could not be closed at exit (" + e
          + "): it stays in place, and `weft recover " + path + "` (or the next Weft collector's"
          + " start-up recovery) exports what it holds.");
      System.err.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
