package dev.weft.agent.otel;

/** Messages of the extension, on standard error like the Weft agent's ({@code [weft-agent]}). */
final class Log {
  private Log() {}

  static boolean debug() {
    String p = System.getProperty("weft.debug");
    if (p != null) {
      return !p.equalsIgnoreCase("false");
    }
    String e = System.getenv("WEFT_DEBUG");
    return e != null && !e.isEmpty() && !e.equals("0") && !e.equalsIgnoreCase("false");
  }

  static void debug(String message) {
    if (debug()) {
      System.err.println("[weft-agent] " + message);
    }
  }

  static void warn(String message) {
    System.err.println("[weft-agent] WARNING: " + message);
  }

  static void error(String message) {
    System.err.println("[weft-agent] ERROR: " + message);
  }
}
