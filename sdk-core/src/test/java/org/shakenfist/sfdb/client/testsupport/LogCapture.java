package org.shakenfist.sfdb.client.testsupport;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the messages a JUL logger publishes at or above a level while open:
 * {@code try (LogCapture log = LogCapture.of(Foo.class, Level.INFO)) { ...; log.messages(); }}.
 */
public final class LogCapture extends Handler implements AutoCloseable {
  private final Logger logger;
  private final Level level;
  private final List<String> messages = new CopyOnWriteArrayList<>();

  private LogCapture(Logger logger, Level level) {
    this.logger = logger;
    this.level = level;
    logger.addHandler(this);
  }

  /** Captures the logger named for {@code owner}. */
  public static LogCapture of(Class<?> owner, Level level) {
    return new LogCapture(Logger.getLogger(owner.getName()), level);
  }

  /** What was logged so far, in order. */
  public List<String> messages() {
    return List.copyOf(messages);
  }

  /** How many messages contain {@code text}. */
  public long count(String text) {
    return messages.stream().filter(m -> m.contains(text)).count();
  }

  @Override
  public void publish(LogRecord r) {
    if (r.getLevel().intValue() >= level.intValue()) {
      messages.add(r.getMessage());
    }
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    logger.removeHandler(this);
  }
}
