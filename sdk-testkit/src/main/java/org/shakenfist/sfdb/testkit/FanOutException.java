package org.shakenfist.sfdb.testkit;

/**
 * Thrown by {@link FanOut#check()} when an instance served less than the floor. An {@link AssertionError},
 * so any test framework reports it as a failure; the message is the full report.
 *
 * <pre>{@code
 * try {
 *   FanOut.of(tier).check();
 * } catch (FanOutException e) {
 *   System.err.println(e.result().problems());
 * }
 * }</pre>
 */
public final class FanOutException extends AssertionError {
  private static final long serialVersionUID = 1L;

  private final transient FanOutResult result;

  FanOutException(FanOutResult result) {
    super(result.report());
    this.result = result;
  }

  /** The failed check's result (shares, counters before and after, problems). */
  public FanOutResult result() {
    return result;
  }
}
