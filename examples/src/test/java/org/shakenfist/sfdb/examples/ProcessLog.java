package org.shakenfist.sfdb.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A started process whose merged output is collected line by line, so a test can wait for a line. */
final class ProcessLog {
  final Process process;
  private final String name;
  private final List<String> lines = new ArrayList<>(); // guarded by this
  private final Thread reader;

  ProcessLog(String name, Process process) {
    this.name = name;
    this.process = process;
    reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (this) {
            lines.add(line);
            notifyAll();
          }
        }
      } catch (IOException e) {
        // the process ended
      }
      synchronized (this) {
        notifyAll();
      }
    }, "log-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  String text() {
    return String.join("\n", lines());
  }

  /** Index of the first line from {@code from} on that matches, waiting up to {@code timeout}. */
  synchronized int await(Predicate<String> match, int from, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int i = from; ; ) {
      for (; i < lines.size(); i++) {
        if (match.test(lines.get(i))) {
          return i;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(name + ": no matching line within " + timeout + (process.isAlive() ? ""
            : " (exited " + process.exitValue() + ")") + "; output:\n" + String.join("\n", lines));
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  int await(String contains, int from, Duration timeout) throws InterruptedException {
    return await(l -> l.contains(contains), from, timeout);
  }

  /** Waits for the process to end; its exit status. */
  int exit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(name + " did not end within " + timeout + "; output:\n" + text());
    }
    reader.join(timeout.toMillis()); // the reader has taken the last lines when the output ends
    return process.exitValue();
  }
}
