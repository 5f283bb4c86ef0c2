package org.shakenfist.sfdb.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's MariaDB server as the seed's primary runs it, in a private directory: {@code my.cnf} includes a
 * {@code conf.d} holding the seed's {@code 99-bind-all.cnf} ({@code bind-address = 0.0.0.0}, so other hosts
 * reach it), run inside one host of a {@link NetnsTopology}; a {@code shakenfist}@{@code %} user owns the
 * {@code shakenfist} database. Administered as root over its Unix socket.
 */
final class MariaDbProcess {
  static final String USER = "shakenfist";
  static final String PASSWORD = "sfdb-test-pw";
  static final String DATABASE = "shakenfist";
  private static final Path SERVER = Path.of("/usr/sbin/mariadbd");

  private final NetnsTopology net;
  private final int host;
  private final Path dir;
  private ProcessLog server;

  MariaDbProcess(NetnsTopology net, int host, Path dir) {
    this.net = net;
    this.host = host;
    this.dir = dir;
  }

  /** Why this machine cannot run it, or null when it can. */
  static String unavailableReason() {
    if (!Files.isExecutable(SERVER)) {
      return "MariaDB server not installed (" + SERVER + "; Debian package mariadb-server, which .ci/run installs)";
    }
    return null;
  }

  /** JDBC URL of the shakenfist database at {@code address}. */
  static String url(String address) {
    return "jdbc:mariadb://" + address + ":3306/" + DATABASE + "?user=" + USER + "&password=" + PASSWORD
        + "&sslMode=disable";
  }

  /** Creates the data directory (first time), starts the server and waits until it answers. */
  void start() throws IOException, InterruptedException {
    boolean first = !Files.exists(dir.resolve("my.cnf"));
    if (first) {
      Files.createDirectories(dir.resolve("conf.d"));
      Files.createDirectories(dir.resolve("data"));
      Files.writeString(dir.resolve("my.cnf"), String.join("\n", "[mysqld]", "datadir=" + dir.resolve("data"),
          "socket=" + socket(), "pid-file=" + dir.resolve("mariadbd.pid"), "port=3306", "user=root",
          "skip-name-resolve", "!includedir " + dir.resolve("conf.d"), ""));
      Files.writeString(dir.resolve("conf.d/99-bind-all.cnf"), "[mysqld]\nbind-address = 0.0.0.0\n");
      run("mariadb-install-db", "--defaults-file=" + dir.resolve("my.cnf"), "--auth-root-authentication-method=socket");
    }
    server = net.startLogged("mariadbd", host, List.of(), List.of(SERVER.toString(),
        "--defaults-file=" + dir.resolve("my.cnf")));
    awaitUp();
    if (first) {
      sql("CREATE USER '" + USER + "'@'%' IDENTIFIED BY '" + PASSWORD + "'; GRANT ALL ON " + DATABASE + ".* TO '"
          + USER + "'@'%';");
    }
  }

  /** Stops the server cleanly and waits for it to exit. */
  void stop() throws IOException, InterruptedException {
    run("mariadb-admin", "--socket=" + socket(), "-u", "root", "shutdown");
    server.exit(Duration.ofSeconds(60));
  }

  /** Drops and recreates the (empty) database. */
  void freshDatabase() throws IOException, InterruptedException {
    sql("DROP DATABASE IF EXISTS " + DATABASE + "; CREATE DATABASE " + DATABASE + ";");
  }

  String sql(String statements) throws IOException, InterruptedException {
    return run("mariadb", "--socket=" + socket(), "-u", "root", "-N", "-e", statements);
  }

  private String socket() {
    return dir.resolve("mariadbd.sock").toString();
  }

  private void awaitUp() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        run("mariadb-admin", "--socket=" + socket(), "-u", "root", "ping");
        return;
      } catch (IOException e) {
        if (!server.process.isAlive() || System.nanoTime() > deadline) {
          throw new IOException("MariaDB did not start: " + e.getMessage() + "\n" + server.text());
        }
        Thread.sleep(200);
      }
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }
}
