package dev.weft.internal.recovery;

import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.ProcessLiveness;
import dev.weft.internal.segment.Segment;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import javax.annotation.Nullable;

/**
 * The header words a recoverer and the standalone collector change: the lease (docs/shm-abi.md
 * "Lease: one collector per segment") and {@code state}. A mapping of the header page only, with
 * the ABI's atomic accesses; the rings are never read through it.
 *
 * <p>The live collector's own lease (in {@code Segment}/{@code SegmentDrainer}) is written by
 * {@code Lease}; this class follows the same contract (value {@code (start_ticks & 0xffffffff)
 * << 32 | pid}, compare-and-set under the same fcntl lock from 0 or from a dead or silent holder,
 * heartbeat about every second, back to 0 on release), so the two exclude each other.
 *
 * <p>A file truncated to less than a page under the mapping faults; every access here is made by
 * the thread that opened the lease, which treats an {@link InternalError} as "the segment became
 * unreadable".
 */
public final class SegmentLease implements AutoCloseable {
  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /** A holder whose heartbeat is older than this may be taken over (the ABI's default). */
  public static final long DEFAULT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final Segment segment;
  private final MappedByteBuffer header;
  private final long me;
  private boolean held;

  private SegmentLease(Segment segment, MappedByteBuffer header, long me) {
    this.segment = segment;
    this.header = header;
    this.me = me;
  }

  /** Maps the header page of {@code segment}'s file, after checking it is still that file. */
  public static SegmentLease open(Segment segment) throws IOException {
    try (FileChannel channel = FileChannel.open(segment.path(), StandardOpenOption.READ,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      var attributes = Files.readAttributes(segment.path(), "unix:ino,dev",
          LinkOption.NOFOLLOW_LINKS);
      if (!segment.fileKey().equals(attributes.get("ino") + ":" + attributes.get("dev"))) {
        throw new java.nio.file.NoSuchFileException(segment.path().toString(), null,
            "replaced while being opened");
      }
      MappedByteBuffer header = channel.map(FileChannel.MapMode.READ_WRITE, 0, Abi.HEADER_SIZE);
      header.order(ByteOrder.LITTLE_ENDIAN);
      return new SegmentLease(segment, header, self());
    }
  }

  /** This process's lease value: {@code (start_ticks & 0xffffffff) << 32 | pid}. */
  public static long self() {
    long pid = ProcessHandle.current().pid();
    long ticks = ProcessLiveness.startTicks((int) pid);
    return ((ticks & 0xffffffffL) << 32) | (pid & 0xffffffffL);
  }

  /** The pid of a lease value. */
  public static int pid(long owner) {
    return (int) owner;
  }

  /** True if {@code owner} (a lease value) names a process that runs now. */
  public static boolean holderRuns(long owner) {
    int pid = pid(owner);
    if (pid <= 0) {
      return false;
    }
    long ticks = ProcessLiveness.startTicks(pid);
    return ticks >= 0 && (ticks & 0xffffffffL) == (owner >>> 32);
  }

  public long owner() {
    return (long) LONGS.getAcquire(header, Abi.LEASE_OWNER_OFFSET);
  }

  public long heartbeatUnixNanos() {
    return (long) LONGS.getOpaque(header, Abi.LEASE_HEARTBEAT_OFFSET);
  }

  /** The header's state word, acquire. */
  public int state() {
    return (int) INTS.getAcquire(header, Abi.STATE_OFFSET);
  }

  /**
   * Takes the lease: from 0, or from a holder that does not run or whose heartbeat is older than
   * {@code timeoutNanos}.
   *
   * @return null if taken; else why not ("collected by pid N"), for the caller to say
   */
  @Nullable
  public String acquire(long timeoutNanos) {
    if (held) {
      return null;
    }
    for (int attempt = 0; attempt < 4; attempt++) {
      long current = owner();
      if (current == me) {
        // Our own process took it (another collector of this JVM, or a previous attempt).
        return segment.path() + " is already collected by this process";
      }
      if (current != 0) {
        long age = nowUnixNanos() - heartbeatUnixNanos();
        if (holderRuns(current) && age < timeoutNanos) {
          return segment.path() + " is collected by pid " + pid(current);
        }
      }
      if (compareAndSetOwner(current, me)) {
        heartbeat();
        held = true;
        return null;
      }
    }
    return segment.path() + ": its lease keeps changing hands; not taken";
  }

  /** Refreshes the heartbeat; false if the lease was taken over (stop at once). */
  public boolean heartbeat() {
    if (owner() != me) {
      held = false;
      return false;
    }
    LONGS.setOpaque(header, Abi.LEASE_HEARTBEAT_OFFSET, nowUnixNanos());
    return true;
  }

  public boolean isHeld() {
    return held && owner() == me;
  }

  /**
   * Marks the segment RECOVERED (release CAS from {@code expected}): a reader then treats it as
   * empty, which makes recovery idempotent.
   */
  public boolean markRecovered(int expected) {
    return INTS.compareAndSet(header, Abi.STATE_OFFSET, expected, Abi.SEGMENT_RECOVERED);
  }

  /** Gives the lease back (CAS me to 0) if held. */
  public void release() {
    if (held) {
      compareAndSetOwner(me, 0L);
      held = false;
    }
  }

  /**
   * Compare-and-set of the lease word as the live collector does it ({@code Segment}'s lease):
   * under an fcntl lock of the word's 16 bytes, so a recoverer and a collector exclude each
   * other whichever of them runs, and never as a CPU CAS on a mapping a truncation could fault.
   */
  private boolean compareAndSetOwner(long expected, long owner) {
    try (FileChannel channel = FileChannel.open(segment.path(), StandardOpenOption.READ,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      java.nio.channels.FileLock lock = null;
      for (int attempt = 0; attempt < 50 && lock == null; attempt++) {
        lock = channel.tryLock(Abi.LEASE_OWNER_OFFSET, 16, false);
        if (lock == null) {
          java.util.concurrent.locks.LockSupport.parkNanos(2_000_000L);
        }
      }
      if (lock == null) {
        return false;
      }
      try {
        if (channel.size() < Abi.HEADER_SIZE || owner() != expected) {
          return false;
        }
        LONGS.setVolatile(header, Abi.LEASE_OWNER_OFFSET, owner);
        return true;
      } finally {
        lock.release();
      }
    } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
      return false;
    }
  }

  @Override
  public void close() {
    release();
  }

  static long nowUnixNanos() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }
}
