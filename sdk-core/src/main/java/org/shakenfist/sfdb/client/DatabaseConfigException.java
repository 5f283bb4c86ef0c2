package org.shakenfist.sfdb.client;

/**
 * The one exception thrown for bad sfdb-client configuration: a bad {@code SHAKENFIST_*} value, a bad
 * host item, or an inconsistent builder setting. No channel is built when it is thrown.
 *
 * <p>The message always names the variable (or builder setting) and, for list values, the offending item
 * and its 1-based position in the comma-separated list, for example:
 *
 * <pre>{@code
 * SHAKENFIST_MARIADB_GATEWAY_HOSTS: item 2 "10.0.0.21:99999": port 99999 is not in 1..65535
 * }</pre>
 */
public final class DatabaseConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String variable;
  private final String item;
  private final int position;
  private final String problem;

  /**
   * A problem with one item of a list value.
   *
   * @param variable the variable or setting name, e.g. {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS}
   * @param item the offending item as the user wrote it (after trimming)
   * @param position 1-based position of the item in the comma-separated value
   * @param problem what is wrong with it
   */
  public DatabaseConfigException(String variable, String item, int position, String problem) {
    super(variable + ": item " + position + " \"" + item + "\": " + problem);
    this.variable = variable;
    this.item = item;
    this.position = position;
    this.problem = problem;
  }

  /**
   * A problem with a whole value.
   *
   * @param variable the variable or setting name
   * @param value the value as given (may be {@code null} when unset)
   * @param problem what is wrong with it
   */
  public DatabaseConfigException(String variable, String value, String problem) {
    super(variable + (value == null ? "" : "=\"" + value + "\"") + ": " + problem);
    this.variable = variable;
    this.item = value;
    this.position = 0;
    this.problem = problem;
  }

  /** The variable or builder setting that holds the bad value. */
  public String variable() {
    return variable;
  }

  /** The offending item (or whole value), or {@code null} when the variable was unset. */
  public String item() {
    return item;
  }

  /** What is wrong, without the variable and item (to report the same problem under another name). */
  String problem() {
    return problem;
  }

  /** 1-based position of the item in a list value, or 0 when the whole value is at fault. */
  public int position() {
    return position;
  }
}
