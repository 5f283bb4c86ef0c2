package org.shakenfist.sfdb.testkit.python;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What the stand-in needs on disk, made once per JVM: the interpreter (probed for grpcio, grpc_tools and
 * prometheus_client), and a directory with the script and the Python stubs generated from this project's
 * {@code database.proto} and grpc's {@code health.proto}.
 */
final class StandInFiles {
  static final String SCRIPT = "sf_database_standin.py";
  private static final String RESOURCE = "org/shakenfist/sfdb/testkit/python/" + SCRIPT;
  private static final Object GENERATE_LOCK = new Object();
  private static volatile Path generated;
  private static volatile String probeResult;

  private StandInFiles() {}

  /**
   * Empty when the stand-in can run here; otherwise why not (no interpreter, or a Python module missing),
   * for a test's assumption message.
   */
  static Optional<String> unavailableReason() {
    String r = probeResult;
    if (r == null) {
      synchronized (GENERATE_LOCK) {
        if (probeResult == null) {
          probeResult = probe();
        }
        r = probeResult;
      }
    }
    return r.isEmpty() ? Optional.empty() : Optional.of(r);
  }

  /** The interpreter used: {@code SFDB_PYTHON}, else {@code /usr/bin/python3}, else {@code python3}. */
  static String python() {
    String configured = System.getenv("SFDB_PYTHON");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  private static String probe() {
    try {
      Process p = new ProcessBuilder(python(), "-c", "import grpc, grpc_tools.protoc, prometheus_client")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return "the Python gateway stand-in needs python3-grpcio, python3-grpc-tools and "
            + "python3-prometheus-client (" + python() + ": " + lastLine(out) + ")";
      }
      return "";
    } catch (IOException e) {
      return "no Python interpreter for the gateway stand-in (" + python() + ": " + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while probing " + python();
    }
  }

  /** Generates the Python stubs once per JVM; returns the directory holding them and the script. */
  static Path generatedDir() throws IOException, InterruptedException {
    Path dir = generated;
    if (dir != null) {
      return dir;
    }
    synchronized (GENERATE_LOCK) {
      if (generated != null) {
        return generated;
      }
      Path d = Files.createTempDirectory("sfdb-python-gateway");
      copyResource("shakenfist/protos/database.proto", d.resolve("proto/shakenfist/protos/database.proto"));
      copyResource("shakenfist/protos/shakenfist_enums.proto", d.resolve("proto/shakenfist/protos/shakenfist_enums.proto"));
      // generated under another file path: a "grpc/" package would clash with grpcio's own module
      copyResource("grpc/health/v1/health.proto", d.resolve("proto/standin_health/health.proto"));
      copyResource(RESOURCE, d.resolve(SCRIPT));
      Process p = new ProcessBuilder(python(), "-m", "grpc_tools.protoc", "-I" + d.resolve("proto"),
          "--python_out=" + d, "--grpc_python_out=" + d, "shakenfist/protos/database.proto",
          "shakenfist/protos/shakenfist_enums.proto", "standin_health/health.proto")
          .directory(d.resolve("proto").toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("grpc_tools.protoc failed for the Python gateway stand-in: " + out);
      }
      generated = d;
      return d;
    }
  }

  private static void copyResource(String name, Path to) throws IOException {
    Files.createDirectories(to.getParent());
    try (InputStream in = StandInFiles.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is not on the classpath");
      }
      Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String lastLine(String s) {
    int nl = s.lastIndexOf('\n');
    return nl < 0 ? s : s.substring(nl + 1);
  }
}
