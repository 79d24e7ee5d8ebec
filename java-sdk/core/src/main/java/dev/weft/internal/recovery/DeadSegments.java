package dev.weft.internal.recovery;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Finds the segments of a directory that may need recovery, and recovers them. A candidate is a
 * regular file (not a link) of this user whose name starts with {@code weft-}: the default names
 * {@code weft-<pid>}, and {@code weft-<pid>.dead-<ticks>}, the name under which a new process that
 * reused a dead creator's pid keeps the dead one's segment. Segments named otherwise
 * ({@code WEFT_SHM_NAME}) are recovered only when named explicitly ({@code weft recover FILE}).
 */
public final class DeadSegments {
  private static final Logger logger = Logger.getLogger(DeadSegments.class.getName());
  public static final String PREFIX = "weft-";

  private DeadSegments() {}

  /** The candidates in {@code directory}, sorted by name. */
  public static List<Path> candidates(Path directory) throws IOException {
    int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, PREFIX + "*")) {
      for (Path entry : entries) {
        try {
          var attributes = Files.readAttributes(entry, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
          int mode = (Integer) attributes.get("mode");
          if ((mode & 0170000) == 0100000 && (Integer) attributes.get("uid") == self) {
            found.add(entry);
          }
        } catch (IOException e) {
          // gone meanwhile
        }
      }
    }
    found.sort(null);
    return found;
  }

  /**
   * Recovers every dead segment of {@code directory} except those {@code skip} names (segments a
   * collector of this process reads). Logs each recovery (INFO) and each failure (WARNING, with
   * the fix); refused files are logged at FINE (a scan meets unrelated files), and segments that
   * held no span at all are removed with one INFO line for them all.
   */
  public static List<SegmentRecovery.Result> recoverAll(Path directory, SegmentRecovery recovery,
      Predicate<Path> skip) {
    List<SegmentRecovery.Result> results = new ArrayList<>();
    List<Path> candidates;
    try {
      candidates = candidates(directory);
    } catch (IOException e) {
      logger.warning("weft recovery: cannot list " + directory + " (" + e + "); dead processes'"
          + " segments there are not recovered. Set WEFT_SHM_DIR to the directory the native"
          + " side uses, or weft.recovery.enabled=false");
      return results;
    }
    List<Integer> emptyPids = new ArrayList<>();
    for (Path candidate : candidates) {
      if (skip.test(candidate)) {
        continue;
      }
      SegmentRecovery.Result result = recovery.recover(candidate);
      results.add(result);
      if (isEmpty(result)) {
        // nothing was lost: one line for them all below, not one each (a shared /dev/shm of
        // short-lived processes left hundreds of such lines in front of the application's)
        emptyPids.add(result.creatorPid);
        logger.log(Level.FINE, "weft recovery: {0}", result.message);
      } else {
        log(result);
      }
      if (result.outcome == SegmentRecovery.Outcome.STOPPED) {
        break;
      }
    }
    if (!emptyPids.isEmpty()) {
      logger.info("weft: removed " + emptyPids.size() + " segment(s) of dead processes in "
          + directory + " that held no spans (pid " + shortList(emptyPids) + ")");
    }
    return results;
  }

  private static boolean isEmpty(SegmentRecovery.Result result) {
    return result.outcome == SegmentRecovery.Outcome.RECOVERED && result.finishedSpans == 0
        && result.openSpans == 0 && result.corrupt == 0;
  }

  private static String shortList(List<Integer> pids) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < pids.size() && i < 5; i++) {
      b.append(i == 0 ? "" : ", ").append(pids.get(i));
    }
    if (pids.size() > 5) {
      b.append(" and ").append(pids.size() - 5).append(" more");
    }
    return b.toString();
  }

  static void log(SegmentRecovery.Result result) {
    switch (result.outcome) {
      case RECOVERED:
        logger.info("weft: " + result.message);
        break;
      case EXPORT_FAILED:
      case STOPPED:
        logger.warning("weft: " + result.message);
        break;
      default:
        logger.log(Level.FINE, "weft recovery: {0}", result.message);
    }
  }
}
