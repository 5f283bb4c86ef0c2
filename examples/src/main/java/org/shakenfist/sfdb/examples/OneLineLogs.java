package org.shakenfist.sfdb.examples;

/**
 * Makes every java.util.logging record of this process one line ({@code 12:00:01 WARNING io.grpc.Foo: message}),
 * so grpc's and the SDK's records do not break up a command's table. Call it first in {@code main}, before
 * anything logs (the console handler's formatter reads the format once).
 */
final class OneLineLogs {
  static final String FORMAT = "%1$tT %4$s %3$s: %5$s%6$s%n";

  private OneLineLogs() {}

  static void install() {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", FORMAT);
    }
  }
}
