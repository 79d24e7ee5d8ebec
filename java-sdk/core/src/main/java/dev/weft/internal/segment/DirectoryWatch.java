package dev.weft.internal.segment;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Calls back as soon as a file whose name matches appears in a directory (created, or renamed
 * into it), through the JDK's {@link WatchService} (inotify on Linux), on a daemon thread of its
 * own. A collector waiting for a segment uses it to attach when the segment is created rather
 * than at its next poll: a producer records from its first microsecond, and a ring of 256 KiB
 * (the default where /dev/shm is small) holds only about 100 ms of a 12 k spans/s thread, so a
 * 100 ms poll (1 s for {@code weft collect}) cost spans at every start (docs/benchmarks.md,
 * "Sustained capacity").
 *
 * <p>It only wakes the caller, who still looks at the file itself, and still polls as before:
 * a missed event (the directory watched too late, an overflow of the kernel's queue, a file
 * system without notifications) costs at most a poll interval, as it always did. An overflow
 * calls back too. Each watch is one inotify instance of this user's (Linux allows 128 by
 * default), so it is held only while something waits: close it once attached.
 */
public final class DirectoryWatch implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(DirectoryWatch.class.getName());

  private final WatchService service;
  private final Predicate<Path> names;
  private final Runnable onAppear;

  private DirectoryWatch(WatchService service, Predicate<Path> names, Runnable onAppear) {
    this.service = service;
    this.names = names;
    this.onAppear = onAppear;
  }

  /**
   * Starts watching {@code directory} for entries whose file name {@code names} accepts.
   *
   * @param onAppear called on the watch's thread for each batch of matching events; it must not
   *     block (an unpark, a signal)
   * @return the watch, or null if the directory cannot be watched (missing, not a directory, no
   *     notifications, the inotify limits reached): the caller's poll is all there is then, which
   *     is logged at FINE with the reason
   */
  @Nullable
  public static DirectoryWatch start(Path directory, Predicate<Path> names, Runnable onAppear,
      String threadName) {
    WatchService service = null;
    try {
      service = directory.getFileSystem().newWatchService();
      directory.register(service, StandardWatchEventKinds.ENTRY_CREATE);
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      logger.log(Level.FINE, "cannot watch " + directory + " for new segments (" + e
          + "); polling only", e);
      closeQuietly(service);
      return null;
    }
    DirectoryWatch watch = new DirectoryWatch(service, names, onAppear);
    Thread thread = new Thread(watch::run, threadName);
    thread.setDaemon(true);
    thread.start();
    return watch;
  }

  private void run() {
    try {
      while (true) {
        WatchKey key = service.take();
        boolean matched = false;
        for (WatchEvent<?> event : key.pollEvents()) {
          matched |= event.kind() == StandardWatchEventKinds.OVERFLOW
              || (event.context() instanceof Path name && names.test(name));
        }
        boolean valid = key.reset();
        if (matched || !valid) {
          onAppear.run();
        }
        if (!valid) {
          // The directory went away: nothing more to watch; the caller's poll goes on.
          logger.fine("watched directory is gone; polling only");
          return;
        }
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // closed: done
    }
  }

  /** Stops watching; the thread ends. */
  @Override
  public void close() {
    closeQuietly(service);
  }

  private static void closeQuietly(@Nullable WatchService service) {
    if (service == null) {
      return;
    }
    try {
      service.close();
    } catch (IOException e) {
      logger.log(Level.FINE, "closing a directory watch", e);
    }
  }
}
