package dev.weft.internal.segment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.annotation.Nullable;

/**
 * The segment's lease (docs/shm-abi.md "Lease: one collector per segment"): one collector per
 * segment, across processes. The word is {@code (start_ticks & 0xffffffff) << 32 | pid} of the
 * holder; it is taken by compare-and-set ({@link HeaderWords#leaseOwnerCompareAndSet}: under an
 * fcntl lock, never a CPU CAS on the mapping, which a truncated file would turn into a JVM crash)
 * from 0, or from a holder that is dead (its pid no longer runs with those start ticks, or is a
 * zombie) or silent (heartbeat older than the timeout). The in-process collector holds it through
 * its segment's mapping ({@link #Lease(Segment, long)}); a recoverer and the standalone collector
 * through a mapping of the header page ({@link #mapHeader}): the same word and lock, so they all
 * exclude each other. One thread only: every method reads or writes the mapping.
 */
public final class Lease {
  /** A holder whose heartbeat is older than this may be taken over: {@value} ms. */
  public static final long DEFAULT_TIMEOUT_MILLIS = 10_000;
  /** {@link #DEFAULT_TIMEOUT_MILLIS} in nanoseconds. */
  public static final long DEFAULT_TIMEOUT_NANOS =
      TimeUnit.MILLISECONDS.toNanos(DEFAULT_TIMEOUT_MILLIS);
  /** The holder refreshes its heartbeat this often: {@value} ms. */
  public static final long HEARTBEAT_MILLIS = 1_000;

  /** The outcome of {@link #tryAcquire}. */
  public static final class Refusal {
    public final int holderPid;
    public final String message;

    Refusal(int holderPid, String message) {
      this.holderPid = holderPid;
      this.message = message;
    }
  }

  private final HeaderWords words;
  private final long me;
  private final long timeoutNanos;
  /**
   * True if a word of this process is ours to take again (the in-process collector: a previous
   * collector of this JVM did not give it back); false if it means another lease of this JVM
   * holds the segment (recoverers and the standalone collector, which hold one lease each).
   */
  private final boolean reclaimOwn;
  private boolean held;
  private long nextHeartbeatNanos;
  /** The holder this lease took over from (0 if none), for the log. */
  private long tookOverFrom;

  /** The lease of a mapped segment ({@link Segment#open}), for its in-process collector. */
  public Lease(Segment segment, long timeoutNanos) {
    this(requireMapped(segment), timeoutNanos, true);
  }

  private Lease(HeaderWords words, long timeoutNanos, boolean reclaimOwn) {
    this.words = words;
    this.me = ownWord();
    this.timeoutNanos = timeoutNanos;
    this.reclaimOwn = reclaimOwn;
  }

  /**
   * The lease of a segment opened with {@link Segment#openUnmapped}, through a mapping of its
   * header page only, for a recoverer or the standalone collector: a lease word of this process
   * is refused (another lease of this JVM holds the segment).
   */
  public static Lease mapHeader(Segment segment, long timeoutNanos) throws IOException {
    return new Lease(HeaderWords.mapHeader(segment), timeoutNanos, false);
  }

  private static HeaderWords requireMapped(Segment segment) {
    HeaderWords words = segment.headerWords();
    if (words == null) {
      throw new IllegalArgumentException(segment.path() + " is not mapped: use Lease.mapHeader");
    }
    return words;
  }

  /** The header words this lease reads and writes (also the state word). */
  public HeaderWords words() {
    return words;
  }

  /** This process's lease word. */
  public static long ownWord() {
    int pid = (int) ProcessHandle.current().pid();
    long ticks = ProcessLiveness.startTicks(pid);
    return word(pid, ticks < 0 ? 0 : ticks);
  }

  static long word(int pid, long startTicks) {
    return ((startTicks & 0xffffffffL) << 32) | (pid & 0xffffffffL);
  }

  public static int pidOf(long word) {
    return (int) word;
  }

  public boolean isHeld() {
    return held;
  }

  /** The holder this lease took over from when it was acquired (0: it was free or ours). */
  public long tookOverFrom() {
    return tookOverFrom;
  }

  /**
   * Takes the lease if it is free, ours, or its holder is dead or silent.
   *
   * @return null if held now, else who holds it and what to do
   */
  @Nullable
  public Refusal tryAcquire(long nowNanos) {
    if (held) {
      return null;
    }
    Path path = words.path();
    for (int attempt = 0; attempt < 4; attempt++) {
      long owner = words.leaseOwnerAcquire();
      if (owner == me && !reclaimOwn) {
        return new Refusal(pidOf(me), path + " is already collected by this process");
      }
      if (owner == 0 || owner == me) {
        if (words.leaseOwnerCompareAndSet(owner, me)) {
          return acquired(nowNanos, 0);
        }
        continue;
      }
      long heartbeat = words.leaseHeartbeat();
      boolean alive = holderRuns(owner);
      long age = System.currentTimeMillis() * 1_000_000L - heartbeat;
      boolean silent = heartbeat != 0 && age > timeoutNanos;
      if (alive && !silent) {
        int pid = pidOf(owner);
        if (!reclaimOwn) {
          return new Refusal(pid, path + " is collected by pid " + pid);
        }
        return new Refusal(pid, "segment " + path + " is collected by pid " + pid
            + " (another process's Weft collector holds its lease); this collector waits and"
            + " takes over when that one stops or goes silent for "
            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms. If both should not run, stop"
            + " one of them (e.g. set weft.collector.enabled=false in one, or do not run `weft"
            + " collect` on this directory)");
      }
      if (words.leaseOwnerCompareAndSet(owner, me)) {
        return acquired(nowNanos, owner);
      }
    }
    if (!reclaimOwn) {
      return new Refusal(0, path + ": its lease keeps changing hands; not taken");
    }
    return new Refusal(0, "segment " + path + ": its lease changes hands too often to"
        + " be taken; will retry");
  }

  /**
   * Takes the lease only if no collector holds it (the word is 0): never from another holder,
   * live or dead, nor from a collector of this process.
   */
  public boolean tryAcquireFree(long nowNanos) {
    if (held) {
      return true;
    }
    if (words.leaseOwnerAcquire() != 0 || !words.leaseOwnerCompareAndSet(0, me)) {
      return false;
    }
    acquired(nowNanos, 0);
    return true;
  }

  private Refusal acquired(long nowNanos, long from) {
    held = true;
    tookOverFrom = from;
    words.leaseHeartbeat(System.currentTimeMillis() * 1_000_000L);
    nextHeartbeatNanos = nowNanos + TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_MILLIS);
    return null;
  }

  /**
   * On every pass while held: checks the word is still ours and refreshes the heartbeat about
   * every second.
   *
   * @return false if the lease was taken over (the caller stops draining at once)
   */
  public boolean check(long nowNanos) {
    if (!held) {
      return false;
    }
    if (words.leaseOwnerAcquire() != me) {
      held = false;
      return false;
    }
    if (nowNanos - nextHeartbeatNanos >= 0) {
      words.leaseHeartbeat(System.currentTimeMillis() * 1_000_000L);
      nextHeartbeatNanos = nowNanos + TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_MILLIS);
    }
    return true;
  }

  /** Gives the lease up (CAS ours to 0); nothing if it is not ours any more. */
  public void release() {
    if (held) {
      held = false;
      words.leaseOwnerCompareAndSet(me, 0);
    }
  }

  /**
   * True if the holder's pid runs with the start ticks in the word and is not a zombie (a killed
   * process whose parent has not reaped it yet still has a /proc entry).
   */
  public static boolean holderRuns(long word) {
    int pid = pidOf(word);
    if (pid <= 0) {
      return false;
    }
    long ticks = ProcessLiveness.startTicks(pid);
    if (ticks < 0 || (ticks & 0xffffffffL) != (word >>> 32)) {
      return false;
    }
    return !isZombie(pid);
  }

  /** Field 3 of /proc/PID/stat is Z (zombie) or X (dead). */
  static boolean isZombie(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"),
          StandardCharsets.ISO_8859_1);
      int close = stat.lastIndexOf(')');
      if (close < 0 || close + 2 >= stat.length()) {
        return true;
      }
      char state = stat.charAt(close + 2);
      return state == 'Z' || state == 'X';
    } catch (IOException | RuntimeException e) {
      return true;
    }
  }
}
