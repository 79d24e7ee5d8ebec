package dev.weft.internal;

/** Whether this JVM has begun to shut down (its shutdown hooks run, or are about to). */
public final class JvmShutdown {
  private JvmShutdown() {}

  /**
   * True once the JVM's shutdown sequence has started (the last non-daemon thread ended, or
   * {@code System.exit}): from then on no shutdown hook can be added, which is what this probes.
   */
  public static boolean inProgress() {
    Thread probe = new Thread(() -> {});
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }
}
