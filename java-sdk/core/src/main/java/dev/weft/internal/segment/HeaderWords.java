package dev.weft.internal.segment;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import javax.annotation.Nullable;

/**
 * The header words that collectors and recoverers change (docs/shm-abi.md "Lease: one collector
 * per segment"): the lease owner and heartbeat, and {@code state}. Over the mapping of a whole
 * segment ({@link Segment#open}), or of its header page only ({@link #mapHeader}, for a segment
 * opened with {@link Segment#openUnmapped}: the rings are never read through it).
 *
 * <p>A file truncated under the mapping faults: every access is made by the one thread that uses
 * the lease, which treats an {@link InternalError} as "the segment became unreadable".
 */
public final class HeaderWords {
  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /** Null for memory this process owns ({@link Segment#ofMemory}). */
  @Nullable private final Path path;
  private final Object fileKey;
  /** Mapped from offset 0; its capacity is the file size the accesses need. */
  private final ByteBuffer mapping;

  HeaderWords(@Nullable Path path, Object fileKey, ByteBuffer mapping) {
    this.path = path;
    this.fileKey = fileKey;
    this.mapping = mapping;
  }

  /**
   * Maps the header page of {@code segment}'s file, after checking the path still names that
   * file.
   *
   * @throws NoSuchFileException if it is gone or was replaced
   */
  public static HeaderWords mapHeader(Segment segment) throws IOException {
    Path path = segment.path();
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      if (!segment.fileKey().equals(Segment.fileKeyAt(path))) {
        throw new NoSuchFileException(path.toString(), null, "replaced while being opened");
      }
      MappedByteBuffer header = channel.map(FileChannel.MapMode.READ_WRITE, 0, Abi.HEADER_SIZE);
      header.order(ByteOrder.LITTLE_ENDIAN);
      return new HeaderWords(path, segment.fileKey(), header);
    }
  }

  public Path path() {
    return path;
  }

  /** The lease word, acquire (1.1; 0 = no collector). */
  public long leaseOwnerAcquire() {
    return (long) LONGS.getAcquire(mapping, Abi.LEASE_OWNER_OFFSET);
  }

  /**
   * Compare-and-set of the lease word among collectors: under an fcntl write lock on the lease
   * bytes of the file, taken through the path (if it still names this segment), with acquire and
   * release accesses to the mapping. Not a CPU compare-and-swap on the mapping: HotSpot's
   * {@code Unsafe.compareAndSetLong} is not guarded against SIGBUS, so on a file truncated under
   * the mapping it crashes the JVM (seen on JDK 17), where guarded loads and stores raise an
   * {@link InternalError} the caller handles. Every collector and recoverer takes the same lock
   * (docs/shm-abi.md "Lease"); the writer never touches the word.
   *
   * @return true if the word held {@code expected} and now holds {@code owner}; false if it held
   *     something else, or the lock or the file could not be had (the caller retries later)
   */
  boolean leaseOwnerCompareAndSet(long expected, long owner) {
    return underLeaseLock(() -> {
      long now = (long) LONGS.getAcquire(mapping, Abi.LEASE_OWNER_OFFSET);
      if (now != expected) {
        return false;
      }
      LONGS.setVolatile(mapping, Abi.LEASE_OWNER_OFFSET, owner);
      return true;
    });
  }

  /**
   * Runs {@code change} under an fcntl lock of the lease word's 16 bytes, once the file is known
   * to be whole and still the one at the path: a store into a mapping truncated under it can
   * then not fault (a CPU compare-and-set on such a mapping crashed HotSpot). False if the lock
   * could not be had, the file changed, or {@code change} said so.
   */
  private boolean underLeaseLock(java.util.function.BooleanSupplier change) {
    if (path == null) {
      // Memory this process owns (Segment.ofMemory): no other collector can reach it.
      synchronized (this) {
        return change.getAsBoolean();
      }
    }
    try (FileChannel file = FileChannel.open(path, StandardOpenOption.READ,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      if (!fileKey.equals(Segment.fileKeyAt(path))) {
        return false; // the path names another file now
      }
      FileLock lock = null;
      for (int attempt = 0; attempt < 50 && lock == null; attempt++) {
        lock = file.tryLock(Abi.LEASE_OWNER_OFFSET, 16, false);
        if (lock == null) {
          LockSupport.parkNanos(2_000_000L);
        }
      }
      if (lock == null) {
        return false;
      }
      try {
        if (file.size() < mapping.capacity() || !fileKey.equals(Segment.fileKeyAt(path))) {
          return false;
        }
        return change.getAsBoolean();
      } finally {
        lock.release();
      }
    } catch (IOException | OverlappingFileLockException e) {
      return false;
    }
  }

  /** The lease heartbeat (Unix nanoseconds of the holder's last refresh), opaque. */
  public long leaseHeartbeat() {
    return (long) LONGS.getOpaque(mapping, Abi.LEASE_HEARTBEAT_OFFSET);
  }

  void leaseHeartbeat(long unixNanos) {
    LONGS.setOpaque(mapping, Abi.LEASE_HEARTBEAT_OFFSET, unixNanos);
  }

  /** The header's state word, acquire. */
  public int stateAcquire() {
    return (int) INTS.getAcquire(mapping, Abi.STATE_OFFSET);
  }

  /**
   * Marks the segment RECOVERED (from {@code expected}, under the lease word's lock): a reader then treats it as empty,
   * which makes recovery idempotent.
   */
  public boolean markRecovered(int expected) {
    // The holder of the lease is the only one that changes the state of a dead creator's
    // segment; the lock keeps the store off a truncated mapping.
    return underLeaseLock(() -> {
      if ((int) INTS.getAcquire(mapping, Abi.STATE_OFFSET) != expected) {
        return false;
      }
      INTS.setVolatile(mapping, Abi.STATE_OFFSET, Abi.SEGMENT_RECOVERED);
      return true;
    });
  }

}
