package org.shakenfist.sfdb.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;

/**
 * The example gateway's MariaDB: a HikariCP pool over MariaDB Connector/J, the schema's Flyway migrations
 * ({@code db/V*.sql} in this jar), the schema version check every gateway makes at start, and the reachability
 * check behind its health loop. Every failure to open is a {@link Failure} with a one-line message that names
 * the URL (password hidden).
 */
final class GatewayDatabase implements AutoCloseable {
  static final String MIGRATIONS = "classpath:org/shakenfist/sfdb/examples/db";
  private static final Pattern PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");
  /**
   * The pool's and Flyway's INFO records are kept out of the gateway's output (a failure to open is one line;
   * Flyway's would name the URL); held here, as java.util.logging keeps loggers only weakly.
   */
  private static final List<Logger> QUIET = List.of(Logger.getLogger("com.zaxxer.hikari"),
      Logger.getLogger("org.flywaydb"));

  static {
    QUIET.forEach(l -> l.setLevel(Level.WARNING));
  }

  /** A database problem worth one line and exit status 2. */
  static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }
  }

  private final HikariDataSource pool;
  private final String shown;

  private GatewayDatabase(HikariDataSource pool, String shown) {
    this.pool = pool;
    this.shown = shown;
  }

  /**
   * A pool to {@code url} (a {@code jdbc:mariadb://} URL, user and password as its parameters), with one
   * connection made at once: a bad URL or an unreachable database fails here, within the 3 s connect timeout.
   */
  static GatewayDatabase open(String url) throws Failure {
    String shown = hidePassword(url);
    if (url == null || !url.startsWith("jdbc:mariadb://")) {
      throw new Failure("--jdbc must be a jdbc:mariadb://HOST[:PORT]/DATABASE?user=...&password=... URL, got \""
          + shown + "\"");
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setPoolName("sfdb-gateway-db");
    config.setMaximumPoolSize(8);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(3000);
    config.setValidationTimeout(2000);
    config.setInitializationFailTimeout(1); // one attempt at start: fail fast, never hang
    config.addDataSourceProperty("connectTimeout", "3000");
    config.addDataSourceProperty("socketTimeout", "5000"); // a query to a database that went silent fails
    try {
      return new GatewayDatabase(new HikariDataSource(config), shown);
    } catch (RuntimeException e) {
      throw new Failure("cannot reach the database at " + shown + ": " + rootMessage(e));
    }
  }

  DataSource dataSource() {
    return pool;
  }

  private Flyway flyway(String target) {
    var config = Flyway.configure().dataSource(pool).locations(MIGRATIONS);
    return (target == null ? config : config.target(target)).load();
  }

  /**
   * Applies the pending migrations up to {@code target} (null: all); returns the schema version after, which
   * may include migrations that a concurrent run applied (Flyway takes a database lock per migration).
   */
  String migrate(String target) throws Failure {
    try {
      Flyway flyway = flyway(target);
      flyway.migrate();
      return current(flyway.info());
    } catch (FlywayException e) {
      throw new Failure("migrating " + shown + " failed: " + oneLine(e.getMessage()));
    }
  }

  /**
   * Refuses, naming both versions, unless the schema is exactly at the newest version among this jar's
   * migrations: the one a gateway of this build needs.
   */
  void requireSchema() throws Failure {
    String needed;
    String current;
    try {
      MigrationInfoService info = flyway(null).info(); // one read of the history table and the jar's migrations
      needed = Arrays.stream(info.all()).filter(i -> i.getState().isResolved()).map(MigrationInfo::getVersion)
          .max(Comparator.naturalOrder()).map(MigrationVersion::getVersion).orElseThrow();
      current = current(info);
    } catch (FlywayException e) {
      throw new Failure("cannot read the schema version of " + shown + ": " + oneLine(e.getMessage()));
    }
    if (current == null) {
      throw new Failure("the database at " + shown + " has no gateway schema; this gateway needs version " + needed
          + ": run GatewayServer migrate --jdbc URL once");
    }
    if (!current.equals(needed)) {
      boolean older = MigrationVersion.fromVersion(current).compareTo(MigrationVersion.fromVersion(needed)) < 0;
      throw new Failure("the database at " + shown + " has schema version " + current + ", this gateway needs "
          + "version " + needed + (older ? ": run GatewayServer migrate --jdbc URL once"
              : ": the schema is newer than this gateway"));
    }
  }

  private static String current(MigrationInfoService info) {
    MigrationInfo c = info.current();
    return c == null || c.getVersion() == null ? null : c.getVersion().getVersion();
  }

  /**
   * Whether the database answers {@code SELECT 1} now (within the pool's 3 s to connect and the 5 s socket
   * timeout): the health loop's check, as the real gateway's.
   */
  boolean reachable() {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      s.setQueryTimeout(2);
      s.execute("SELECT 1");
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /** The URL as it may be shown: its password replaced by {@code ***}. */
  static String hidePassword(String url) {
    return url == null ? "" : PASSWORD.matcher(url).replaceAll("$1***");
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return oneLine(t.getMessage() == null ? t.toString() : t.getMessage());
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
  }

  @Override
  public void close() {
    pool.close();
  }
}
