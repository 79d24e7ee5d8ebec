package dev.weft.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Keeps what a class's java.util.logging logger publishes, from {@link #of} until
 * {@link #close}: for tests that check what Weft says (once, clearly) about a failure.
 */
public final class LogCapture extends Handler implements AutoCloseable {
  private final Logger logger;
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();

  private LogCapture(Logger logger) {
    this.logger = logger;
    logger.addHandler(this);
  }

  /** Captures the logger named after {@code source} (the loggers of Weft's classes). */
  public static LogCapture of(Class<?> source) {
    return new LogCapture(Logger.getLogger(source.getName()));
  }

  /** Every record so far, oldest first. */
  public List<LogRecord> records() {
    return List.copyOf(records);
  }

  /** The messages so far of the records at {@code level}, oldest first. */
  public List<String> messages(Level level) {
    List<String> messages = new ArrayList<>();
    for (LogRecord record : records) {
      if (record.getLevel().equals(level)) {
        messages.add(record.getMessage());
      }
    }
    return messages;
  }

  @Override
  public void publish(LogRecord record) {
    records.add(record);
  }

  @Override
  public void flush() {}

  /** Stops capturing. */
  @Override
  public void close() {
    logger.removeHandler(this);
  }
}
