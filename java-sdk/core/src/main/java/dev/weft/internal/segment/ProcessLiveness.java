package dev.weft.internal.segment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Tells whether a segment's creator still runs: same pid, same start time, same boot. */
public final class ProcessLiveness {
  private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

  private ProcessLiveness() {}

  /** True if {@code pid} runs, started at {@code startTicks} during the boot {@code bootId}. */
  public static boolean isAlive(int pid, long startTicks, byte[] bootId) {
    if (pid <= 0) {
      return false;
    }
    byte[] currentBoot = currentBootId();
    if (currentBoot == null || !Arrays.equals(currentBoot, bootId)) {
      return false;
    }
    long ticks = startTicks(pid);
    return ticks >= 0 && ticks == startTicks;
  }

  /** Field 22 of /proc/PID/stat (start time after boot, in clock ticks), or -1. */
  public static long startTicks(int pid) {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"),
          StandardCharsets.ISO_8859_1);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    // The command name (field 2) is in parentheses and may contain spaces and parentheses.
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      return -1;
    }
    String[] fields = stat.substring(close + 1).trim().split(" +");
    // fields[0] is field 3, so field 22 is fields[19].
    if (fields.length < 20) {
      return -1;
    }
    try {
      return Long.parseUnsignedLong(fields[19]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The 16 raw bytes of the current boot id, or null if it cannot be read. */
  @javax.annotation.Nullable
  public static byte[] currentBootId() {
    try {
      String text = Files.readString(BOOT_ID, StandardCharsets.US_ASCII).trim().replace("-", "");
      if (text.length() != 32) {
        return null;
      }
      byte[] bytes = new byte[16];
      for (int i = 0; i < 16; i++) {
        bytes[i] = (byte) Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
      }
      return bytes;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
